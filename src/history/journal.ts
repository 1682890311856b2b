// The fire journal: a write-ahead log that makes "this instant is being fired" durable with one fsync per batch,
// written in place in a preallocated file so that fires stay durable while the disk is full. Format:
// journal-format.ts; design: docs/design/fire-journal.md.
import * as fs from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SchedulerError } from '../shared/errors.js';
import type { FireIntent } from './fire-intent.js';
import type { HistoryHealth } from './store.js';
import {
  DATA_START,
  HEADER_SLOT_BYTES,
  encodeHeader,
  encodeRecords,
  isJournalFile,
  parseLegacyJournal,
  placeRecords,
  scanJournal,
  type JournalLayout,
} from './journal-format.js';
import { RESERVE_MIN_BYTES, sizeJournalReserve, type ScheduleFireRate } from './journal-reserve.js';

export { compactIntents, type FireIntent } from './fire-intent.js';

/** What the journal can say about itself, for the status and /readyz. */
export interface JournalHealth {
  /** false while appends fail (the reserve is exhausted, or the file cannot be written). */
  durable: boolean;
  /** Bytes preallocated for records (the file's size; 0 when there is no file). */
  reserveBytes: number;
  /** Bytes the loaded schedules call for (a day of their fires, capped). */
  wantedBytes: number;
  /** Bytes the live records occupy. */
  liveBytes: number;
  /** Why appends fail, or why the reserve is smaller than wanted. */
  problem?: string;
  /** Where fires are made durable, for messages. @default 'fire journal' */
  source?: string;
}

export interface FireJournal {
  /**
   * Append intents; resolves once they are durable, rejects with a SchedulerError `FIRE_NOT_DURABLE` when
   * they are not (a fire whose intent is not durable must not start). Every call made in the same turn of the
   * event loop shares one write and one fsync (group commit), so a burst of 1,000 fires costs one fsync.
   */
  append(intents: FireIntent[]): Promise<void>;
  /** The intents written since the last checkpoint (after a crash: the fires that may have started). */
  readPending(): Promise<FireIntent[]>;
  /**
   * Replace the intents of `read` (what `readPending` returned) with `keep`: call only once the history
   * holds every other intent of `read` on disk (after a history flush that left nothing pending). Intents
   * appended after that read stay pending; appends made while the checkpoint writes land after it.
   * Without `read`: every pending intent is replaced.
   */
  checkpoint(keep: FireIntent[], read?: readonly FireIntent[]): Promise<void>;
  /** Whether the last append reached the disk. */
  healthy(): boolean;
  /** Reserve, durability and the last problem. */
  health?(): JournalHealth;
  /**
   * Size the preallocated reserve for the loaded schedules (a day of their fires, 1–64 MiB) and grow the
   * file to it while there is space; it never shrinks while open.
   */
  reserveFor?(schedules: Iterable<ScheduleFireRate>): Promise<JournalHealth>;
  close(): Promise<void>;
}

/** The file operations the journal uses; tests wrap them to inject faults. */
export interface JournalFileSystem {
  readFile(path: string): Promise<Buffer>;
  open(path: string, flags: string): Promise<JournalHandle>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  unlink(path: string): Promise<void>;
  /** Free space of the file system holding `path`; without it, growth is bounded by the disk filling up. */
  statfs?(path: string): Promise<{ bavail: number; bsize: number }>;
}

