// Run now on a ledger shared by replicas: the run manager's answer carries the ledger's decision
// (started, waiting for another replica's run, skipped by the cluster's policy), with a fake shared ledger.
import { describe, expect, it } from 'vitest';
import type { FireLedger, WaitingNotice } from '../../src/daemon/fire-ledger.js';
import type { FireIntent } from '../../src/history/journal.js';
import { SchedulerError } from '../../src/shared/errors.js';
import { createRunFixture, job, settle, summary } from './run-fixture.js';

/** One append the fake ledger was asked for, decided by the test. */
interface Asked {
  intent: FireIntent;
  onWaiting: WaitingNotice | undefined;
  admit: () => void;
  refuse: (err: unknown) => void;
}

/** A ledger shared by replicas whose decisions the test makes (no store, no other replica). */
function sharedLedger(): FireLedger & { asked: Asked[] } {
  const asked: Asked[] = [];
  return {
    asked,
    append: (intents, onWaiting) =>
      new Promise<void>((admit, refuse) => {
        for (const intent of intents) asked.push({ intent, onWaiting, admit, refuse });
      }),
    readPending: async () => [],
    checkpoint: async () => undefined,
    healthy: () => true,
    close: async () => undefined,
    bindRuns: () => undefined,
    release: () => undefined,
  };
}

const FORBID_ELSEWHERE =
  'previous run 01OTHER on replica host-b:7:beef is still running (concurrencyPolicy Forbid)';

async function fixture(maxConcurrentRuns?: number) {
  const journal = sharedLedger();
  const fx = await createRunFixture({
    journal,
    ...(maxConcurrentRuns === undefined ? {} : { maxConcurrentRuns }),
  });
  fx.runs.define(job('nightly', { concurrencyPolicy: 'Forbid' }));
  return { ...fx, journal };
}

describe('daemon/ledger-decision', () => {
  it('Forbid refused by the cluster: the answer is skipped with the reason, and no process starts', async () => {
    const { runs, journal, tasks, history, clock } = await fixture();
    const result = runs.start('nightly', clock.now(), 'manual');
    expect(result.outcome).toBe('started');
    expect(journal.asked.map((a) => a.intent.trigger)).toEqual(['manual']);
    journal.asked[0]!.refuse(
      new SchedulerError('FIRE_SKIPPED_BY_POLICY', FORBID_ELSEWHERE, { schedule: 'nightly' }),
    );
    expect(await result.decided).toEqual({
      runId: result.runId,
      outcome: 'skipped',
      reason: FORBID_ELSEWHERE,
    });
    await settle();
    expect(tasks.calls).toHaveLength(0);
    expect(summary(await history.runs('nightly'))).toEqual([
      'skipped manual 2026-03-01T12:00:00.000Z',
    ]);
  });

  it('admitted by the cluster: started, and the process starts', async () => {
    const { runs, journal, tasks, clock } = await fixture();
    const result = runs.start('nightly', clock.now(), 'manual');
    journal.asked[0]!.admit();
    expect(await result.decided).toEqual({ runId: result.runId, outcome: 'started' });
    await settle();
    expect(tasks.started()).toEqual(['manual 2026-03-01T12:00:00.000Z']);
  });

  it('waiting for another replica’s run: waiting with the reason, recorded pending, started at its turn', async () => {
    const { runs, journal, tasks, history, clock } = await fixture();
    const result = runs.start('nightly', clock.now(), 'manual');
    const asked = journal.asked[0]!;
    asked.onWaiting?.(result.runId, 'queued behind run 01OTHER on replica host-b:7:beef');
    expect(await result.decided).toEqual({
      runId: result.runId,
      outcome: 'waiting',
      reason: 'queued behind run 01OTHER on replica host-b:7:beef',
    });
    await settle();
    expect(summary(await history.runs('nightly'))).toEqual([
      'pending manual 2026-03-01T12:00:00.000Z',
    ]);
    expect(tasks.calls).toHaveLength(0);
    asked.admit();
    await settle();
    expect(tasks.started()).toEqual(['manual 2026-03-01T12:00:00.000Z']);
  });

  it('a claim the store cannot take: skipped with why, recorded missed', async () => {
    const { runs, journal, history, clock } = await fixture();
    const result = runs.start('nightly', clock.now(), 'manual');
    journal.asked[0]!.refuse(
      new SchedulerError(
        'FIRE_NOT_DURABLE',
        'the fire could not be claimed in the store: ECONNREFUSED',
      ),
    );
    const decided = await result.decided;
    expect(decided?.outcome).toBe('skipped');
    expect(decided?.reason).toMatch(
      /^the fire could not be made durable before its start .*ECONNREFUSED/,
    );
    await settle();
    expect(summary(await history.runs('nightly'))).toEqual([
      'missed manual 2026-03-01T12:00:00.000Z missed=1',
    ]);
  });

  it('admitted but over this replica’s cap: the local answer (waiting for a slot) stands', async () => {
    const { runs, journal, clock } = await fixture(0);
    const result = runs.start('nightly', clock.now(), 'manual');
    expect(result.outcome).toBe('waiting');
    journal.asked[0]!.admit();
    expect(await result.decided).toEqual({
      runId: result.runId,
      outcome: 'waiting',
      reason: 'waiting for a free slot (--max-concurrent-runs 0)',
    });
  });

  it('only manual fires carry a decision; one node decides at once and carries none', async () => {
    const { runs, clock } = await fixture();
    expect(runs.start('nightly', clock.now(), 'schedule')).not.toHaveProperty('decided');
    const oneNode = await createRunFixture();
    oneNode.runs.define(job('nightly'));
    const manual = oneNode.runs.start('nightly', oneNode.clock.now(), 'manual');
    expect(manual).toEqual({ runId: manual.runId, outcome: 'started' });
  });
});
