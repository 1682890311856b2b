import { describe, expect, it } from 'vitest';
import { createClusterRuns } from '../../src/daemon/cluster-runs.js';
import type { ActiveRun } from '../../src/daemon/run-execution.js';
import type { DesiredSchedule } from '../../src/reconcile/desired.js';

const run = (id: string): ActiveRun =>
  ({
    record: { id, schedule: 'job' },
    abort: new AbortController(),
    done: Promise.resolve(),
  }) as unknown as ActiveRun;

describe('daemon/cluster-runs', () => {
  it('answers the policy, which runs are here, and stops the one another replica replaces', () => {
    const r1 = run('R1');
    const r2 = run('R2');
    const runs = createClusterRuns({
      jobs: new Map([['job', { spec: { concurrencyPolicy: 'Replace' } } as DesiredSchedule]]),
      active: new Map([['job', new Set([r1, r2])]]),
      waiting: () => [{ runId: 'W1' }],
    });
    expect(runs.policyOf('job')).toBe('Replace');
    expect(runs.policyOf('other')).toBeUndefined();
    expect(['R1', 'W1', 'R9'].map((id) => runs.isActive(id, 'job'))).toEqual([true, true, false]);
    runs.cancel('R2', 'replaced by run R3 (concurrencyPolicy Replace)');
    expect([r1.abort.signal.aborted, r2.abort.signal.aborted]).toEqual([false, true]);
    expect(r2).toMatchObject({
      abortAs: 'cancelled',
      abortReason: 'replaced by run R3 (concurrencyPolicy Replace)',
    });
  });
});
