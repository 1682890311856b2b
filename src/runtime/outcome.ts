// How one attempt ended, decided from how its process ended: outcomes are data, not exceptions.

/**
 * How one attempt of a task ended.
 * - `succeeded`: exit code 0 (or an expected HTTP status).
 * - `failed`: non-zero exit code, death by a signal nobody in cronops sent, or a bad HTTP status.
 * - `timed-out`: cronops stopped it because it ran longer than its timeout.
 * - `killed`: cronops stopped it on request (Replace, shutdown).
 * - `spawn-error`: it never started (command not found, permission denied, bad working directory).
 */
export type RunOutcome = 'succeeded' | 'failed' | 'timed-out' | 'killed' | 'spawn-error';

/** How the process ended (runtime/spawn-process.ts), with cronops' own decisions: what decides the outcome. */
export interface OutcomeFlags {
  /** The process failed for any reason (non-zero exit, signal, spawn error). */
  failed: boolean;
  /** cronops' own timeout fired (the whole group is killed). */
  timedOut: boolean;
  /** The process was terminated by a signal. */
  isTerminated: boolean;
  /** The exit code, undefined when it was killed by a signal or never started. */
  exitCode?: number;
  /** The caller's abort signal fired (Replace, shutdown). */
  isCanceled?: boolean;
  /** The spawn error's code (`ENOENT`, `EACCES`, …), set only when the process never ran. */
  code?: string;
}

/**
 * Decide an attempt's outcome. Our own decisions (timeout, cancel) win over what the process
 * did in response to them: a job that exits 0 on SIGTERM after its timeout still timed out.
 * A death by a signal cronops did not send (OOM killer, the job killing itself) is a failure,
 * so it is retried and notified like any other failure (systemd's `Result=signal`).
 */
export function toRunOutcome(result: OutcomeFlags): RunOutcome {
  if (result.timedOut) return 'timed-out';
  if (result.isCanceled === true) return 'killed';
  if (!result.failed) return 'succeeded';
  if (result.exitCode === undefined && !result.isTerminated && result.code !== undefined) {
    return 'spawn-error';
  }
  return 'failed';
}
