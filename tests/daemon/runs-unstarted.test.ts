// Fires made durable (prepared, or claimed) that do not start as planned are never dropped: a late
// wake-up starts or records each prepared fire under its own run id, and with a ledger shared by
// replicas, fires whose claim failed (the store could not be reached) are one gap, decided once it answers.
import { describe, expect, it } from 'vitest';
import type { GapBounds, HeldRange } from '../../src/runtime/plan-missed.js';
import { SchedulerError } from '../../src/shared/errors.js';
import { createRunFixture, due, job, memoryLedger, settle, summary } from './run-fixture.js';

/** A memory ledger with what a ledger shared by replicas has: own claims, and missed gaps narrowed. */
function sharedLedger() {
  const ledger = memoryLedger();
  const missedGaps: { first: string; last: string }[] = [];
  const shared = Object.assign(ledger, {
    missedGaps,
    ownClaims: async (ids: string[]) => {
      if (ledger.fail) throw ledger.fail;
      return new Set(ledger.intents.filter((i) => ids.includes(i.runId)).map((i) => i.runId));
    },
    claimMissed: async (
      gap: { first: string; last: string },
      narrow: (held: readonly HeldRange[]) => GapBounds | undefined,
    ) => {
      if (ledger.fail) throw ledger.fail;
      missedGaps.push({ first: gap.first, last: gap.last });
      return narrow([]);
    },
  });
  return shared;
}

const notDurable = () =>
  new SchedulerError(
    'FIRE_NOT_DURABLE',
    'the fire could not be claimed in the store: ECONNREFUSED',
  );

