// The status document (SPEC 7) built from the daemon's state: pure, so file.ts and http.ts only serialise it.
import { selectWindowPhase, toActiveWindow } from '../cron/active-window.js';
import type { RunRecord, RunStatus } from '../history/store.js';
import { RUN_STATUSES } from '../history/store.js';
// The formatter alone, from the dependency-free module: the status needs none of the loader's code.
import { formatIssue } from '../manifest/issue.js';
import {
  HEALTH_WORDS,
  healthOf,
  selectEndedAt,
  selectLastRun,
  selectLastSuccess,
  type HealthWord,
} from './health.js';
import { compareByName, compareText } from '../shared/compare-text.js';
import { buildClusterStatus } from './replicas.js';
import {
  STATUS_FORMAT,
  type StatusFile,
  type StatusInput,
  type StatusRun,
  type StatusSchedule,
  type StatusSnapshot,
} from './snapshot-types.js';

export { STATUS_FORMAT } from './snapshot-types.js';
export type { ClusterInput, StatusCluster, StatusReplica } from './replicas.js';
export type {
  ClockAnomalyInput,
  StatusFile,
  StatusInput,
  StatusRun,
  StatusSchedule,
  StatusSnapshot,
} from './snapshot-types.js';

/**
 * Entries of the previous snapshot, by schedule name, with the key (hashed) and the input they were built
 * for. With thousands of schedules, rebuilding only the entries whose inputs changed keeps a snapshot cheap
 * (a run event touches one schedule). Input entries are treated as immutable: the same input object
 * (of a schedule that is not running and has no `maxSuccessAge`, so nothing in it moves with the clock)
 * gives the same entry without its key being computed. The key's hash is kept, not the key: a number
 * rather than a string of a few hundred bytes per schedule.
 */
export type StatusScheduleMemo = Map<
  string,
  { keyHash: number; input: StatusInput['schedules'][number]; entry: StatusSchedule }
>;

/**
 * A 52-bit hash of `text` (two 32-bit FNV-1a hashes with different offsets, combined): two different keys
 * hash alike about once in 2^52 comparisons.
 */
