// The shard file: a first line with the summary (read alone at start-up), then the runs; and its lowdb adapter.
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { AtomicJsonFile, parseJsonText, type DurableAdapter } from './atomic-file.js';
import { buildIdFilter, decodeIdFilter, encodeIdFilter, type IdFilter } from './id-filter.js';
import { createStatusCounts, summarizeRuns } from './summary.js';
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

/** A shard's head: what is known of it without reading its runs. */
export interface ShardHead {
  lastScheduledAt?: string;
  summary: HistorySummary;
  /** The ids of the runs in the file. */
  ids: IdFilter;
}

/** A lowdb adapter for shards; `readHead` is optional (memory adapters have only `read`). */
export interface ShardAdapter extends DurableAdapter<ShardFile> {
  /**
   * The head alone, read synchronously: a few KiB per file, which the thread pool would make several times
   * slower to read for thousands of files. null when there is no file; undefined when it has no head that
   * matches it (the older format, or a truncated file), and `read` must read it whole.
   */
  readHead?(): ShardHead | null | undefined;
}

/**
 * The text of a shard file: its head (version, schedule, lastScheduledAt and the summary) as a JSON object
 * left open, a newline, then `"runs":[…]}`. The whole is one JSON document; JSON.stringify never writes a
 * raw newline, so the first one ends the head. The summary's `bytes` is the length of what follows the
 * newline, so a truncated file is noticed from its size.
 */
export function serializeShard(shard: ShardFile): string {
  const rest = `"runs":${JSON.stringify(shard.runs)}}`;
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
export function parseShardHead(line: string): (ShardHead & { bytes: number }) | undefined {
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

/** The shard adapter on a real file: atomic writes with a head, and a bounded read of the head alone. */
export class ShardFileAdapter extends AtomicJsonFile<ShardFile> implements ShardAdapter {
  constructor(file: string) {
    super(file, serializeShard);
  }

  /**
   * The whole file, read synchronously: parsing it blocks longer than reading it from the page cache, and
   * four thread-pool round trips (open, stat, read, close) cost more than both on a busy machine.
   */
  override read(): Promise<ShardFile | null> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve(null);
      return Promise.reject(error as Error);
    }
    try {
      return Promise.resolve(parseJsonText(text, this.file) as ShardFile);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * Read the first HEAD_READ_BYTES and parse the head (reading on only when the head is longer). The file's
   * size must be what the head says, so a truncated file is not taken for a whole one.
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
      let text: Buffer = headBuffer.subarray(0, readSync(fd, headBuffer, 0, HEAD_READ_BYTES, 0));
      let newline = text.indexOf(0x0a);
      if (newline < 0) {
        // The older format has its runs in the first KiBs, and no newline at all.
        const summaryAt = text.indexOf('"summary":{');
        const runsAt = text.indexOf('"runs":[');
        if (summaryAt < 0 || (runsAt >= 0 && runsAt < summaryAt)) return undefined;
        ({ text, newline } = readToNewline(fd, text));
        if (newline < 0) return undefined;
      }
      const head = parseShardHead(text.toString('utf8', 0, newline));
      if (head === undefined || newline + 1 + head.bytes !== fstatSync(fd).size) return undefined;
      return {
        ...(head.lastScheduledAt !== undefined ? { lastScheduledAt: head.lastScheduledAt } : {}),
        summary: head.summary,
        ids: head.ids,
      };
    } finally {
      closeSync(fd);
    }
  }
}

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
