// The health word of a schedule (ok, failing, stale, clock-anomaly, inactive, suspended, degraded), decided from its runs, its window and `now`.
import type { WindowPhase } from '../cron/active-window.js';
import type { RunRecord, RunStatus } from '../history/store.js';

/** What the status says about one schedule, in order of precedence (first wins). */
export const HEALTH_WORDS = [
  'degraded',
  'suspended',
  'inactive',
  'clock-anomaly',
  'failing',
  'stale',
  'ok',
] as const;

export type HealthWord = (typeof HEALTH_WORDS)[number];

/** Statuses a run ends in with an outcome the job produced (or was prevented from producing). */
const OUTCOME_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'timedOut', 'interrupted'];

/** Final statuses that make a run the schedule's "last run": outcomes plus `cancelled`. */
const LAST_RUN_STATUSES: readonly RunStatus[] = [...OUTCOME_STATUSES, 'cancelled'];

/** Outcomes that make a schedule `failing` when they are the newest outcome. */
const FAILING_STATUSES: readonly RunStatus[] = ['failed', 'timedOut', 'interrupted'];

/** Everything `healthOf` looks at. */
export interface HealthInput {
  /** Its file is invalid and it runs from the last good version. */
  degraded: boolean;
  /** `spec.suspend: true`. */
  suspended: boolean;
  /** Where now lies in activeFrom/activeUntil. @default 'active' */
  window?: WindowPhase;
  /** `spec.maxSuccessAge` in milliseconds; without it a schedule is never stale. */
  maxSuccessAge?: number | undefined;
  /** The schedule's retained runs, oldest first. */
  runs: readonly RunRecord[];
  /** After a clock step back, the instant a fixed-time schedule waits for (not to fire an instant twice). */
  clockWaitUntil?: Date | undefined;
}

/**
 * The health word. Precedence: degraded > suspended > inactive > clock-anomaly > failing > stale > ok.
 *
 * - `inactive`: outside its activeFrom/activeUntil window (not started yet, or ended): it fires nothing.
 * - `clock-anomaly`: the clock stepped back behind the schedule's last fire, and it waits (up to 3 hours)
 *   for `clockWaitUntil` so that no instant runs twice.
 * - `failing`: the newest run with an outcome (succeeded, failed, timedOut, interrupted)
 *   did not succeed. Skipped, missed and cancelled runs carry no outcome and are looked past,
 *   except that a schedule whose runs never complete is failing too: every final run so far was
 *   cancelled (killed by Replace, by shutdown), or the newest CANCELLED_STREAK of them were.
 * - `stale`: `maxSuccessAge` is set and either the last success finished more than
 *   `maxSuccessAge` before `now`, or there is no success and the oldest retained run was
 *   scheduled more than `maxSuccessAge` before `now`. A schedule with no runs at all is not stale.
 */
export function healthOf(input: HealthInput, now: Date): HealthWord {
  if (input.degraded) return 'degraded';
  if (input.suspended) return 'suspended';
  if (input.window !== undefined && input.window !== 'active') return 'inactive';
  if (input.clockWaitUntil !== undefined) return 'clock-anomaly';
  if (neverCompletes(input.runs)) return 'failing';
  const outcome = findNewestRun(input.runs, OUTCOME_STATUSES);
  if (outcome !== undefined && FAILING_STATUSES.includes(outcome.status)) return 'failing';
  if (isStale(input, now)) return 'stale';
  return 'ok';
}

/** This many cancelled runs in a row, newest first, make a schedule that never completes. */
export const CANCELLED_STREAK = 3;

/** Every final run was cancelled, or the newest CANCELLED_STREAK were. */
function neverCompletes(runs: readonly RunRecord[]): boolean {
  let cancelled = 0;
  for (let index = runs.length - 1; index >= 0; index -= 1) {
    const status = runs[index]?.status;
    if (status === undefined || !LAST_RUN_STATUSES.includes(status)) continue;
    if (status !== 'cancelled') return false;
    cancelled += 1;
    if (cancelled >= CANCELLED_STREAK) return true;
  }
  return cancelled > 0;
}

/** The newest run in a final state other than skipped or missed (cancelled counts). */
export function selectLastRun(runs: readonly RunRecord[]): RunRecord | undefined {
  return findNewestRun(runs, LAST_RUN_STATUSES);
}

/** The newest succeeded run. */
export function selectLastSuccess(runs: readonly RunRecord[]): RunRecord | undefined {
  return findNewestRun(runs, ['succeeded']);
}

/** When a run ended, for age comparisons: finishedAt, else startedAt, else scheduledAt. */
export function selectEndedAt(run: RunRecord): string {
  return run.finishedAt ?? run.startedAt ?? run.scheduledAt;
}

function isStale(input: HealthInput, now: Date): boolean {
  const maxAge = input.maxSuccessAge;
  if (maxAge === undefined) return false;
  const success = selectLastSuccess(input.runs);
  const since = success !== undefined ? selectEndedAt(success) : input.runs[0]?.scheduledAt;
  if (since === undefined) return false;
  const sinceMs = Date.parse(since);
  return Number.isFinite(sinceMs) && now.getTime() - sinceMs > maxAge;
}

/** Runs are kept oldest first (by id), so the newest match is the last one. */
function findNewestRun(
  runs: readonly RunRecord[],
  statuses: readonly RunStatus[],
): RunRecord | undefined {
  for (let index = runs.length - 1; index >= 0; index -= 1) {
    const run = runs[index];
    if (run !== undefined && statuses.includes(run.status)) return run;
  }
  return undefined;
}