export interface JournalHandle {
  write(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FireJournalOptions {
  /** @default node:fs/promises */
  fileSystem?: JournalFileSystem;
}

export function resolveJournalPath(stateDir: string): string {
  return join(stateDir, 'fires.journal');
}

/** The real journal: `<stateDir>/fires.journal`. */
export function createFireJournal(stateDir: string, options: FireJournalOptions = {}): FireJournal {
  return new FileJournal(resolveJournalPath(stateDir), options.fileSystem ?? nodeFileSystem);
}

/** The live intents of a journal file (either format), for tests and offline tools; [] when there is none. */
export async function readJournalFile(path: string): Promise<FireIntent[]> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return isJournalFile(bytes)
    ? (scanJournal(bytes)?.intents ?? [])
    : parseLegacyJournal(bytes.toString('utf8'));
}

const nodeFileSystem: JournalFileSystem = {
  readFile: (path) => fs.readFile(path),
  open: (path, flags) => fs.open(path, flags),
  rename: (from, to) => fs.rename(from, to),
  mkdir: (path, options) => fs.mkdir(path, options),
  unlink: (path) => fs.unlink(path),
  statfs: (path) => fs.statfs(path),
};

/** Zeros are written this much at a time when the file is preallocated. */
const FILL_CHUNK = 1024 * 1024;
/** A reserve bounded by the free space is a whole number of these. */
const GROWTH_STEP = 64 * 1024;

/** The open file and where things are in it. */
interface OpenJournal {
  handle: JournalHandle;
  layout: JournalLayout;
  counter: number;
  lastCrc: number;
  liveBytes: number;
}

class FileJournal implements FireJournal {
  readonly #path: string;
  readonly #fs: JournalFileSystem;
  #file: OpenJournal | undefined;
  #opening: Promise<OpenJournal | undefined> | undefined;
  /** The live intents, as on disk (or, while there is no file, as read from the older one). */
  #intents: FireIntent[] = [];
  #batch: FireIntent[] = [];
  #batchDone: Promise<void> | undefined;
  /** Writes are serialised: a checkpoint or a growth never interleaves with an append. */
  #chain: Promise<void> = Promise.resolve();
  #durable = true;
  #problem: string | undefined;
  #wanted = RESERVE_MIN_BYTES;

  constructor(path: string, fileSystem: JournalFileSystem) {
    this.#path = path;
    this.#fs = fileSystem;
  }

