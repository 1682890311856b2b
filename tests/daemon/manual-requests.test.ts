import { describe, expect, it } from 'vitest';
import type { FireLedger } from '../../src/daemon/fire-ledger.js';
import { createManualStarter } from '../../src/daemon/manual-requests.js';
import type { StartResult } from '../../src/daemon/runs.js';
import type { RunRecord } from '../../src/history/store.js';

const ledger = (claimRequest?: FireLedger['claimRequest']): FireLedger => ({
  append: () => Promise.resolve(),
  readPending: () => Promise.resolve([]),
  checkpoint: () => Promise.resolve(),
  healthy: () => true,
  close: () => Promise.resolve(),
  ...(claimRequest ? { claimRequest } : {}),
});

function starter(claimRequest?: FireLedger['claimRequest']) {
  const started: string[] = [];
  let next = 0;
  const start = createManualStarter({
    ledger: ledger(claimRequest),
    newRunId: () => `R${(next += 1)}`,
    start: (name, runId): StartResult => (
      started.push(`${name} ${runId}`),
      { runId, outcome: 'started' }
    ),
  });
  return { start, started };
}

describe('daemon/manual-requests', () => {
  it('one node: the same request id starts one run; without an id every call starts one', async () => {
    const { start, started } = starter();
    expect(await start('backup', 'req-1')).toEqual({ runId: 'R1', outcome: 'started' });
    expect(await start('backup', 'req-1')).toEqual({
      runId: 'R1',
      outcome: 'started',
      reason: 'request req-1 was already made: it is run R1',
    });
    await start('backup');
    await start('backup');
    expect(started).toEqual(['backup R1', 'backup R3', 'backup R4']);
  });

  it('replicas: the request id is claimed in the store; a repeat names the run and its replica', async () => {
    const claims = new Map<string, { runId: string; replica: string }>();
    const claim: FireLedger['claimRequest'] = (request) => {
      if (!claims.has(request.requestId))
        claims.set(request.requestId, { runId: request.runId, replica: 'here' });
      return Promise.resolve(claims.get(request.requestId)!);
    };
    claims.set('req-9', { runId: 'ELSEWHERE', replica: 'host-b:12:abcd' });
    const { start, started } = starter(claim);
    expect(await start('backup', 'req-1')).toEqual({ runId: 'R1', outcome: 'started' });
    expect(await start('backup', 'req-9')).toEqual({
      runId: 'ELSEWHERE',
      outcome: 'started',
      reason: 'request req-9 was already made: it is run ELSEWHERE on replica host-b:12:abcd',
    });
    expect(started).toEqual(['backup R1']);
  });

  it('replicas: the claim is called as a method of the ledger (the PostgreSQL ledger reads its own fields)', async () => {
    const withFields = {
      ...ledger(),
      replica: 'host-a:1:aaaa',
      claimRequest(this: { replica: string }, request: { runId: string }) {
        return Promise.resolve({ runId: request.runId, replica: this.replica });
      },
    };
    const start = createManualStarter({
      ledger: withFields,
      newRunId: () => 'R1',
      start: (_name, runId): StartResult => ({ runId, outcome: 'started' }),
    });
    expect(await start('backup', 'req-1')).toEqual({ runId: 'R1', outcome: 'started' });
  });

  it('replicas: a request that cannot be claimed is not started', async () => {
    const { start, started } = starter(() => Promise.reject(new Error('connection refused')));
    expect(await start('backup', 'req-1')).toEqual({
      runId: 'R1',
      outcome: 'skipped',
      reason:
        'the request could not be claimed in the store, so the run was not started: connection refused',
    });
    expect(started).toEqual([]);
  });

  it('one node: a repeat of a request the policy refused answers skipped again, with the same run', async () => {
    const start = createManualStarter({
      ledger: ledger(),
      newRunId: () => 'R1',
      start: (_name, runId): StartResult => ({ runId, outcome: 'skipped', reason: FORBID_HERE }),
    });
    expect(await start('backup', 'req-1')).toEqual({
      runId: 'R1',
      outcome: 'skipped',
      reason: FORBID_HERE,
    });
    expect(await start('backup', 'req-1')).toEqual({
      runId: 'R1',
      outcome: 'skipped',
      reason: `${FORBID_HERE}; request req-1 was already made: it is run R1`,
    });
  });

  it('replicas: the answer is the cluster decision, without the promise', async () => {
    const sleeps: number[] = [];
    const start = createManualStarter({
      ledger: ledger(claimOnce()),
      newRunId: () => 'R1',
      start: (_name, runId): StartResult => ({
        runId,
        outcome: 'started',
        decided: Promise.resolve({ runId, outcome: 'skipped', reason: FORBID_ELSEWHERE }),
      }),
      sleep: untilAborted(sleeps),
    });
    expect(await start('backup', 'req-1')).toEqual({
      runId: 'R1',
      outcome: 'skipped',
      reason: FORBID_ELSEWHERE,
    });
    expect(await start('backup')).toEqual({
      runId: 'R1',
      outcome: 'skipped',
      reason: FORBID_ELSEWHERE,
    });
    expect(sleeps).toEqual([5000, 5000]);
  });

  it('replicas: no decision within the timeout answers waiting', async () => {
    const start = createManualStarter({
      ledger: ledger(claimOnce()),
      newRunId: () => 'R1',
      start: (_name, runId): StartResult => ({
        runId,
        outcome: 'started',
        decided: new Promise<StartResult>(() => undefined),
      }),
      decisionTimeoutMs: 3000,
      sleep: () => Promise.resolve(),
    });
    expect(await start('backup', 'req-1')).toEqual({
      runId: 'R1',
      outcome: 'waiting',
      reason:
        "the concurrency policy was not decided in the store within 3000 ms; the run's record says whether it started, waits or was skipped",
    });
  });

  it.each([
    {
      status: 'skipped',
      reason: FORBID_ELSEWHERE,
      answer: { outcome: 'skipped', reason: `${FORBID_ELSEWHERE}; ${REPEAT}` },
    },
    { status: 'pending', answer: { outcome: 'waiting', reason: REPEAT } },
    { status: 'running', answer: { outcome: 'started', reason: REPEAT } },
    { status: 'succeeded', answer: { outcome: 'started', reason: REPEAT } },
    {
      status: 'missed',
      reason: 'the fire could not be made durable',
      answer: { outcome: 'skipped', reason: `the fire could not be made durable; ${REPEAT}` },
    },
  ] as const)(
    'replicas: a repeat answers as the first run’s record ($status) says',
    async ({ status, answer, ...rest }) => {
      const record = { id: 'FIRST', status, ...rest } as unknown as RunRecord;
      const start = createManualStarter({
        ledger: ledger(claimedBy('FIRST')),
        newRunId: () => 'R2',
        start: () => {
          throw new Error('a repeat starts nothing');
        },
        findRun: (runId) => Promise.resolve(runId === 'FIRST' ? record : undefined),
      });
      expect(await start('backup', 'req-1')).toEqual({ runId: 'FIRST', ...answer });
    },
  );

  it('replicas: a repeat looks for the first record until it is written, then answers waiting', async () => {
    const sleeps: number[] = [];
    let looks = 0;
    const start = createManualStarter({
      ledger: ledger(claimedBy('FIRST')),
      newRunId: () => 'R2',
      start: () => {
        throw new Error('a repeat starts nothing');
      },
      findRun: () => {
        looks += 1;
        return Promise.resolve(
          looks < 3 ? undefined : ({ id: 'FIRST', status: 'running' } as RunRecord),
        );
      },
      decisionTimeoutMs: 1000,
      sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
    });
    expect(await start('backup', 'req-1')).toEqual({
      runId: 'FIRST',
      outcome: 'started',
      reason: REPEAT,
    });
    expect(sleeps).toEqual([100, 100]);
    const never = createManualStarter({
      ledger: ledger(claimedBy('FIRST')),
      newRunId: () => 'R3',
      start: () => {
        throw new Error('a repeat starts nothing');
      },
      findRun: () => Promise.reject(new Error('connection refused')),
      decisionTimeoutMs: 300,
      sleep: () => Promise.resolve(),
    });
    expect(await never('backup', 'req-1')).toEqual({
      runId: 'FIRST',
      outcome: 'waiting',
      reason: `its record was not written within 300 ms; ${REPEAT}`,
    });
  });
});

const FORBID_HERE = 'previous run R0 is still running (concurrencyPolicy Forbid)';
const FORBID_ELSEWHERE =
  'previous run R0 on replica host-b:12:abcd is still running (concurrencyPolicy Forbid)';
const REPEAT = 'request req-1 was already made: it is run FIRST on replica host-b:12:abcd';

/** A request claim that every id wins (the caller's run id holds it). */
function claimOnce(): FireLedger['claimRequest'] {
  return (request) => Promise.resolve({ runId: request.runId, replica: 'here' });
}

/** A request claim that run `runId` on another replica holds already. */
function claimedBy(runId: string): FireLedger['claimRequest'] {
  return () => Promise.resolve({ runId, replica: 'host-b:12:abcd' });
}

/** A sleep that ends only when aborted, noting how long it was asked to last. */
function untilAborted(sleeps: number[]) {
  return (ms: number, signal?: AbortSignal): Promise<void> => {
    sleeps.push(ms);
    return new Promise((resolve) => signal?.addEventListener('abort', () => resolve()));
  };
}
