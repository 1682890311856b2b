// The shard file: a first line with the summary (read alone at start-up), then the runs, then records appended
// since the file was last written whole; and its lowdb adapter.
import {
  close,
  closeSync,
  constants,
  fdatasync,
  fstatSync,
  open,
  openSync,
  readFileSync,
  readSync,
  write,
} from 'node:fs';
import { AtomicJsonFile, parseJsonText, type DurableAdapter } from './atomic-file.js';
import { buildIdFilter, decodeIdFilter, encodeIdFilter, type IdFilter } from './id-filter.js';
import { scanOlderShard, type OlderShardScan } from './shard-scan.js';
import { addToSummary, createStatusCounts, summarizeRuns } from './summary.js';
import {
  HISTORY_FILE_VERSION,
  RUN_STATUSES,
  findRunProblem,
  type HistorySummary,
  type RunRecord,
  type RunStatus,
  type ShardFile,
} from './store.js';

/** Bytes read at start-up for a shard's head; a longer head costs a read of the whole file. */
export const HEAD_READ_BYTES = 8192;
/** Appended bytes read with the head at start-up; a longer tail costs a read (and a rewrite) of the whole file. */
export const TAIL_READ_BYTES = 256 * 1024;

/**
 * One line appended after a shard's document: a run recorded (new, or replacing the run with its id), the
 * schedule's watermark, or both. Appending costs one small write instead of reading, parsing and rewriting
 * the shard; the store rewrites the file whole (compacts it) later.
 */
export interface ShardEntry {
  run?: RunRecord;
  lastScheduledAt?: string;
}

/** What follows a shard's document. */
export interface ShardTail {
  /** Entries read (valid, complete lines). */
  entries: number;
  /** A line was torn or not an entry: it and everything after it were ignored; the file must be rewritten. */
  damaged: boolean;
}

/** A shard as read whole: the document with the appended entries applied. `tail` is absent for the older format. */
export interface ShardRead extends ShardFile {
  tail?: ShardTail;
}

/** A shard's head: what is known of it without reading its runs. */
export interface ShardHead {
  lastScheduledAt?: string;
  summary: HistorySummary;
  /** The ids of the runs in the document (not those of appended entries). */
  ids: IdFilter;
  /** The ids of runs in appended entries, oldest line first. */
  appendedIds: string[];
  tail: ShardTail;
}

/** A lowdb adapter for shards; `readHead` and `append` are optional (memory adapters have only `read` and `write`). */
export interface ShardAdapter extends DurableAdapter<ShardFile> {
  read(): Promise<ShardRead | null>;
  /**
   * Append entries to the file's end in one write (fdatasync'ed when `sync`). Fails with ENOENT when the file
   * does not exist: an entry is only ever appended to a document.
   */
  append?(entries: readonly ShardEntry[], options: { sync: boolean }): Promise<void>;
  /**
   * The head alone, read synchronously: a few KiB per file, which the thread pool would make several times
   * slower to read for thousands of files. null when there is no file; undefined when it has no head that
   * matches it (the older format, or a truncated file), and `read` must read it whole.
   */
  readHead?(): ShardHead | null | undefined;
  /**
   * For a file `readHead` found without a head: what a scan of its bytes tells without parsing it
   * (shard-scan.ts), read synchronously. undefined when it has to be read whole at once (no such file, or not a
   * whole document in the older format).
   */
  scanOlder?(): OlderShardScan | undefined;
}

/**
 * The text of a shard file: its head (version, schedule, lastScheduledAt and the summary) as a JSON object
 * left open, a newline, then `"runs":[…]}` and a newline. The whole is one JSON document; JSON.stringify
 * never writes a raw newline, so the first one ends the head. The summary's `bytes` is the length of what
 * follows the first newline (the document's end), so a truncated file is noticed from its size. Entries
 * appended later (serializeEntries) follow the document, one per line.
 */
