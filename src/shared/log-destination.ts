// Where the daemon's log lines go: info lines batched, warnings and errors written at once, none lost on exit.
import { writeSync } from 'node:fs';
import { symbols } from 'pino';

/** pino's level for `warn`: lines at or above it are written before `write` returns. */
const WARN_LEVEL = 40;

/** How long a write that met a full non-blocking pipe waits before it tries again. */
const RETRY_WAIT_MS = 1;

export interface LogDestinationOptions {
  /** The file descriptor written to. @default 1 (stdout) */
  fd?: number;
  /** Batched lines are written once they hold this many characters. @default 16_384 */
  bufferChars?: number;
  /** ...or once the first of them has waited this long. @default 50 */
  flushAfterMs?: number;
  /** Lines at or above this pino level flush the batch and are written synchronously. @default 40 (warn) */
  syncLevel?: number;
  /** Turns pino's JSON line into what is written (the pretty format); the line itself by default. */
  format?: (line: string) => string;
  /** The write system call; tests pass a recorder. @default fs.writeSync */
  writeFd?: (fd: number, data: string | Buffer) => number;
}

/**
 * A pino destination. Lines below `syncLevel` (info, debug) are appended to a batch written with one
 * system call when it is full or after `flushAfterMs`, and a full pipe only delays them (they stay
 * batched, the event loop goes on). A warning or an error first writes the batch, then itself, and
 * returns only once both are in the kernel: a `kill -9` right after it loses none of it. `flushSync`
 * writes the batch; every destination made here is flushed when the process exits (SIGTERM's normal
 * exit, `process.exit`, an uncaught exception), so only `kill -9` can lose batched info lines.
 */
export class LogDestination {
  /** Asks pino to set `lastLevel` before each `write`. */
  readonly [symbols.needsMetadataGsym] = true;
  /** The level of the line pino is about to write (set by pino). */
  lastLevel = 0;
  readonly #fd: number;
  readonly #bufferChars: number;
  readonly #flushAfterMs: number;
  readonly #syncLevel: number;
  readonly #format: ((line: string) => string) | undefined;
  readonly #writeFd: (fd: number, data: string | Buffer) => number;
  /** What a short write left of the batch (a pipe with room for part of it), written first. */
  #rest: Buffer | undefined;
  #batch = '';
  #timer: NodeJS.Timeout | undefined;
  /** The reader closed the pipe: nothing more can be written. */
  #closed = false;

  constructor(options: LogDestinationOptions = {}) {
    this.#fd = options.fd ?? 1;
    this.#bufferChars = options.bufferChars ?? 16_384;
    this.#flushAfterMs = options.flushAfterMs ?? 50;
    this.#syncLevel = options.syncLevel ?? WARN_LEVEL;
    this.#format = options.format;
    this.#writeFd = options.writeFd ?? writeFdSync;
    openDestinations.add(this);
    watchExit();
  }

  /** Characters batched and not written yet. */
  get pending(): number {
    return this.#batch.length + (this.#rest?.length ?? 0);
  }

  write(line: string): void {
    if (this.#closed) return;
    const text = this.#format ? this.#format(line) : line;
    if (this.lastLevel >= this.#syncLevel) {
      this.#batch += text;
      this.flushSync();
      return;
    }
    this.#batch += text;
    if (this.#batch.length >= this.#bufferChars) this.#writeBatch(false);
    else this.#timer ??= setTimeout(() => this.#onTimer(), this.#flushAfterMs).unref();
  }

  /** Write every batched line now, waiting out a full pipe. */
  flushSync(): void {
    this.#writeBatch(true);
  }

  /** pino's `logger.flush(cb)`: the batch is written synchronously, then `cb` is called. */
  flush(cb?: (err?: Error) => void): void {
    this.flushSync();
    cb?.();
  }

  /** Flush and stop flushing on exit (a test's destination, done with). */
  end(): void {
    this.flushSync();
    openDestinations.delete(this);
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#writeBatch(false);
  }

  /**
   * Write the batch. A full non-blocking pipe (EAGAIN) makes a blocking write wait and try again, and a
   * batched write keep the rest for its next timer. A closed pipe (EPIPE) or a bad descriptor ends all writing:
   * nothing can reach a reader that is gone, and the daemon must not crash for it.
   */
  #writeBatch(block: boolean): void {
    while ((this.#rest !== undefined || this.#batch.length > 0) && !this.#closed) {
      try {
        if (this.#rest !== undefined) {
          const written = this.#writeFd(this.#fd, this.#rest);
          this.#rest = written < this.#rest.length ? this.#rest.subarray(written) : undefined;
        } else {
          const written = this.#writeFd(this.#fd, this.#batch);
          // Rare: the byte arithmetic only happens when the pipe took part of the batch.
          if (written < this.#batch.length || written < Buffer.byteLength(this.#batch)) {
            const bytes = Buffer.from(this.#batch);
            this.#rest = written < bytes.length ? bytes.subarray(written) : undefined;
          }
          this.#batch = '';
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EBUSY') {
          if (!block) break;
          Atomics.wait(RETRY_WAIT, 0, 0, RETRY_WAIT_MS);
          continue;
        }
        this.#closed = true;
        this.#batch = '';
        this.#rest = undefined;
        openDestinations.delete(this);
      }
    }
    if (this.pending === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    } else {
      this.#timer ??= setTimeout(() => this.#onTimer(), this.#flushAfterMs).unref();
    }
  }
}

function writeFdSync(fd: number, data: string | Buffer): number {
  return typeof data === 'string' ? writeSync(fd, data) : writeSync(fd, data);
}

const RETRY_WAIT = new Int32Array(new SharedArrayBuffer(4));
const openDestinations = new Set<LogDestination>();
let exitWatched = false;

/** One `exit` listener for every destination: on the way out, each writes what it holds. */
function watchExit(): void {
  if (exitWatched) return;
  exitWatched = true;
  process.once('exit', () => {
    for (const destination of openDestinations) destination.flushSync();
  });
}
