// The run history contract: run records, the HistoryStore interface, and the on-disk shard format.
import { join } from 'node:path';
import { SchedulerError } from '../shared/errors.js';

export { RUN_STATUSES, type RunStatus } from './run-status.js';
import { RUN_STATUSES, type RunStatus } from './run-status.js';

/** Why a run was started; `after`: the end of a run of a schedule in its `spec.after`. */
export type RunTrigger = 'schedule' | 'catchup' | 'manual' | 'retry' | 'after';

/** For a run started by `spec.after`: the run whose end started it. */
export interface UpstreamLink {
  schedule: string;
  runId: string;
  /** That run's final status. */
  status: string;
}

/** One process started for a run. */
export interface AttemptRecord {
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** ISO 8601 UTC. */
  startedAt: string;
  finishedAt?: string;
  /** null when the process was ended by a signal. */
  exitCode?: number | null;
  signal?: string | null;
  /** The bounded tail of combined stdout and stderr. */
  outputTail?: string;
  /** Why the attempt could not run or ended abnormally (spawn error, HTTP error). */
  error?: string;
  /** The process (group) id, to find it again after a crash. */
  pid?: number;
  /** The process start time, so a reused pid is never mistaken for this process. */
  processStartTime?: number;
}

/** One fire of one schedule (SPEC 4). */
export interface RunRecord {
  /** ULID: sorts by creation time. */
  id: string;
  schedule: string;
  trigger: RunTrigger;
  /** The instant the fire was scheduled for, ISO 8601 UTC. */
  scheduledAt: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  status: RunStatus;
  /** Why the run was skipped, failed, missed, cancelled or interrupted. */
  reason?: string;
  attempts: AttemptRecord[];
  /** Which version of the manifest ran it. */
  specHash: string;
  /** For status 'missed': one record per gap of missed fires. */
  missed?: { count: number; first: string; last: string };
  /** Trigger `after`: the run whose end started this one. */
  upstream?: UpstreamLink;
  /** Trigger `after`: the id of the chain's first run (a run without it is its own chain's first run). */
  chainId?: string;
  /** Trigger `after`: the chain's first run's scheduledAt; date templates read it. */
  logicalTime?: string;
  /** The replica that recorded the run (PostgreSQL store: `cronops run --store`); absent on a single node. */
  replica?: string;
  /**
   * On final records (succeeded, failed, timedOut, missed): when each notify entry (by key, see
   * runtime/notify-policy.ts) last sent a notification for the schedule, carried forward from record to record.
   */
  notified?: Record<string, string>;
}

/** How many finished runs a schedule keeps (`spec.history`). */
export interface RetentionLimits {
  /** Newest `succeeded` runs kept. */
  successfulRunsLimit: number;
  /** Newest runs kept of the other finished statuses (failed, timedOut, interrupted, cancelled, skipped, missed). */
  failedRunsLimit: number;
}

/** Limits used for a schedule until `setRetention` is called for it. */
export const DEFAULT_RETENTION: RetentionLimits = { successfulRunsLimit: 50, failedRunsLimit: 50 };

/** A filter over runs; every field narrows the result. */
export interface RunQuery {
  schedule?: string;
  /** Only these schedules (with `schedule` too: both must match). */
  schedules?: readonly string[];
  /** Any of these statuses. */
  status?: RunStatus[];
  /** Runs scheduled at or after this instant. */
  since?: Date;
  /** Runs scheduled before this instant. */
  until?: Date;
  /** At most this many runs (the newest). */
  limit?: number;
  /** Cursor: only runs with id < before (the id of the last run of the previous page). */
  before?: string;
  /** Only the runs of one chain: the run with this id and every run whose chainId it is. */
  chain?: string;
}

/** Whether history reaches the disk, for the status file and /readyz. */
export interface HistoryHealth {
  /** false while writes fail (read-only or full state directory); runs are kept in memory. */
  writable: boolean;
  /** The last write error, while not writable. */
  lastError?: string;
  /** Shards with changes not yet on disk. */
  pendingWrites: number;
  /** Files found corrupt at start-up and moved aside. */
  corrupt: { file: string; movedTo: string; error: string; at: string }[];
}

/**
 * What the daemon knows about a schedule's history without reading its runs: kept in memory for every
 * schedule and written at the head of its shard (docs/design/history-summary.md).
 */
export interface HistorySummary {
  /** Retained runs. */
  total: number;
  /** Retained runs by status; every status is present. */
  counts: Record<RunStatus, number>;
  /** The oldest retained run id (ULIDs sort by creation time). */
  oldestId?: string;
  /** The newest retained run id. */
  newestId?: string;
  /**
   * Copies without output tails of the runs the daemon reads without the shard, oldest first: the oldest
   * run, the newest two, the newest two of each status and every pending or running run. So the newest
   * run of any set of statuses is here (last run, last success, last outcome, the run before the one
   * finishing), and so is the oldest.
   */
  runs: readonly RunRecord[];
}

