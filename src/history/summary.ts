// A schedule's history summary (counts, ids, the few runs the daemon reads) built from its runs: pure.
import type { HistorySummary, RunRecord, RunStatus } from './store.js';

/** The newest runs of any status kept in a summary. */
const RECENT_RUNS = 2;
/** The newest runs of each status kept in a summary. */
const RUNS_PER_STATUS = 2;
const ACTIVE: readonly RunStatus[] = ['pending', 'running'];

/** Every status at 0. */
export function createStatusCounts(): Record<RunStatus, number> {
  // A literal: this runs for every shard at start-up. Same order as RUN_STATUSES.
  return {
    pending: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    skipped: 0,
    missed: 0,
    interrupted: 0,
    cancelled: 0,
  };
}

/** The summary of a schedule without runs. */
export function createEmptySummary(): HistorySummary {
  return { total: 0, counts: createStatusCounts(), runs: [] };
}

/** The summary of a schedule's retained runs, given oldest first (by id). O(runs). */
export function summarizeRuns(runs: readonly RunRecord[]): HistorySummary {
  const counts = createStatusCounts();
  for (const run of runs) counts[run.status] += 1;
  const oldest = runs[0];
  const newest = runs[runs.length - 1];
  return {
    total: runs.length,
    counts,
    ...(oldest !== undefined ? { oldestId: oldest.id } : {}),
    ...(newest !== undefined ? { newestId: newest.id } : {}),
    runs: selectSummaryRuns(runs).map((run) => withoutOutputTails(run)),
  };
}

/**
 * The summary after recording `run` (new, or replacing a run with the same id), for a schedule whose runs
 * are not in memory. Exact but for two things that need the runs and are settled when they are read: a
 * replaced run that is not among the summary's runs is counted as new, and retention is not applied.
 */
export function addToSummary(summary: HistorySummary, run: RunRecord): HistorySummary {
  const counts = { ...summary.counts };
  const previous = summary.runs.find((known) => known.id === run.id);
  let total = summary.total;
  if (previous !== undefined) counts[previous.status] -= 1;
  else total += 1;
  counts[run.status] += 1;
  const runs = summary.runs.filter((known) => known.id !== run.id);
  let index = runs.length;
  while (index > 0 && (runs[index - 1] as RunRecord).id > run.id) index -= 1;
  runs.splice(index, 0, withoutOutputTails(run));
  const oldestId =
    summary.oldestId === undefined || run.id < summary.oldestId ? run.id : summary.oldestId;
  const newestId =
    summary.newestId === undefined || run.id > summary.newestId ? run.id : summary.newestId;
  return { total, counts, oldestId, newestId, runs: selectSummaryRuns(runs) };
}

/**
 * The runs a summary keeps, oldest first: the oldest, the newest RECENT_RUNS, the newest RUNS_PER_STATUS of
 * each status, and every active one. Applied to a summary's own runs plus a new one, it keeps the same set
 * it would keep from all the runs (each kept run is the newest of something, or the oldest).
 */
export function selectSummaryRuns<T extends RunRecord>(runs: readonly T[]): T[] {
  const seen = createStatusCounts();
  const picked: T[] = [];
  for (let index = runs.length - 1; index >= 0; index -= 1) {
    const run = runs[index] as T;
    seen[run.status] += 1;
    if (
      index === 0 ||
      index >= runs.length - RECENT_RUNS ||
      seen[run.status] <= RUNS_PER_STATUS ||
      ACTIVE.includes(run.status)
    ) {
      picked.push(run);
    }
  }
  return picked.reverse();
}

/** A copy of the run without output tails (the rest of each attempt is kept). */
export function withoutOutputTails(run: RunRecord): RunRecord {
  if (run.attempts.every((attempt) => attempt.outputTail === undefined)) return copyRun(run);
  const copy = copyRun(run);
  for (const attempt of copy.attempts) delete attempt.outputTail;
  return copy;
}

/** A copy that shares nothing mutable with the run. */
export function copyRun(run: RunRecord): RunRecord {
  const copy: RunRecord = { ...run, attempts: run.attempts.map((attempt) => ({ ...attempt })) };
  if (run.missed !== undefined) copy.missed = { ...run.missed };
  return copy;
}

/** Whether the summary shows more finished runs than the limits keep (retention will prune some). */
export function exceedsRetention(
  summary: HistorySummary,
  limits: { successfulRunsLimit: number; failedRunsLimit: number },
): boolean {
  const { counts } = summary;
  const failed = summary.total - counts.succeeded - counts.pending - counts.running;
  return counts.succeeded > limits.successfulRunsLimit || failed > limits.failedRunsLimit;
}
