import { describe, expect, it } from 'vitest';
import type { FireLedger } from '../../src/daemon/fire-ledger.js';
import { createManualStarter } from '../../src/daemon/manual-requests.js';
import type { StartResult } from '../../src/daemon/runs.js';

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
});
