import { describe, expect, it } from 'vitest';
import { RETENTION_CLASS, applyRetention } from '../../src/history/retention.js';
import type { RetentionLimits, RunRecord, RunStatus } from '../../src/history/store.js';

/** 'id:status' → a minimal run; ids sort in the order given. */
function buildRuns(spec: string[]): RunRecord[] {
  return spec.map((entry) => {
    const [id, status] = entry.split(':') as [string, RunStatus];
    return {
      id,
      schedule: 'backup',
      trigger: 'schedule',
      scheduledAt: '2026-03-08T07:00:00.000Z',
      status,
      attempts: [],
      specHash: 'h1',
    };
  });
}

const ids = (runs: RunRecord[]): string[] => runs.map((run) => run.id);

describe('history/retention', () => {
  it.each<{
    name: string;
    runs: string[];
    limits: RetentionLimits;
    kept: string[];
    pruned: string[];
  }>([
    {
      name: 'no runs',
      runs: [],
      limits: { successfulRunsLimit: 1, failedRunsLimit: 1 },
      kept: [],
      pruned: [],
    },
    {
      name: 'under both limits',
      runs: ['a:succeeded', 'b:failed'],
      limits: { successfulRunsLimit: 5, failedRunsLimit: 5 },
      kept: ['a', 'b'],
      pruned: [],
    },
    {
      name: 'keeps the newest successes',
      runs: ['a:succeeded', 'b:succeeded', 'c:succeeded', 'd:succeeded', 'e:succeeded'],
      limits: { successfulRunsLimit: 3, failedRunsLimit: 3 },
      kept: ['c', 'd', 'e'],
      pruned: ['a', 'b'],
    },
    {
      name: 'every finished non-success status counts against failedRunsLimit',
      runs: [
        'a:failed',
        'b:timedOut',
        'c:skipped',
        'd:missed',
        'e:interrupted',
        'f:cancelled',
        'g:succeeded',
      ],
      limits: { successfulRunsLimit: 1, failedRunsLimit: 2 },
      kept: ['e', 'f', 'g'],
      pruned: ['a', 'b', 'c', 'd'],
    },
    {
      name: 'the two classes are counted separately',
      runs: ['a:succeeded', 'b:failed', 'c:succeeded', 'd:failed', 'e:succeeded', 'f:failed'],
      limits: { successfulRunsLimit: 1, failedRunsLimit: 2 },
      kept: ['d', 'e', 'f'],
      pruned: ['a', 'b', 'c'],
    },
    {
      name: 'pending and running are never pruned, even with limits of 0',
      runs: ['a:running', 'b:pending', 'c:succeeded', 'd:failed', 'e:running'],
      limits: { successfulRunsLimit: 0, failedRunsLimit: 0 },
      kept: ['a', 'b', 'e'],
      pruned: ['c', 'd'],
    },
    {
      name: 'active runs do not use up a limit',
      runs: ['a:succeeded', 'b:running', 'c:pending'],
      limits: { successfulRunsLimit: 1, failedRunsLimit: 0 },
      kept: ['a', 'b', 'c'],
      pruned: [],
    },
    {
      name: 'fractional and negative limits are floored at 0',
      runs: ['a:succeeded', 'b:succeeded', 'c:failed'],
      limits: { successfulRunsLimit: 1.9, failedRunsLimit: -3 },
      kept: ['b'],
      pruned: ['a', 'c'],
    },
  ])('$name', ({ runs, limits, kept, pruned }) => {
    const result = applyRetention(buildRuns(runs), limits);
    expect({ kept: ids(result.kept), pruned: ids(result.pruned) }).toEqual({ kept, pruned });
  });

  it('does not change its input', () => {
    const runs = buildRuns(['a:succeeded', 'b:succeeded']);
    applyRetention(runs, { successfulRunsLimit: 1, failedRunsLimit: 1 });
    expect(ids(runs)).toEqual(['a', 'b']);
  });

  it('classifies every status', () => {
    expect(RETENTION_CLASS).toEqual({
      pending: 'active',
      running: 'active',
      succeeded: 'successful',
      failed: 'failed',
      timedOut: 'failed',
      interrupted: 'failed',
      cancelled: 'failed',
      skipped: 'failed',
      missed: 'failed',
    });
  });
});