describe('daemon/runs: fires that do not start as planned', () => {
  it('a late wake-up starts the prepared instant with its own run id beside the newest; the one between is missed', async () => {
    const f = await createRunFixture();
    f.runs.define(job('a', { concurrencyPolicy: 'Allow' }));
    f.runs.prepare([{ name: 'a', at: new Date('2026-03-01T12:00:00Z') }]);
    await settle();
    const preparedId = f.ledger.intents[0]!.runId;
    f.clock.set('2026-03-01T12:00:02.500Z');
    f.runs.handleDue(
      due('a', '2026-03-01T12:00:00Z', '2026-03-01T12:00:02Z', 3, '2026-03-01T12:00:02.500Z'),
    );
    await settle();
    expect(f.tasks.started()).toEqual(['catchup 2026-03-01T12:00:00.000Z']);
    expect(f.tasks.calls[0]!.invocation.env.CRONOPS_RUN_ID).toBe(preparedId);
    f.tasks.calls[0]!.finish({});
    await settle();
    expect(f.tasks.started()).toEqual([
      'catchup 2026-03-01T12:00:00.000Z',
      'catchup 2026-03-01T12:00:02.000Z',
    ]);
    expect(summary(await f.history.runs('a'))).toContain(
      'missed schedule 2026-03-01T12:00:01.000Z missed=1',
    );
  });

  it('a prepared instant past startingDeadline is recorded missed under its own run id, apart from the gap', async () => {
    const f = await createRunFixture();
    f.runs.define(job('a', { concurrencyPolicy: 'Allow', startingDeadline: 1000 }));
    f.runs.prepare([{ name: 'a', at: new Date('2026-03-01T12:00:00Z') }]);
    await settle();
    const preparedId = f.ledger.intents[0]!.runId;
    f.clock.set('2026-03-01T12:00:05.200Z');
    f.runs.handleDue(
      due('a', '2026-03-01T12:00:00Z', '2026-03-01T12:00:05Z', 6, '2026-03-01T12:00:05.200Z'),
    );
    await settle();
    expect(f.tasks.started()).toEqual(['catchup 2026-03-01T12:00:05.000Z']);
    const runs = await f.history.runs('a');
    expect(runs.find((r) => r.id === preparedId)).toMatchObject({
      status: 'missed',
      scheduledAt: '2026-03-01T12:00:00.000Z',
      missed: { count: 1 },
    });
    expect(summary(runs)).toContain('missed schedule 2026-03-01T12:00:04.000Z missed=4');
  });

  it('with replicas, fires not claimed while the store is unreachable are one gap, decided once a claim succeeds', async () => {
    const ledger = sharedLedger();
    const f = await createRunFixture({ journal: ledger, endlessSleep: true });
    f.runs.define(job('a', { concurrencyPolicy: 'Allow' }));
    ledger.fail = notDurable();
    for (const second of ['00', '01', '02']) {
      const at = `2026-03-01T12:00:${second}Z`;
      f.clock.set(`2026-03-01T12:00:${second}.010Z`);
      f.runs.handleDue(due('a', at, at, 1, `2026-03-01T12:00:${second}.010Z`));
      await settle();
    }
    // Nothing started, nothing recorded yet; one error says why.
    expect(f.tasks.calls).toEqual([]);
    expect(await f.history.runs('a')).toEqual([]);
    expect(f.logs.filter((l) => l.msg.startsWith('fires cannot be claimed'))).toHaveLength(1);
    // The store answers: the next instant is claimed, and the gap is decided: catchUp latest starts the
    // newest (within startingDeadline), the rest is one missed record.
    delete ledger.fail;
    f.clock.set('2026-03-01T12:00:03.010Z');
    f.runs.handleDue(
      due('a', '2026-03-01T12:00:03Z', '2026-03-01T12:00:03Z', 1, '2026-03-01T12:00:03.010Z'),
    );
    await settle();
    expect(f.tasks.started()).toEqual([
      'schedule 2026-03-01T12:00:03.000Z',
      'catchup 2026-03-01T12:00:02.000Z',
    ]);
    expect(ledger.missedGaps).toEqual([
      { first: '2026-03-01T12:00:00.000Z', last: '2026-03-01T12:00:01.000Z' },
    ]);
    expect(summary(await f.history.runs('a')).filter((s) => s.startsWith('missed'))).toEqual([
      'missed schedule 2026-03-01T12:00:01.000Z missed=2',
    ]);
  });

  it('with replicas, a fire whose claim committed though its acknowledgement was lost is recorded interrupted', async () => {
    const ledger = sharedLedger();
    const f = await createRunFixture({ journal: ledger, endlessSleep: true });
    f.runs.define(job('a', { concurrencyPolicy: 'Allow', startingDeadline: 1000 }));
    // The statement committed, then the connection dropped: the claim is in the store.
    const append = ledger.append;
    ledger.append = async (intents) => {
      await append(intents);
      throw notDurable();
    };
    f.clock.set('2026-03-01T12:00:00.010Z');
    f.runs.handleDue(
      due('a', '2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z', 1, '2026-03-01T12:00:00.010Z'),
    );
    await settle();
    const lostAck = ledger.intents[0]!.runId;
    ledger.append = append;
    f.clock.set('2026-03-01T12:00:10.010Z');
    f.runs.handleDue(
      due('a', '2026-03-01T12:00:10Z', '2026-03-01T12:00:10Z', 1, '2026-03-01T12:00:10.010Z'),
    );
    await settle();
    const runs = await f.history.runs('a');
    expect(runs.find((r) => r.id === lostAck)).toMatchObject({
      status: 'interrupted',
      reason: expect.stringMatching(/acknowledgement was lost/),
    });
    expect(f.tasks.started()).toEqual(['schedule 2026-03-01T12:00:10.000Z']);
    expect(ledger.missedGaps).toEqual([]);
  });

  it('with replicas, a stop while the store is unreachable leaves the gap to the next start (nothing recorded)', async () => {
    const ledger = sharedLedger();
    const f = await createRunFixture({ journal: ledger, endlessSleep: true });
    f.runs.define(job('a', { concurrencyPolicy: 'Allow' }));
    ledger.fail = notDurable();
    f.runs.handleDue(
      due('a', '2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z', 1, '2026-03-01T12:00:00.010Z'),
    );
    await settle();
    await f.runs.shutdown(1000);
    expect(await f.history.runs('a')).toEqual([]);
    expect(f.history.lastScheduledAt('a')).toBeUndefined();
    expect(f.logs.map((l) => l.msg)).toContain(
      'stopping with fires that could not be claimed; the next start catches their gaps up from the watermark',
    );
  });
});
