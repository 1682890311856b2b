// What one attempt of a task (a process or an http request) ended with: shared by run-job.ts and http-task.ts.
import type { RunOutcome } from './outcome.js';

/** What one attempt did. */
export interface AttemptResult {
  outcome: RunOutcome;
  /** The main process's exit code; null when killed by a signal, never started, or http. */
  exitCode: number | null;
  /** The signal that ended the main process (`SIGTERM`, …), or null. */
  signal: string | null;
  /** The last bytes of the combined output (http: status line + body tail), secrets redacted. */
  outputTail: string;
  startedAt: Date;
  finishedAt: Date;
  /** One line saying why it did not succeed; absent on success. Secrets redacted. */
  error?: string;
  /** The main process's pid, which is also its process group id. */
  pid?: number;
  /** /proc/<pid>/stat start time of the main process, for orphan reaping. */
  processStartTime?: number;
  /** http tasks: the response status. */
  httpStatus?: number;
}