export function serializeShard(shard: ShardFile): string {
  // Ends with a newline, so that appended entries start on lines of their own.
  const rest = `"runs":${JSON.stringify(shard.runs)}}\n`;
  const summary = summarizeRuns(shard.runs);
  const counts = Object.fromEntries(
    Object.entries(summary.counts).filter(([, count]) => count > 0),
  );
  const head = {
    version: HISTORY_FILE_VERSION,
    schedule: shard.schedule,
    ...(shard.lastScheduledAt !== undefined ? { lastScheduledAt: shard.lastScheduledAt } : {}),
    summary: {
      bytes: Buffer.byteLength(rest),
      total: summary.total,
      counts,
      ...(summary.oldestId !== undefined ? { oldestId: summary.oldestId } : {}),
      ...(summary.newestId !== undefined ? { newestId: summary.newestId } : {}),
      ids: encodeIdFilter(
        buildIdFilter(
          shard.runs.map((run) => run.id),
          shard.runs.length,
        ),
      ),
      runs: summary.runs,
    },
  };
  const text = JSON.stringify(head);
  return `${text.slice(0, -1)},\n${rest}`;
}

/** The head from the first line of a shard file, or undefined when the line is not a valid head. */
export function parseShardHead(
  line: string,
): (Omit<ShardHead, 'appendedIds' | 'tail'> & { bytes: number }) | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(`${line}"runs":[]}`);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const head = parsed as Record<string, unknown>;
  const last = head['lastScheduledAt'];
  if (head['version'] !== HISTORY_FILE_VERSION) return undefined;
  if (last !== undefined && typeof last !== 'string') return undefined;
  const summary = checkSummary(head['summary']);
  if (summary === undefined) return undefined;
  return { ...(typeof last === 'string' ? { lastScheduledAt: last } : {}), ...summary };
}

/** The lines appended for `entries`. JSON.stringify never writes a raw newline, so each entry is one line. */
export function serializeEntries(entries: readonly ShardEntry[]): string {
  let text = '';
  for (const entry of entries) text += `${JSON.stringify(entry)}\n`;
  return text;
}

/**
 * Parse appended lines, calling `apply` for each valid entry in order. Reading stops at the first line that
 * is not a complete entry (a write torn by a power loss, or damage): it and the rest are ignored, and the
 * tail is reported damaged.
 */
export function parseEntries(tail: Buffer, apply: (entry: ShardEntry) => void): ShardTail {
  let entries = 0;
  let start = 0;
  while (start < tail.length) {
    const end = tail.indexOf(0x0a, start);
    if (end < 0) return { entries, damaged: true };
    const entry = parseEntry(tail.toString('utf8', start, end));
    if (entry === undefined) return { entries, damaged: true };
    apply(entry);
    entries += 1;
    start = end + 1;
  }
  return { entries, damaged: false };
}

function parseEntry(line: string): ShardEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { run, lastScheduledAt } = parsed as Record<string, unknown>;
  if (run === undefined && lastScheduledAt === undefined) return undefined;
  if (run !== undefined && findRunProblem(run) !== undefined) return undefined;
  if (lastScheduledAt !== undefined && typeof lastScheduledAt !== 'string') return undefined;
  return parsed as ShardEntry;
}

/**
 * A shard file's content: the document (its head's `bytes` tell where it ends) with the appended entries
 * applied, runs kept sorted by id. A file without a valid head is parsed whole as JSON (the older format, or
 * damage: then parseJsonText throws).
 */
export function parseShardContent(content: Buffer, file: string): ShardRead {
  const newline = content.indexOf(0x0a);
  const head = newline < 0 ? undefined : parseShardHead(content.toString('utf8', 0, newline));
  const end = head === undefined ? -1 : newline + 1 + head.bytes;
  if (head === undefined || content.length < end) {
    return parseJsonText(content.toString('utf8'), file) as ShardRead;
  }
  const shard = parseJsonText(content.toString('utf8', 0, end), file) as ShardRead;
  if (typeof shard !== 'object' || shard === null || !Array.isArray(shard.runs)) return shard;
  const { runs } = shard;
  shard.tail = parseEntries(content.subarray(end), (entry) => {
    if (entry.run !== undefined) insertRun(runs, entry.run);
    if (entry.lastScheduledAt !== undefined) shard.lastScheduledAt = entry.lastScheduledAt;
  });
  return shard;
}

