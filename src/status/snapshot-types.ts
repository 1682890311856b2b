// The status document's shape (SPEC 7) and the input it is built from: types only, shared by the builder, the endpoint and the dashboard.
import type { WindowPhase } from '../cron/active-window.js';
import type { HistoryHealth, RunRecord, RunStatus, RunTrigger } from '../history/store.js';
import type { ManifestIssue } from '../manifest/load.js';
import type { HealthWord } from './health.js';
import type { ClusterInput, StatusCluster } from './replicas.js';

/** The format of the status document; raised only when a field changes meaning or disappears. */
export const STATUS_FORMAT = 1;

/** Everything the status is built from; the daemon gathers it, nothing here reads it itself. */
export interface StatusInput {
  now: Date;
  daemon: {
    version: string;
    pid: number;
    startedAt: Date;
    configDir: string;
    stateDir: string;
    watchMode: 'auto' | 'poll' | 'off';
    listen: string | null;
    maxConcurrentRuns: number | null;
    shuttingDown: boolean;
    /** Clock anomalies (steps back, watermarks ahead of the clock) since start-up. */
    clockAnomalies?: { total: number; last?: ClockAnomalyInput };
  };
  lastReconcile?: {
    at: Date;
    ok: boolean;
    created: number;
    updated: number;
    removed: number;
    unchanged: number;
    errors: number;
    trigger: string;
  };
  files: { file: string; ok: boolean; issues: ManifestIssue[]; schedules: string[] }[];
  schedules: {
    name: string;
    file: string;
    description?: string;
    schedule: string;
    humanSchedule: string;
    timezone: string;
    suspended: boolean;
    degraded: boolean;
    labels: Record<string, string>;
    concurrencyPolicy: string;
    /** Milliseconds. */
    maxSuccessAge?: number;
    /** The next few instants. */
    nextFires: Date[];
    /** After a clock step back: the instant this fixed-time schedule waits for. */
    clockWaitUntil?: Date;
    running: readonly { runId: string; startedAt: Date; attempt: number }[];
    /** Fires waiting (Queue policy or --max-concurrent-runs). */
    queued: number;
    /**
     * The runs the status looks at, oldest first: the schedule's whole history, or its history summary's runs
     * (which hold the newest of every status and the oldest; output tails are never needed).
     */
    runs: readonly RunRecord[];
    /** Retained runs by status; counted from `runs` when absent (they must then be the whole history). */
    counts?: Record<RunStatus, number>;
    /** The fingerprint of the running version (reconcile/fingerprint.ts): `cronops plan` compares it. */
    specHash?: string;
    /** `spec.after`: the schedules whose runs start this one. */
    after?: readonly { schedule: string; when: string }[];
    /** Why it never runs by `after` now (an upstream that is gone, a cycle, a chain too deep). */
    afterBlocked?: string;
    /** `spec.activeFrom` / `spec.activeUntil` (ISO instants): the schedule fires only inside them. */
    activeFrom?: string | undefined;
    activeUntil?: string | undefined;
  }[];
  history: HistoryHealth;
  /** The replicas of the PostgreSQL store (`cronops run --store`); absent on a single node. */
  cluster?: ClusterInput | undefined;
}

/** A run as the status shows it: no output tails, no task details. */
export interface StatusRun {
  id: string;
  status: RunStatus;
  trigger: RunTrigger;
  scheduledAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** Number of attempts made. */
  attempts: number;
  /** Exit code of the last attempt; null when it had none (signal, spawn error, not started). */
  exitCode: number | null;
  /** Signal that ended the last attempt, if any. */
  signal: string | null;
  reason: string | null;
  /** For `missed` records: how many fires the gap held, and its first and last instants. */
  missed: { count: number; first: string; last: string } | null;
}