  append(intents: FireIntent[]): Promise<void> {
    this.#batch.push(...intents);
    this.#batchDone ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const batch = this.#batch;
      this.#batch = [];
      this.#batchDone = undefined;
      return this.#enqueue(() => this.#write(batch));
    });
    return this.#batchDone;
  }

  async readPending(): Promise<FireIntent[]> {
    await this.#open();
    return this.#intents.slice();
  }

  checkpoint(kept: FireIntent[], read?: readonly FireIntent[]): Promise<void> {
    return this.#enqueue(async () => {
      // Intents appended since `read` was taken are not the caller's to drop (same objects: readPending
      // hands out the journal's own).
      const seen = read === undefined ? undefined : new Set(read);
      const keep =
        seen === undefined ? kept : [...kept, ...this.#intents.filter((intent) => !seen.has(intent))];
      const file = await this.#open();
      if (file === undefined) {
        // No file (an unusable state directory): nothing on disk to trim.
        this.#intents = keep.slice();
        return;
      }
      const encoded = encodeRecords(keep, file.lastCrc);
      const at = placeRecords(file.layout, encoded.bytes.length);
      if (at === undefined) {
        throw new SchedulerError(
          'HISTORY_WRITE_FAILED',
          `${this.#path}: no room in the fire journal's reserve for the ${keep.length} intents a checkpoint keeps`,
          { file: this.#path },
        );
      }
      await writeFully(file.handle, encoded.bytes, at);
      await file.handle.datasync();
      // The header moves the start only once the kept records are durable; the previous header stays in the
      // other slot, so a torn header write leaves the journal as it was.
      const header = {
        counter: file.counter + 1,
        start: keep.length > 0 ? at : file.layout.end,
        seed: file.lastCrc,
      };
      await writeFully(file.handle, encodeHeader(header), (header.counter % 2) * HEADER_SLOT_BYTES);
      await file.handle.datasync();
      file.counter = header.counter;
      file.layout = {
        ...file.layout,
        start: header.start,
        end: header.start + encoded.bytes.length,
      };
      file.lastCrc = encoded.lastCrc;
      file.liveBytes = encoded.bytes.length;
      this.#intents = keep.slice();
    });
  }

  healthy(): boolean {
    return this.#durable;
  }

  health(): JournalHealth {
    return {
      durable: this.#durable,
      reserveBytes: this.#file?.layout.size ?? 0,
      wantedBytes: this.#wanted,
      liveBytes: this.#file?.liveBytes ?? 0,
      ...(this.#problem === undefined ? {} : { problem: this.#problem }),
    };
  }

  reserveFor(schedules: Iterable<ScheduleFireRate>): Promise<JournalHealth> {
    this.#wanted = sizeJournalReserve(schedules);
    return this.#enqueue(async () => {
      const file = await this.#open();
      if (file !== undefined) await this.#grow(file);
    }).then(() => this.health());
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.#file?.handle.close();
    this.#file = undefined;
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(task);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #write(batch: FireIntent[]): Promise<void> {
    if (batch.length === 0) return;
    const file = await this.#open();
    if (file === undefined) throw this.#notDurable(batch, this.#problem ?? 'no journal file');
    const encoded = encodeRecords(batch, file.lastCrc);
    let at = placeRecords(file.layout, encoded.bytes.length);
    if (at === undefined && file.layout.size < this.#wanted) {
      // The reserve was cut short by a full disk: the space may be back.
      await this.#grow(file).catch(() => undefined);
      at = placeRecords(file.layout, encoded.bytes.length);
    }
    if (at === undefined) {
      throw this.#notDurable(
        batch,
        `the fire journal's reserve is exhausted (${file.layout.size} bytes, ${file.liveBytes} live): the history has not reached the disk for longer than the reserve holds`,
      );
    }
    try {
      await writeFully(file.handle, encoded.bytes, at);
      await file.handle.datasync();
    } catch (err) {
      // Part of a record may be on disk: it breaks no chain, and the next batch overwrites it.
      throw this.#notDurable(batch, `cannot write the fire journal: ${describe(err)}`, err);
    }
    file.layout = { ...file.layout, end: at + encoded.bytes.length };
    file.lastCrc = encoded.lastCrc;
    file.liveBytes += encoded.bytes.length;
    this.#intents.push(...batch);
    if (!this.#durable) this.#problem = undefined;
    this.#durable = true;
  }

  #notDurable(batch: FireIntent[], reason: string, cause?: unknown): SchedulerError {
    this.#durable = false;
    this.#problem = reason;
    const fires =
      batch.length === 1 ? `the fire of "${batch[0]?.schedule}"` : `${batch.length} fires`;
    return new SchedulerError('FIRE_NOT_DURABLE', `${fires} could not be made durable: ${reason}`, {
      file: this.#path,
      ...(cause === undefined ? {} : { cause }),
    });
  }

  /** The open file, opening (or creating) it first; undefined while it cannot be (the reason in #problem). */
  #open(): Promise<OpenJournal | undefined> {
    if (this.#file !== undefined) return Promise.resolve(this.#file);
    this.#opening ??= this.#load()
      .then((file) => {
        this.#file = file;
        return file;
      })
      .catch((err: unknown) => {
        this.#problem = `cannot open the fire journal: ${describe(err)}`;
        return undefined;
      })
      .finally(() => {
        this.#opening = undefined;
      });
    return this.#opening;
  }

  async #load(): Promise<OpenJournal> {
    let bytes: Buffer | undefined;
    try {
      bytes = await this.#fs.readFile(this.#path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const scan = bytes !== undefined && isJournalFile(bytes) ? scanJournal(bytes) : undefined;
    if (bytes === undefined || scan === undefined) {
      // No journal yet, or the older JSON-lines one: its intents are carried into a new file.
      if (bytes !== undefined && !isJournalFile(bytes))
        this.#intents = parseLegacyJournal(bytes.toString('utf8'));
      return this.#create(this.#intents);
    }
    this.#intents = scan.intents;
    const handle = await this.#fs.open(this.#path, 'r+');
    return {
      handle,
      layout: { start: scan.header.start, end: scan.end, size: bytes.length },
      counter: scan.header.counter,
      lastCrc: scan.lastCrc,
      liveBytes:
        scan.end >= scan.header.start
          ? scan.end - scan.header.start
          : bytes.length - scan.header.start + scan.end - DATA_START,
    };
  }

  /** A new preallocated file holding `intents`, built beside the target and renamed over it. */
  async #create(intents: FireIntent[]): Promise<OpenJournal> {
    await this.#fs.mkdir(dirname(this.#path), { recursive: true });
    const temp = `${this.#path}.new`;
    const encoded = encodeRecords(intents, 0);
    const used = DATA_START + encoded.bytes.length;
    let handle: JournalHandle | undefined = await this.#fs.open(temp, 'w');
    try {
      // Counter 1 goes to slot 1: the first checkpoint (counter 2) writes slot 0 and leaves it.
      await writeFully(
        handle,
        encodeHeader({ counter: 1, start: DATA_START, seed: 0 }),
        HEADER_SLOT_BYTES,
      );
      await writeFully(handle, encoded.bytes, DATA_START);
      const size = await fillZeros(handle, used, Math.max(used, await this.#limitSize(0)));
      await handle.sync();
      await handle.close();
      handle = undefined;
      await this.#fs.rename(temp, this.#path);
      await syncDirectory(this.#fs, dirname(this.#path));
      this.#noteShortReserve(size);
      return {
        handle: await this.#fs.open(this.#path, 'r+'),
        layout: { start: DATA_START, end: used, size },
        counter: 1,
        lastCrc: encoded.lastCrc,
        liveBytes: encoded.bytes.length,
      };
    } catch (err) {
      await handle?.close().catch(() => undefined);
      await this.#fs.unlink(temp).catch(() => undefined);
      throw err;
    }
  }

  /** Extend the file with zeros up to the wanted size, as far as the disk allows. */
  async #grow(file: OpenJournal): Promise<void> {
    const limit = await this.#limitSize(file.layout.size);
    if (file.layout.size >= limit) return this.#noteShortReserve(file.layout.size);
    const size = await fillZeros(file.handle, file.layout.size, limit);
    if (size > file.layout.size) await file.handle.datasync();
    // Safe whether or not the ring has wrapped: the reader follows the chain, never the size.
    file.layout = { ...file.layout, size };
    this.#noteShortReserve(size);
  }

  /**
   * The size to grow to: the wanted one, but never more than half of the space the journal and the free
   * space together make, so that the reserve never takes the room the history needs.
   */
  async #limitSize(current: number): Promise<number> {
    let free = Number.POSITIVE_INFINITY;
    try {
      const stats = await this.#fs.statfs?.(dirname(this.#path));
      if (stats !== undefined) free = stats.bavail * stats.bsize;
    } catch {
      // Unknown: the disk filling up bounds it.
    }
    const half = Math.floor((current + free) / 2 / GROWTH_STEP) * GROWTH_STEP;
    return Math.max(current, Math.min(this.#wanted, half));
  }

  #noteShortReserve(size: number): void {
    if (size < this.#wanted && this.#durable) {
      this.#problem = `the fire journal's reserve is ${size} bytes of the ${this.#wanted} wanted (the disk has too little free space: the reserve takes at most half of it)`;
    } else if (this.#durable) {
      this.#problem = undefined;
    }
  }
}