/** Insert a run into runs sorted by id, replacing the one with the same id; returns the replaced one. */
export function insertRun(runs: RunRecord[], record: RunRecord): RunRecord | undefined {
  // New runs almost always go at the end, updates near it.
  let index = runs.length - 1;
  while (index >= 0 && (runs[index] as RunRecord).id > record.id) index -= 1;
  if (index >= 0 && (runs[index] as RunRecord).id === record.id) {
    const replaced = runs[index];
    runs[index] = record;
    return replaced;
  }
  runs.splice(index + 1, 0, record);
  return undefined;
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;

function checkSummary(
  value: unknown,
): { summary: HistorySummary; ids: IdFilter; bytes: number } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const summary = value as Record<string, unknown>;
  const { bytes, total, counts, oldestId, newestId, ids, runs } = summary;
  if (!isCount(bytes) || !isCount(total) || typeof ids !== 'string' || !Array.isArray(runs))
    return undefined;
  if (typeof counts !== 'object' || counts === null) return undefined;
  const statusCounts = createStatusCounts();
  let counted = 0;
  for (const [status, count] of Object.entries(counts)) {
    if (!RUN_STATUSES.includes(status as RunStatus) || !isCount(count)) return undefined;
    statusCounts[status as RunStatus] = count;
    counted += count;
  }
  if (counted !== total || runs.length > total) return undefined;
  if (total > 0 && (typeof oldestId !== 'string' || typeof newestId !== 'string')) return undefined;
  if (runs.some((run) => findRunProblem(run) !== undefined)) return undefined;
  const records = runs as RunRecord[];
  for (let index = 1; index < records.length; index += 1) {
    if (!((records[index - 1] as RunRecord).id < (records[index] as RunRecord).id))
      return undefined;
  }
  const filter = decodeIdFilter(ids);
  if (filter === undefined) return undefined;
  return {
    bytes,
    ids: filter,
    summary: {
      total,
      counts: statusCounts,
      ...(total > 0 ? { oldestId: oldestId as string, newestId: newestId as string } : {}),
      runs: records,
    },
  };
}

/** The shard adapter on a real file: atomic writes with a head, appends, and a bounded read of the head alone. */
export class ShardFileAdapter extends AtomicJsonFile<ShardFile> implements ShardAdapter {
  /** The scan made by readHead when it found the older format, for the scanOlder() call that follows. */
  #scanned: { scan: OlderShardScan | undefined } | undefined;

  constructor(file: string) {
    super(file, serializeShard);
  }

