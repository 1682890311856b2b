// Which runs a schedule keeps: the newest N successes and the newest M other finished runs; active runs always.
import type { RetentionLimits, RunRecord, RunStatus } from './store.js';

/** How a status counts against the retention limits. */
export type RetentionClass = 'active' | 'successful' | 'failed';

/**
 * `pending` and `running` are never pruned. Every other finished status except `succeeded`
 * counts against `failedRunsLimit`: they are the runs an operator looks for when
 * something went wrong (skipped and missed fires included).
 */
export const RETENTION_CLASS: Readonly<Record<RunStatus, RetentionClass>> = {
  pending: 'active',
  running: 'active',
  succeeded: 'successful',
  failed: 'failed',
  timedOut: 'failed',
  interrupted: 'failed',
  cancelled: 'failed',
  skipped: 'failed',
  missed: 'failed',
};

/** The outcome of applying retention. */
export interface RetentionResult {
  /** The runs kept, in their original order (oldest first). */
  kept: RunRecord[];
  /** The runs removed, oldest first. */
  pruned: RunRecord[];
}

/**
 * Apply retention to one schedule's runs, given oldest first. Walks from the newest
 * run back, so the newest of each class are kept. O(runs).
 */
export function applyRetention(
  runs: readonly RunRecord[],
  limits: RetentionLimits,
): RetentionResult {
  const successfulLimit = Math.max(0, Math.floor(limits.successfulRunsLimit));
  const failedLimit = Math.max(0, Math.floor(limits.failedRunsLimit));
  let successful = 0;
  let failed = 0;
  const keep = new Array<boolean>(runs.length);
  let prunedCount = 0;
  for (let index = runs.length - 1; index >= 0; index -= 1) {
    const run = runs[index] as RunRecord;
    const kind = RETENTION_CLASS[run.status];
    let kept = true;
    if (kind === 'successful') kept = ++successful <= successfulLimit;
    else if (kind === 'failed') kept = ++failed <= failedLimit;
    keep[index] = kept;
    if (!kept) prunedCount += 1;
  }
  if (prunedCount === 0) return { kept: runs.slice(), pruned: [] };
  const kept: RunRecord[] = [];
  const pruned: RunRecord[] = [];
  runs.forEach((run, index) => (keep[index] ? kept : pruned).push(run));
  return { kept, pruned };
}