/** Write zeros from `from` up to `to`; stops early when the disk is full. Returns the size reached. */
async function fillZeros(handle: JournalHandle, from: number, to: number): Promise<number> {
  const zeros = Buffer.alloc(Math.min(FILL_CHUNK, Math.max(0, to - from)));
  let size = from;
  while (size < to) {
    const length = Math.min(zeros.length, to - size);
    try {
      await writeFully(handle, zeros.subarray(0, length), size);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') break;
      throw err;
    }
    size += length;
  }
  return size;
}

async function writeFully(handle: JournalHandle, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('short write');
    done += bytesWritten;
  }
}

async function syncDirectory(fileSystem: JournalFileSystem, dir: string): Promise<void> {
  const handle = await fileSystem.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The history's health with the journal's: fires that cannot be made durable make the daemon not ready. */
export function mergeJournalHealth(
  history: HistoryHealth,
  journal: JournalHealth | undefined,
): HistoryHealth {
  if (journal === undefined || journal.durable) return history;
  const problem = `${journal.source ?? 'fire journal'}: ${journal.problem ?? 'not durable'}; fires are not started (recorded missed)`;
  return {
    ...history,
    writable: false,
    lastError: history.lastError === undefined ? problem : `${history.lastError}; ${problem}`,
  };
}