  /**
   * The whole file, read synchronously: parsing it blocks longer than reading it from the page cache, and
   * four thread-pool round trips (open, stat, read, close) cost more than both on a busy machine.
   */
  override read(): Promise<ShardRead | null> {
    let content: Buffer;
    try {
      content = readFileSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve(null);
      return Promise.reject(error as Error);
    }
    try {
      return Promise.resolve(parseShardContent(content, this.file));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  append(entries: readonly ShardEntry[], options: { sync: boolean }): Promise<void> {
    return appendToFile(this.file, Buffer.from(serializeEntries(entries), 'utf8'), options.sync);
  }

  /**
   * Read the first HEAD_READ_BYTES and parse the head (reading on only when the head is longer), then the
   * appended entries, if any, applied to the head's summary. The file must be at least as long as the head
   * says, so a truncated file is not taken for a whole one; a tail over TAIL_READ_BYTES is left to a whole read.
   */
  readHead(): ShardHead | null | undefined {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const first = readSync(fd, headBuffer, 0, HEAD_READ_BYTES, 0);
      // Fewer bytes than asked for: the read reached the end, so this is the whole file (a regular file
      // is read in full up to its end), and it needs neither an fstat nor a second read for its tail.
      const whole = first < HEAD_READ_BYTES;
      let text: Buffer = headBuffer.subarray(0, first);
      let newline = text.indexOf(0x0a);
      if (newline < 0) {
        // The older format has its runs in the first KiBs, and no newline at all.
        const summaryAt = text.indexOf('"summary":{');
        const runsAt = text.indexOf('"runs":[');
        if (summaryAt < 0 || (runsAt >= 0 && runsAt < summaryAt)) {
          // Scanned now, while the file is open: scanOlder() is asked next.
          this.#scanned = { scan: scanOpenFile(fd) };
          return undefined;
        }
        ({ text, newline } = readToNewline(fd, text));
        if (newline < 0) return undefined;
      }
      const head = parseShardHead(text.toString('utf8', 0, newline));
      if (head === undefined) return undefined;
      const end = newline + 1 + head.bytes;
      const size = whole ? first : fstatSync(fd).size;
      if (size < end || size - end > TAIL_READ_BYTES) return undefined;
      let { summary } = head;
      let { lastScheduledAt } = head;
      const appendedIds: string[] = [];
      let tail: ShardTail = { entries: 0, damaged: false };
      if (size > end) {
        let content: Buffer;
        if (whole) {
          content = headBuffer.subarray(end, size);
        } else {
          content = Buffer.allocUnsafe(size - end);
          content = content.subarray(0, readSync(fd, content, 0, content.length, end));
        }
        tail = parseEntries(content, (entry) => {
          if (entry.run !== undefined) {
            summary = addToSummary(summary, entry.run);
            appendedIds.push(entry.run.id);
          }
          if (entry.lastScheduledAt !== undefined) lastScheduledAt = entry.lastScheduledAt;
        });
      }
      return {
        ...(lastScheduledAt !== undefined ? { lastScheduledAt } : {}),
        summary,
        ids: head.ids,
        appendedIds,
        tail,
      };
    } finally {
      closeSync(fd);
    }
  }

  /** The older format: scanned, not parsed (see ShardAdapter.scanOlder). */
  scanOlder(): OlderShardScan | undefined {
    const scanned = this.#scanned;
    this.#scanned = undefined;
    if (scanned !== undefined) return scanned.scan;
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return undefined;
    }
    try {
      return scanOpenFile(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Append `bytes` to an existing file in one write (fdatasync'ed when `sync`), then close it. The callback
 * API: a `FileHandle` per append (its object, its close promise) cost 2-4 times the CPU of the three
 * calls themselves, and a fire makes two appends.
 */
function appendToFile(file: string, bytes: Buffer, sync: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // No O_CREAT: entries after nothing would make a file without a document.
    open(file, constants.O_WRONLY | constants.O_APPEND, (openError, fd) => {
      if (openError !== null) {
        reject(openError);
        return;
      }
      const finish = (error: Error | null): void =>
        close(fd, (closeError) => {
          const failure = error ?? closeError;
          if (failure !== null) reject(failure);
          else resolve();
        });
      write(fd, bytes, 0, bytes.length, null, (writeError, written) => {
        if (writeError !== null) return finish(writeError);
        // A full disk takes part of the line and says so only on the next write: report it now. The torn
        // line is never read (a damaged tail), and the failed append makes the next write a whole one.
        if (written < bytes.length) {
          return finish(
            Object.assign(
              new Error(
                `ENOSPC: no space left on device, append ${file} (${written} of ${bytes.length} bytes written)`,
              ),
              { code: 'ENOSPC' },
            ),
          );
        }
        if (!sync) return finish(null);
        fdatasync(fd, finish);
      });
    });
  });
}

/** Read a whole file (open as `fd`) into the shared buffer and scan it. */
function scanOpenFile(fd: number): OlderShardScan | undefined {
  const size = fstatSync(fd).size;
  if (scanBuffer.length < size && size <= SCAN_BUFFER_MAX) scanBuffer = Buffer.allocUnsafe(size);
  const buffer = scanBuffer.length < size ? Buffer.allocUnsafe(size) : scanBuffer;
  return scanOlderShard(buffer.subarray(0, readSync(fd, buffer, 0, size, 0)));
}

/** The largest file scanned in the shared buffer (a larger one gets a buffer of its own). */
const SCAN_BUFFER_MAX = 4 * 1024 * 1024;
/** One buffer for every scan at start-up, grown to the largest file: thousands of 100 KiB buffers cost GC time. */
let scanBuffer = Buffer.allocUnsafe(256 * 1024);

/** One buffer for every head: heads are read synchronously, one at a time (thousands of 8 KiB buffers cost GC time). */
const headBuffer = Buffer.allocUnsafe(HEAD_READ_BYTES);

/** Read on from `start` (the file's first bytes) until a newline or the end of the file. */
function readToNewline(fd: number, start: Buffer): { text: Buffer; newline: number } {
  const chunks = [Buffer.from(start)];
  let length = start.length;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    const read = readSync(fd, chunk, 0, chunk.length, length);
    if (read === 0) return { text: Buffer.concat(chunks), newline: -1 };
    const found = chunk.subarray(0, read).indexOf(0x0a);
    chunks.push(chunk.subarray(0, read));
    if (found >= 0) return { text: Buffer.concat(chunks), newline: length + found };
    length += read;
  }
}