function hashKey(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

/** Everything an entry depends on, as a string; undefined when it depends on the clock (running, stale-able). */
function selectMemoKey(schedule: StatusInput['schedules'][number], now: Date): string | undefined {
  if (schedule.running.length > 0) return undefined; // elapsed times move with the clock
  const runs = schedule.runs;
  const tail = runs
    .slice(-3)
    .map((r) => `${r.id}:${r.status}:${r.finishedAt ?? ''}:${r.attempts.length}`)
    .join(',');
  const counts = schedule.counts ? RUN_STATUSES.map((status) => schedule.counts?.[status]) : [];
  return [
    schedule.specHash ?? '',
    schedule.file,
    schedule.degraded,
    schedule.suspended,
    schedule.humanSchedule,
    schedule.queued,
    schedule.nextFires.map((d) => d.getTime()).join(','),
    runs.length,
    counts.join(','),
    runs[0]?.id ?? '',
    tail,
    schedule.clockWaitUntil?.getTime() ?? '',
    // Staleness moves with the clock: such entries are rebuilt once a second at most.
    schedule.maxSuccessAge === undefined ? '' : Math.floor(now.getTime() / 1000),
    // So does the active window's phase.
    hasWindow(schedule) ? Math.floor(now.getTime() / 1000) : '',
  ].join('|');
}

function hasWindow(schedule: StatusInput['schedules'][number]): boolean {
  return schedule.activeFrom !== undefined || schedule.activeUntil !== undefined;
}

/** Build the status document. Pure: the same input always gives the same document. */
export function buildStatusSnapshot(input: StatusInput, memo?: StatusScheduleMemo): StatusSnapshot {
  const tally = { memoized: 0 };
  const entries = input.schedules.map((schedule) =>
    selectStatusEntry(schedule, input.now, memo, tally),
  );
  return assembleStatusSnapshot(input, entries, memo, tally.memoized);
}

/**
 * The status entry of one schedule: the memo's when its inputs did not change, else built (and kept in
 * the memo). `tally.memoized` counts the entries of this snapshot held by the memo. buildStatusSnapshot
 * is this for each schedule followed by assembleStatusSnapshot; a caller that builds a large status a
 * few entries per turn of the event loop calls the two itself.
 */
export function selectStatusEntry(
  schedule: StatusInput['schedules'][number],
  now: Date,
  memo: StatusScheduleMemo | undefined,
  tally: { memoized: number },
): StatusSchedule {
  if (!memo) return buildStatusSchedule(schedule, now);
  const cached = memo.get(schedule.name);
  if (cached?.input === schedule && schedule.maxSuccessAge === undefined && !hasWindow(schedule)) {
    tally.memoized += 1;
    return cached.entry;
  }
  const key = selectMemoKey(schedule, now);
  const keyHash = key === undefined ? undefined : hashKey(key);
  if (keyHash !== undefined && cached?.keyHash === keyHash) {
    tally.memoized += 1;
    cached.input = schedule;
    return cached.entry;
  }
  const entry = buildStatusSchedule(schedule, now);
  if (keyHash === undefined) {
    memo.delete(schedule.name);
  } else {
    tally.memoized += 1;
    memo.set(schedule.name, { keyHash, input: schedule, entry });
  }
  return entry;
}

/**
 * The document around `entries` (those of `input.schedules`, in the same order, from selectStatusEntry):
 * sorted by name, the memo rid of schedules that are gone (`memoized`: how many of the entries it holds).
 */
export function assembleStatusSnapshot(
  input: StatusInput,
  entries: StatusSchedule[],
  memo?: StatusScheduleMemo,
  memoized = 0,
): StatusSnapshot {
  const { now, daemon } = input;
  // Usually sorted already (the daemon gives them by name): then this is one pass.
  const schedules = isSortedByName(entries) ? entries : entries.sort(compareByName);
  if (memo && memo.size > memoized) {
    const seen = new Set(input.schedules.map((schedule) => schedule.name));
    for (const name of memo.keys()) if (!seen.has(name)) memo.delete(name);
  }
  const files = input.files.map(selectStatusFile).sort((a, b) => compareText(a.file, b.file));
  const notReadyReasons = selectNotReadyReasons(input);
  const byHealth = Object.fromEntries(HEALTH_WORDS.map((word) => [word, 0])) as Record<
    HealthWord,
    number
  >;
  for (const schedule of schedules) byHealth[schedule.health] += 1;
  return {
    statusFormat: STATUS_FORMAT,
    version: daemon.version,
    pid: daemon.pid,
    startedAt: daemon.startedAt.toISOString(),
    generatedAt: now.toISOString(),
    uptimeMs: Math.max(0, now.getTime() - daemon.startedAt.getTime()),
    configDir: daemon.configDir,
    stateDir: daemon.stateDir,
    watch: daemon.watchMode,
    listen: daemon.listen,
    maxConcurrentRuns: daemon.maxConcurrentRuns,
    shuttingDown: daemon.shuttingDown,
    clock: buildClockStatus(daemon.clockAnomalies),
    ready: notReadyReasons.length === 0,
    notReadyReasons,
    lastReconcile: input.lastReconcile
      ? {
          at: input.lastReconcile.at.toISOString(),
          ok: input.lastReconcile.ok,
          trigger: input.lastReconcile.trigger,
          created: input.lastReconcile.created,
          updated: input.lastReconcile.updated,
          removed: input.lastReconcile.removed,
          unchanged: input.lastReconcile.unchanged,
          errors: input.lastReconcile.errors,
        }
      : null,
    history: {
      writable: input.history.writable,
      lastError: input.history.lastError ?? null,
      pendingWrites: input.history.pendingWrites,
      corrupt: input.history.corrupt.map(({ file, movedTo, error, at }) => ({
        file,
        movedTo,
        error,
        at,
      })),
    },
    files,
    summary: {
      schedules: schedules.length,
      byHealth,
      running: schedules.reduce((sum, schedule) => sum + schedule.running.length, 0),
      queued: schedules.reduce((sum, schedule) => sum + schedule.queued, 0),
      files: files.length,
      invalidFiles: files.filter((file) => !file.ok).length,
    },
    schedules,
    cluster: input.cluster ? buildClusterStatus(input.cluster, now) : null,
  };
}

function buildClockStatus(
  anomalies: StatusInput['daemon']['clockAnomalies'],
): StatusSnapshot['clock'] {
  const last = anomalies?.last;
  return {
    anomalies: anomalies?.total ?? 0,
    lastAnomaly: last
      ? {
          at: last.at.toISOString(),
          cause: last.cause,
          stepMs: last.stepMs,
          schedules: [...last.schedules],
        }
      : null,
  };
}

/** What readiness depends on: a status input without its schedules (cheap to make for every probe). */
export type ReadinessInput = {
  daemon: Pick<StatusInput['daemon'], 'shuttingDown'>;
  lastReconcile?: unknown;
  history: Pick<StatusInput['history'], 'writable' | 'lastError'>;
  files: readonly Pick<StatusInput['files'][number], 'ok'>[];
};

/**
 * Why the daemon should not receive traffic (/readyz). Not ready while: it is shutting
 * down; no reconcile has finished yet; history cannot be written; or manifest files
 * exist, none of them loaded and at least one has errors (nothing would run).
 * An empty config directory is ready: it validly asks for no schedules.
 */
export function selectNotReadyReasons(input: ReadinessInput): string[] {
  const reasons: string[] = [];
  if (input.daemon.shuttingDown) reasons.push('shutting down');
  if (input.lastReconcile === undefined) reasons.push('manifests not loaded yet');
  if (!input.history.writable) {
    const detail = input.history.lastError ? `: ${input.history.lastError}` : '';
    reasons.push(`history not writable${detail}`);
  }
  if (input.files.length > 0 && input.files.every((file) => !file.ok)) {
    const count = input.files.length;
    reasons.push(
      `no manifest file loaded: ${count === 1 ? 'the only file is' : `all ${count} files are`} invalid`,
    );
  }
  return reasons;
}

/**
 * Status files by the file report they were built from: reports are never changed once made, and a
 * reload that changed one file keeps the others' reports, so 10,000 files are not rebuilt per snapshot.
 */
const statusFiles = new WeakMap<StatusInput['files'][number], StatusFile>();

function selectStatusFile(file: StatusInput['files'][number]): StatusFile {
  let built = statusFiles.get(file);
  if (built === undefined) {
    built = buildStatusFile(file);
    statusFiles.set(file, built);
  }
  return built;
}

function buildStatusFile(file: StatusInput['files'][number]): StatusFile {
  return {
    file: file.file,
    ok: file.ok,
    schedules: [...file.schedules].sort(compareText),
    errors: file.issues.map((issue) => ({
      line: issue.line,
      col: issue.col,
      path: issue.path,
      message: issue.message,
      text: formatIssue(issue),
    })),
  };
}

function buildStatusSchedule(
  schedule: StatusInput['schedules'][number],
  now: Date,
): StatusSchedule {
  const { runs } = schedule;
  const window = selectWindowPhase(
    toActiveWindow(schedule),
    now,
    // No fire left before activeUntil: it has ended (a suspended one shows no fires at all).
    schedule.nextFires[0]?.getTime() ??
      (schedule.activeUntil !== undefined && !schedule.suspended ? Infinity : undefined),
  );
  const lastRun = selectLastRun(runs);
  const lastEvent = runs[runs.length - 1];
  const lastSuccess = selectLastSuccess(runs);
  let counts: Record<RunStatus, number>;
  if (schedule.counts) {
    counts = selectStatusCounts(schedule.counts);
  } else {
    counts = { ...NO_RUNS };
    for (const run of runs) counts[run.status] += 1;
    if (runs.length === 0) counts = NO_RUNS;
  }
  return {
    name: schedule.name,
    file: schedule.file,
    description: schedule.description ?? null,
    schedule: schedule.schedule,
    humanSchedule: schedule.humanSchedule,
    timezone: schedule.timezone,
    suspended: schedule.suspended,
    degraded: schedule.degraded,
    labels: sortLabels(schedule.labels),
    concurrencyPolicy: schedule.concurrencyPolicy,
    maxSuccessAgeMs: schedule.maxSuccessAge ?? null,
    ...(schedule.after !== undefined && { after: schedule.after.map((entry) => ({ ...entry })) }),
    ...(schedule.afterBlocked !== undefined && { afterBlocked: schedule.afterBlocked }),
    health: healthOf(
      {
        degraded: schedule.degraded,
        suspended: schedule.suspended,
        window,
        maxSuccessAge: schedule.maxSuccessAge,
        runs,
        clockWaitUntil: schedule.clockWaitUntil,
      },
      now,
    ),
    clockWaitUntil: schedule.clockWaitUntil?.toISOString() ?? null,
    nextFires: schedule.nextFires.map((at) => at.toISOString()),
    activeFrom: schedule.activeFrom ?? null,
    activeUntil: schedule.activeUntil ?? null,
    window,
    running: schedule.running.map((run) => ({
      runId: run.runId,
      startedAt: run.startedAt.toISOString(),
      attempt: run.attempt,
      elapsedMs: Math.max(0, now.getTime() - run.startedAt.getTime()),
    })),
    queued: schedule.queued,
    lastRun: lastRun ? buildStatusRun(lastRun) : null,
    lastEvent: lastEvent ? buildStatusRun(lastEvent) : null,
    lastSuccess: lastSuccess
      ? {
          id: lastSuccess.id,
          finishedAt: selectEndedAt(lastSuccess),
          durationMs: lastSuccess.durationMs ?? null,
        }
      : null,
    counts,
    ...(schedule.specHash !== undefined ? { specHash: schedule.specHash } : {}),
  };
}

/** The counts of a schedule without runs: one object, shared by every such entry (entries are never changed). */
const NO_RUNS: Readonly<Record<RunStatus, number>> = Object.freeze(
  Object.fromEntries(RUN_STATUSES.map((status) => [status, 0])) as Record<RunStatus, number>,
);

/** Every status, in RUN_STATUSES order, 0 when absent; NO_RUNS when all are 0. */
function selectStatusCounts(counts: Partial<Record<RunStatus, number>>): Record<RunStatus, number> {
  if (RUN_STATUSES.every((status) => !counts[status])) return NO_RUNS;
  return Object.fromEntries(RUN_STATUSES.map((status) => [status, counts[status] ?? 0])) as Record<
    RunStatus,
    number
  >;
}

/** Copies named fields only: output tails and anything else a record may carry stay out. */
function buildStatusRun(run: RunRecord): StatusRun {
  const attempt = run.attempts[run.attempts.length - 1];
  return {
    id: run.id,
    status: run.status,
    trigger: run.trigger,
    scheduledAt: run.scheduledAt,
    startedAt: run.startedAt ?? null,
    finishedAt: run.finishedAt ?? null,
    durationMs: run.durationMs ?? null,
    attempts: run.attempts.length,
    exitCode: attempt?.exitCode ?? null,
    signal: attempt?.signal ?? null,
    reason: run.reason ?? null,
    missed: run.missed
      ? { count: run.missed.count, first: run.missed.first, last: run.missed.last }
      : null,
  };
}

/** The labels by key; the same object when they already are (labels are shared by schedules and never changed). */
function sortLabels(labels: Record<string, string>): Record<string, string> {
  const keys = Object.keys(labels);
  for (let index = 1; index < keys.length; index += 1) {
    if (compareText(keys[index - 1] as string, keys[index] as string) > 0)
      return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => compareText(a, b)));
  }
  return labels;
}

function isSortedByName(entries: readonly StatusSchedule[]): boolean {
  for (let index = 1; index < entries.length; index += 1)
    if ((entries[index - 1] as StatusSchedule).name > (entries[index] as StatusSchedule).name)
      return false;
  return true;
}