export interface HistoryStore {
  /**
   * Reads the head (summary) of every history/<name>.json under the state dir, not its runs; a corrupt/truncated
   * file is moved aside to <file>.corrupt-<timestamp>, reported, and a fresh one started. Never throws for a bad file.
   */
  open(): Promise<{ schedules: string[]; corrupt: HistoryHealth['corrupt'] }>;
  /** Insert or replace a run (by id) and apply retention. With durable: true the returned promise resolves only once the shard is on disk (fsynced and renamed); the daemon does not need it, because the fire journal makes a fire durable before its process starts. Other writes are coalesced (many records in a short time → few file writes). */
  recordRun(
    run: RunRecord,
    options?: { durable?: boolean; lastScheduledAt?: string },
  ): Promise<void>;
  /** The scheduled instant of the last fire started, persisted per schedule in the same shard (SPEC 3: written durably before the process starts). */
  lastScheduledAt(schedule: string): string | undefined;
  setLastScheduledAt(schedule: string, at: string, options?: { durable?: boolean }): Promise<void>;
  setRetention(schedule: string, limits: RetentionLimits): void;
  /** The schedule's summary, from memory (an empty one for an unknown schedule). */
  summary(schedule: string): HistorySummary;
  /** Every retained run of the schedule, oldest first, with output tails (reads the shard unless it is in memory). */
  runs(schedule: string): Promise<readonly RunRecord[]>;
  /** Newest first (by id), across schedules; reads only the shards that can hold the newest matches. */
  listRuns(query: RunQuery): Promise<RunRecord[]>;
  /** One run with its output tails; `schedule`, when known, spares looking through the other shards. */
  getRun(id: string, options?: { schedule?: string }): Promise<RunRecord | undefined>;
  /** Whether the schedule's history holds the run; answered from memory unless only its shard can tell. */
  hasRun(schedule: string, id: string): Promise<boolean>;
  /** Be told when a schedule's summary changed other than by recordRun or setLastScheduledAt (a shard read and merged, pruned or found corrupt). */
  subscribe(listener: (schedule: string) => void): () => void;
  health(): HistoryHealth;
  /**
   * A mark of what the schedule's history holds now: the predicate answers whether all of it has reached the
   * disk since (a run kept only in memory while the disk is full must keep its fire in the journal).
   * Optional: a store that writes before it returns needs none.
   */
  savePoint?(schedule: string): () => boolean;
  /** All pending writes on disk (or failed and reported). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The format version written in every shard. */
export const HISTORY_FILE_VERSION = 1;

/** The content of `<stateDir>/history/<name>.json` (written with its summary first: see shard-file.ts). */
export interface ShardFile {
  version: typeof HISTORY_FILE_VERSION;
  schedule: string;
  lastScheduledAt?: string;
  /** Oldest first (by id). */
  runs: RunRecord[];
}

/** Schedule names (SPEC 2); also what keeps a shard path inside the history directory. */
const SCHEDULE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The history directory of a state directory. */
export function resolveHistoryDir(stateDir: string): string {
  return join(stateDir, 'history');
}

/** The shard file of a schedule; throws for a name that is not a valid schedule name. */
export function resolveShardPath(stateDir: string, schedule: string): string {
  if (!SCHEDULE_NAME.test(schedule) || schedule.length > 63) {
    throw new SchedulerError(
      'INTERNAL',
      `invalid schedule name for history: ${JSON.stringify(schedule)}`,
      {
        schedule,
      },
    );
  }
  return join(resolveHistoryDir(stateDir), `${schedule}.json`);
}

/** The schedule a directory entry holds the shard of, or undefined for any other file (temp, moved aside). */
export function selectShardName(fileName: string): string | undefined {
  if (!fileName.endsWith('.json')) return undefined;
  const name = fileName.slice(0, -'.json'.length);
  return SCHEDULE_NAME.test(name) && name.length <= 63 ? name : undefined;
}

/**
 * Check that parsed JSON is a shard of `schedule`, with its runs sorted oldest first.
 * Throws a SchedulerError (HISTORY_READ_FAILED) saying what is wrong.
 */
export function checkShardFile(data: unknown, schedule: string, file: string): ShardFile {
  const fail = (what: string): never => {
    throw new SchedulerError('HISTORY_READ_FAILED', `${file}: ${what}`, { file, schedule });
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return fail('expected a JSON object');
  const shard = data as Record<string, unknown>;
  if (shard['version'] !== HISTORY_FILE_VERSION) {
    return fail(
      `expected version ${HISTORY_FILE_VERSION}, got ${JSON.stringify(shard['version'])}`,
    );
  }
  if (!Array.isArray(shard['runs'])) return fail('expected "runs" to be an array');
  const last = shard['lastScheduledAt'];
  if (last !== undefined && typeof last !== 'string')
    return fail('expected "lastScheduledAt" to be a string');
  const runs = shard['runs'] as unknown[];
  runs.forEach((run, index) => {
    const problem = findRunProblem(run);
    if (problem !== undefined) fail(`runs[${index}]: ${problem}`);
  });
  const sorted = (runs as RunRecord[]).slice().sort(compareRunIds);
  return {
    version: HISTORY_FILE_VERSION,
    schedule,
    ...(typeof last === 'string' ? { lastScheduledAt: last } : {}),
    runs: sorted,
  };
}

/** What is wrong with a parsed run record (as far as the store relies on it), or undefined. */
export function findRunProblem(run: unknown): string | undefined {
  if (typeof run !== 'object' || run === null) return 'expected an object';
  const record = run as Record<string, unknown>;
  if (typeof record['id'] !== 'string') return 'expected a string "id"';
  if (!RUN_STATUSES.includes(record['status'] as RunStatus)) {
    return `unknown status ${JSON.stringify(record['status'])}`;
  }
  if (!Array.isArray(record['attempts'])) return 'expected "attempts" to be an array';
  return undefined;
}

/** Ascending by id (ULIDs sort by creation time). */
export function compareRunIds(a: RunRecord, b: RunRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
