// The single exception type for broken invariants and unrecoverable I/O; expected outcomes are data.

/** Every code a SchedulerError can carry; the CLI maps each to an exit status. */
export const ERROR_CODES = [
  'USAGE',
  'MANIFEST_INVALID',
  'MANIFEST_READ_FAILED',
  'SCHEDULE_NOT_FOUND',
  'HISTORY_READ_FAILED',
  'HISTORY_WRITE_FAILED',
  'FIRE_NOT_DURABLE',
  'FIRE_CLAIMED_ELSEWHERE',
  'FIRE_SKIPPED_BY_POLICY',
  'STATUS_WRITE_FAILED',
  'STATUS_PORT_IN_USE',
  'STATE_DIR_UNAVAILABLE',
  'DAEMON_UNREACHABLE',
  'RUN_NOT_FOUND',
  'STORE_UNAVAILABLE',
  'STORE_SCHEMA_INCOMPATIBLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface SchedulerErrorOptions {
  /** The manifest or state file concerned. */
  file?: string;
  /** The schedule concerned. */
  schedule?: string;
  /** The error that caused this one. */
  cause?: unknown;
}

export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly schedule: string | undefined;

  constructor(code: ErrorCode, message: string, options: SchedulerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.schedule = options.schedule;
  }
}

/** Exit status for an error code: 2 for usage errors, 1 for everything else. */
export function exitCodeFor(code: ErrorCode): number {
  return code === 'USAGE' ? 2 : 1;
}
