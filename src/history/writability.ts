// Whether the state directory takes writes: the condition the status and /readyz show, and the retry timer.
import type { Logger } from '../shared/logger.js';

/** Error codes that mean "the state directory cannot take writes right now" (SPEC 6). */
export const UNWRITABLE_CODES = [
  'EACCES',
  'EROFS',
  'ENOSPC',
  'EDQUOT',
  'EPERM',
  'ENOTDIR',
] as const;

export interface WritabilityOptions {
  stateDir: string;
  logger: Logger;
  /** How often `retry` is called while writes fail. */
  retryIntervalMs: number;
  /** Write what waits in memory. */
  retry(): Promise<void>;
  /** Changes still waiting in memory, for the log line. */
  pending(): number;
}

export class Writability {
  readonly #o: WritabilityOptions;
  #writable = true;
  #lastError: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: WritabilityOptions) {
    this.#o = options;
  }

  get writable(): boolean {
    return this.#writable;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** A write failed: say so once, keep the error, and retry on a timer. */
  markUnwritable(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#writable) {
      const code = (error as NodeJS.ErrnoException).code;
      const known = (UNWRITABLE_CODES as readonly (string | undefined)[]).includes(code);
      this.#o.logger.error(
        { err: error, stateDir: this.#o.stateDir },
        known
          ? 'history: state directory is not writable (read-only or full); keeping runs in memory and retrying'
          : 'history: writing the state directory failed; keeping runs in memory and retrying',
      );
    }
    this.#writable = false;
    this.#lastError = message;
    this.#startTimer();
  }

  /** A write succeeded: everything kept in memory meanwhile goes to disk now, not at the next tick. */
  markWritable(): void {
    if (this.#writable) return;
    this.#writable = true;
    this.#lastError = undefined;
    this.#o.logger.info(
      { stateDir: this.#o.stateDir, pendingWrites: this.#o.pending() },
      'history: state directory is writable again',
    );
    void this.#o.retry();
  }

  /** Nothing waits any more. */
  stopRetrying(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    this.#closed = true;
    this.stopRetrying();
  }

  #startTimer(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => void this.#o.retry(), this.#o.retryIntervalMs);
    this.#timer.unref();
  }
}