/** One schedule in the status document. */
export interface StatusSchedule {
  name: string;
  file: string;
  description: string | null;
  schedule: string;
  humanSchedule: string;
  timezone: string;
  suspended: boolean;
  degraded: boolean;
  labels: Record<string, string>;
  concurrencyPolicy: string;
  maxSuccessAgeMs: number | null;
  health: HealthWord;
  /** ISO 8601 UTC instants. */
  nextFires: string[];
  /** `spec.activeFrom`, or null. */
  activeFrom: string | null;
  /** `spec.activeUntil`, or null. */
  activeUntil: string | null;
  /** Where now lies in the active window: `ended` fires nothing again (nextFires is empty); `not-started` fires from activeFrom on. */
  window: WindowPhase;
  /** After a clock step back: the instant this fixed-time schedule waits for (health `clock-anomaly`). */
  clockWaitUntil: string | null;
  running: { runId: string; startedAt: string; attempt: number; elapsedMs: number }[];
  queued: number;
  /** `spec.after`, when it has one: the schedules whose runs start this one. */
  after?: { schedule: string; when: string }[];
  /** Present when it never runs by `after` now, saying why (its file is invalid, see `files`). */
  afterBlocked?: string;
  /** The newest run in a final state other than skipped/missed. */
  lastRun: StatusRun | null;
  /** The newest record of any status (including running, skipped, missed). */
  lastEvent: StatusRun | null;
  lastSuccess: { id: string; finishedAt: string; durationMs: number | null } | null;
  /** Retained runs by status; every status is present. */
  counts: Record<RunStatus, number>;
  /**
   * The fingerprint of the running version; it changes exactly when a reload updates the schedule. Its
   * resolved spec (for `cronops plan`'s field-level diff) is in the definitions document (definitions.ts).
   */
  specHash?: string;
}

/** One manifest file in the status document. */
export interface StatusFile {
  file: string;
  ok: boolean;
  schedules: string[];
  errors: {
    line: number;
    col: number;
    path: string;
    message: string;
    /** `file:line:col: path: message`, exactly as `cronops validate` prints it. */
    text: string;
  }[];
}

/** The last clock anomaly, as the daemon reports it. */
export interface ClockAnomalyInput {
  at: Date;
  cause: 'startup' | 'reload' | 'clock-step';
  /** How far the clock went back (or how far the newest watermark was ahead of it). */
  stepMs: number;
  /** The schedules whose watermark was ahead of the clock. */
  schedules: string[];
}

/** The status document: JSON-ready, instants as ISO 8601 UTC strings. */
export interface StatusSnapshot {
  statusFormat: typeof STATUS_FORMAT;
  version: string;
  pid: number;
  startedAt: string;
  generatedAt: string;
  uptimeMs: number;
  configDir: string;
  stateDir: string;
  watch: 'auto' | 'poll' | 'off';
  listen: string | null;
  maxConcurrentRuns: number | null;
  shuttingDown: boolean;
  /** Clock anomalies since start-up and the last one (shown in the dashboard header). */
  clock: {
    anomalies: number;
    lastAnomaly: {
      at: string;
      cause: ClockAnomalyInput['cause'];
      stepMs: number;
      schedules: string[];
    } | null;
  };
  ready: boolean;
  /** Why the daemon is not ready; empty when ready. */
  notReadyReasons: string[];
  lastReconcile: {
    at: string;
    ok: boolean;
    trigger: string;
    created: number;
    updated: number;
    removed: number;
    unchanged: number;
    errors: number;
  } | null;
  history: {
    writable: boolean;
    lastError: string | null;
    pendingWrites: number;
    corrupt: { file: string; movedTo: string; error: string; at: string }[];
  };
  files: StatusFile[];
  summary: {
    schedules: number;
    byHealth: Record<HealthWord, number>;
    running: number;
    queued: number;
    files: number;
    invalidFiles: number;
  };
  /** Sorted by name. */
  schedules: StatusSchedule[];
  /** With `--store`: the replicas, and a warning when their configurations differ too long; else null. */
  cluster: StatusCluster | null;
}
