// Writes the status document to <state-dir>/status.json: atomically (temp file + rename), coalesced, never throwing.
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { StatusSnapshot } from './snapshot.js';

/** setTimeout/clearTimeout behind an interface, so tests decide when a delayed write happens. */
export interface StatusFileTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Real timers; they do not keep the process alive (shutdown calls `flush`). */
const systemTimers: StatusFileTimers = {
  set: (callback, ms) => setTimeout(callback, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface StatusFileWriterOptions {
  /** The file to write, usually `<state-dir>/status.json`. */
  path: string;
  logger?: Logger;
  /** Writes start at most this often; updates in between are merged into one write of the latest. @default 100 */
  minIntervalMs?: number;
  /** @default real timers */
  timers?: StatusFileTimers;
  /** @default systemClock */
  clock?: Clock;
  /**
   * Asked before a scheduled write: milliseconds to put it off by (0: write now). The daemon keeps
   * writes of a large status away from the moment a job is due to start. Never applies to flush().
   */
  deferMs?: () => number;
  /** Called after each write, whether it reached the disk or not: lower-priority writes start then. */
  onWritten?: () => void;
}

export interface StatusFileWriter {
  /**
   * Replace the document to write. A function is called only when a write actually happens. `urgent`
   * (a configuration change people wait to see) is written within `minIntervalMs`, whatever writes cost.
   */
  update(snapshot: StatusSnapshot | (() => StatusSnapshot), options?: { urgent?: boolean }): void;
  /** Write any pending document now and wait for it (and for a write already under way). Never rejects. */
  flush(): Promise<void>;
  /** Whether the last write reached the disk, and why not. */
  health(): { writable: boolean; lastError?: string };
}

type Pending = StatusSnapshot | (() => StatusSnapshot);

let tempCounter = 0;

/**
 * The JSON of each schedule entry as UTF-8, after a comma; the snapshot builder reuses unchanged
 * entries, so most are found here. Each has its own allocation, not a slice of Node's shared pool, so
 * the bytes of an entry that is replaced are freed with it.
 */
const entryBytes = new WeakMap<object, Buffer>();
const SCHEDULES_PLACEHOLDER = '\u0000schedules\u0000';

function encodeEntry(entry: object): Buffer {
  let bytes = entryBytes.get(entry);
  if (bytes === undefined) {
    const json = `,${JSON.stringify(entry)}`;
    bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(json));
    bytes.write(json);
    entryBytes.set(entry, bytes);
  }
  return bytes;
}

/**
 * `JSON.stringify(snapshot)` as UTF-8, followed by `suffix`, with each schedule entry serialised once
 * for as long as the entry object lives: with 10,000 schedules a status write costs the changed
 * entries and one copy of the bytes, not the serialisation and encoding of the whole document.
 */
export function encodeSnapshot(snapshot: StatusSnapshot, suffix = ''): Buffer {
  const head = JSON.stringify({ ...snapshot, schedules: SCHEDULES_PLACEHOLDER });
  const marker = JSON.stringify(SCHEDULES_PLACEHOLDER);
  const at = head.indexOf(marker);
  const parts: Buffer[] = [Buffer.from(`${head.slice(0, at)}[`)];
  snapshot.schedules.forEach((entry, index) => {
    const bytes = encodeEntry(entry);
    // The first entry goes without its comma.
    parts.push(index === 0 ? bytes.subarray(1) : bytes);
  });
  parts.push(Buffer.from(`]${head.slice(at + marker.length)}${suffix}`));
  return Buffer.concat(parts);
}

/** `JSON.stringify(snapshot)`, from the same per-entry cache as encodeSnapshot. */
export function serializeSnapshot(snapshot: StatusSnapshot): string {
  return encodeSnapshot(snapshot).toString('utf8');
}

export function createStatusFileWriter(options: StatusFileWriterOptions): StatusFileWriter {
  const { path, logger } = options;
  const minIntervalMs = options.minIntervalMs ?? 100;
  const timers = options.timers ?? systemTimers;
  const clock = options.clock ?? systemClock;

  let pending: Pending | undefined;
  let timer: unknown;
  let writing: Promise<void> | undefined;
  let lastWriteStartMs: number | undefined;
  /** Building and serialising the last snapshot took this long: the next write waits ten times as long. */
  let lastCostMs = 0;
  let urgent = false;
  let directoryReady = false;
  let lastError: string | undefined;

  function schedule(): void {
    if (pending === undefined || timer !== undefined || writing !== undefined) return;
    const nowMs = clock.now().getTime();
    // Clamped to minIntervalMs so a wall clock stepped backward cannot hold the file back.
    // With thousands of schedules a snapshot costs tens of milliseconds: spacing writes by ten times
    // their cost keeps the status file under ~10 % of the event loop however busy the daemon is.
    const interval = urgent ? minIntervalMs : Math.max(minIntervalMs, 10 * lastCostMs);
    const wait = lastWriteStartMs === undefined ? 0 : lastWriteStartMs + interval - nowMs;
    const delay = Math.min(interval, Math.max(0, wait));
    // Even a zero delay goes through the timer, so a synchronous burst of updates is one write.
    timer = timers.set(() => {
      timer = undefined;
      const defer = options.deferMs?.() ?? 0;
      if (defer > 0 && !urgent) {
        timer = timers.set(() => {
          timer = undefined;
          void writePending();
        }, defer);
        return;
      }
      void writePending();
    }, delay);
  }

  function cancelTimer(): void {
    if (timer === undefined) return;
    timers.clear(timer);
    timer = undefined;
  }

  function writePending(): Promise<void> {
    if (writing !== undefined) return writing;
    const next = pending;
    if (next === undefined) return Promise.resolve();
    pending = undefined;
    urgent = false;
    lastWriteStartMs = clock.now().getTime();
    writing = writeSnapshot(next).finally(() => {
      writing = undefined;
      schedule();
      options.onWritten?.();
    });
    return writing;
  }

  async function writeSnapshot(next: Pending): Promise<void> {
    try {
      const started = performance.now();
      const snapshot = typeof next === 'function' ? next() : next;
      // Compact: consumers parse it (`jq . status.json` pretty-prints), and indenting 1 MB costs time.
      const text = encodeSnapshot(snapshot, '\n');
      lastCostMs = performance.now() - started;
      if (!directoryReady) {
        await mkdir(dirname(path), { recursive: true });
        directoryReady = true;
      }
      await writeFileAtomically(path, text);
      if (lastError !== undefined) logger?.info({ file: path }, 'status file writable again');
      lastError = undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Logged once per failing streak: the next updates would only repeat it.
      if (lastError === undefined)
        logger?.error({ err: error, file: path }, 'cannot write status file');
      lastError = message;
      directoryReady = false;
    }
  }

  return {
    update(snapshot, updateOptions) {
      pending = snapshot;
      if (updateOptions?.urgent && !urgent) {
        urgent = true;
        // A write waiting out a long spacing is brought forward.
        cancelTimer();
      }
      schedule();
    },
    async flush() {
      // Loop: an update may arrive while a write is under way; it is written too before returning.
      for (;;) {
        if (writing !== undefined) {
          await writing;
          continue;
        }
        if (pending === undefined) return;
        cancelTimer();
        await writePending();
      }
    },
    health() {
      return lastError === undefined ? { writable: true } : { writable: false, lastError };
    },
  };
}

/** Write through a temp file in the same directory, then rename it over the target. */
export async function writeFileAtomically(file: string, text: string | Buffer): Promise<void> {
  await writeChunksAtomically(file, [text]);
}

/**
 * Write `chunks` one after the other through a temp file in the same directory, then rename it over the
 * target: a large document can be produced a part at a time, without ever holding all of it.
 */
export async function writeChunksAtomically(
  file: string,
  chunks: Iterable<string | Buffer> | AsyncIterable<string | Buffer>,
): Promise<void> {
  tempCounter += 1;
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${tempCounter}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(temp, 'w', 0o644);
    let position = 0;
    for await (const chunk of chunks) {
      // One write call per chunk: writeFile() would split megabytes into 512 KiB writes, each queued on
      // the I/O thread pool again behind whatever else waits there (history writes and fsyncs).
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      for (let offset = 0; offset < bytes.length;) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, position);
        if (bytesWritten === 0) throw new Error(`no progress writing ${temp}`);
        offset += bytesWritten;
        position += bytesWritten;
      }
    }
    // No fsync: the file is a view the daemon rewrites after every change and at start-up, and syncing
    // megabytes on every change would cost more than the view is worth. The rename keeps it whole.
    await handle.close();
    handle = undefined;
    await rename(temp, file);
  } catch (error) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
