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
  update(snapshot: Pending, options?: { urgent?: boolean }): void;
  /** Write any pending document now and wait for it (and for a write already under way). Never rejects. */
  flush(): Promise<void>;
  /** Whether the last write reached the disk, and why not. */
  health(): { writable: boolean; lastError?: string };
}

/** A document, or how to make it (over several turns of the event loop when it returns a promise). */
export type Pending = StatusSnapshot | (() => StatusSnapshot | Promise<StatusSnapshot>);

let tempCounter = 0;

/**
 * The JSON of each schedule entry, after a comma; the snapshot builder reuses unchanged entries, so most
 * are found here. Strings live in V8's heap, which a fork does not copy: kept as Buffers (malloc'd
 * memory), 10,000 entries made every job's `fork` copy 7 MB more.
 */
const entryJson = new WeakMap<object, string>();
const SCHEDULES_PLACEHOLDER = '\u0000schedules\u0000';

/**
 * Writes go through one buffer of this size per file written, filled with as many strings as fit: below
 * glibc's 128 KiB mmap threshold. (Freeing a larger block raises that threshold for good, after which the
 * daemon's malloc heap, copied by every fork, grows by as much.)
 */
const WRITE_BUFFER_BYTES = 96 * 1024;
/** A UTF-16 unit is at most 3 bytes of UTF-8, so a slice this long always fits the write buffer. */
const SLICE_UNITS = WRITE_BUFFER_BYTES / 3;

/**
 * `JSON.stringify(snapshot)` followed by `suffix`, in parts to be written one after the other: the head,
 * each schedule entry (serialised once for as long as the entry object lives) and the tail. With 10,000
 * schedules a status write costs the changed entries and one copy, not the whole serialisation. One part
 * at a time: the writer copies parts into its buffer as they come and waits for each full buffer's write,
 * so serialising 100,000 entries is spread over those waits.
 */
export function* iterateSnapshotParts(snapshot: StatusSnapshot, suffix = ''): Generator<string> {
  const head = JSON.stringify({ ...snapshot, schedules: SCHEDULES_PLACEHOLDER });
  const marker = JSON.stringify(SCHEDULES_PLACEHOLDER);
  const at = head.indexOf(marker);
  yield `${head.slice(0, at)}[`;
  const { schedules } = snapshot;
  for (let index = 0; index < schedules.length; index += 1) {
    const entry = schedules[index] as StatusSnapshot['schedules'][number];
    let json = entryJson.get(entry);
    if (json === undefined) {
      json = `,${JSON.stringify(entry)}`;
      entryJson.set(entry, json);
    }
    // The first entry goes without its comma.
    yield index === 0 ? json.slice(1) : json;
  }
  yield `]${head.slice(at + marker.length)}${suffix}`;
}

/** `text` cut into slices of at most SLICE_UNITS units, never between the two halves of a surrogate pair. */
export function* textSlices(text: string): Generator<string> {
  if (text.length <= SLICE_UNITS) {
    if (text !== '') yield text;
    return;
  }
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + SLICE_UNITS);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    yield text.slice(start, end);
    start = end;
  }
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
      const snapshot = typeof next === 'function' ? await next() : next;
      // Wall time: a document built in steps counts the turns it gave back too (writes are spaced more).
      lastCostMs = performance.now() - started;
      if (!directoryReady) {
        await mkdir(dirname(path), { recursive: true });
        directoryReady = true;
      }
      // Compact: consumers parse it (`jq . status.json` pretty-prints), and indenting 1 MB costs time.
      await writeChunksAtomically(path, iterateSnapshotParts(snapshot, '\n'));
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

/**
 * Write `chunks` one after the other through a temp file in the same directory, then rename it over the
 * target: a large document can be produced a part at a time, without ever holding all of it. Strings are
 * encoded into one 96 KiB buffer, as many as fit, and written when it is full, so no write allocates more
 * than that.
 */
export async function writeChunksAtomically(
  file: string,
  chunks: Iterable<string | Buffer> | AsyncIterable<string | Buffer>,
): Promise<void> {
  tempCounter += 1;
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${tempCounter}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    const opened = await open(temp, 'w', 0o644);
    handle = opened;
    let position = 0;
    // One write call per full buffer: writeFile() would split megabytes into 512 KiB writes, each queued on
    // the I/O thread pool again behind whatever else waits there (history writes and fsyncs).
    const writeAll = async (bytes: Buffer, length: number): Promise<void> => {
      for (let offset = 0; offset < length;) {
        const { bytesWritten } = await opened.write(bytes, offset, length - offset, position);
        if (bytesWritten === 0) throw new Error(`no progress writing ${temp}`);
        offset += bytesWritten;
        position += bytesWritten;
      }
    };
    const buffer = Buffer.allocUnsafeSlow(WRITE_BUFFER_BYTES);
    let used = 0;
    const flush = async (): Promise<void> => {
      await writeAll(buffer, used);
      used = 0;
    };
    const put = async (chunk: string | Buffer): Promise<void> => {
      if (typeof chunk !== 'string') {
        await flush();
        await writeAll(chunk, chunk.length);
        return;
      }
      for (const slice of textSlices(chunk)) {
        if (used + slice.length * 3 > WRITE_BUFFER_BYTES) await flush();
        used += buffer.write(slice, used);
      }
    };
    if (Symbol.asyncIterator in chunks) {
      for await (const chunk of chunks) await put(chunk);
    } else {
      for (const chunk of chunks) {
        // Most strings fit the buffer as they are: copied without waiting (an await per part of a
        // 10,000-entry document would cost milliseconds).
        if (typeof chunk === 'string' && used + chunk.length * 3 <= WRITE_BUFFER_BYTES)
          used += buffer.write(chunk, used);
        else await put(chunk);
      }
    }
    await flush();
    // No fsync: the file is a view the daemon rewrites after every change and at start-up, and syncing
    // megabytes on every change would cost more than the view is worth. The rename keeps it whole.
    await opened.close();
    handle = undefined;
    await rename(temp, file);
  } catch (error) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
