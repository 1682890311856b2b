// A shard of the lowdb history store as held in memory, and the small facts about it every part asks.
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from './atomic-file.js';
import { idFilterMayContain, type IdFilter, type IdProbe } from './id-filter.js';
import type { ShardAdapter, ShardEntry } from './shard-file.js';
import type { HistorySummary, RunQuery, RunRecord } from './store.js';
import { createEmptySummary, summarizeRuns } from './summary.js';

/** One schedule's shard: its summary, its runs while loaded, and the bookkeeping of its writes. */
export interface Shard {
  name: string;
  file: string;
  adapter: ShardAdapter;
  /** Always current; exact while the runs are loaded (see addToSummary for the time between). */
  summary: HistorySummary;
  /** The ids in the file, while the runs are not loaded (from the head, or built when they were unloaded). */
  ids: IdFilter | undefined;
  lastScheduledAt: string | undefined;
  /** Oldest first (by id), while loaded; undefined when only the summary is in memory. */
  runs: RunRecord[] | undefined;
  /** Estimated JSON size of `runs`, for the LRU. */
  bytes: number;
  /** Records made while the runs were not loaded, merged into them once they are read. */
  pending: RunRecord[];
  /** The read of the runs in progress. */
  loading: Promise<RunRecord[]> | undefined;
  /** The file is in the older format (no head): it is rewritten in the background. */
  outdated: boolean;
  /**
   * The file (older format) was scanned at start-up, not read: the summary holds only its id range and the
   * records made since; `mayBeActive` tells whether it can hold a pending or running run. Cleared once read.
   */
  unread: { mayBeActive: boolean } | undefined;
  /** Read by a query since it was loaded: it stays in the LRU after a write. */
  queried: boolean;
  /** Read again soon after it was unloaded (it is written often): it stays in the LRU after a write. */
  hot: boolean;
  /** When its runs were last unloaded (clock milliseconds). */
  unloadedAt: number | undefined;
  /** Bumped on every change. */
  version: number;
  /** The version last written to disk. */
  savedVersion: number;
  /** The running write loop, if any: at most one per shard. */
  draining: Promise<void> | undefined;
  drainActive: boolean;
  /** A non-durable write is queued for the next turn of the event loop. */
  scheduled: boolean;
  /** Durable callers waiting for a durable write that includes their change. */
  waiters: { version: number; resolve: () => void }[];
  /** A corrupt file that could not be moved aside; moved before the first write. */
  pendingAside: { from: string; to: string } | undefined;
  /** Changes not yet on disk, in order: appended as they are, or covered by the next whole write. */
  unsaved: ShardEntry[];
  /** The file is a document with an intact tail, as this store last saw it: entries may be appended to it. */
  appendable: boolean;
  /** Entries appended after the file's document. */
  appended: number;
  /** Ids of the runs in those entries, while the runs are not loaded (`ids` covers the document only). */
  appendedIds: string[];
  /**
   * The next write must be a whole one: to fold appended entries into the document (compaction), or after
   * retention pruned runs, a damaged tail, a failed write.
   */
  rewrite: boolean;
}

export const EMPTY_SUMMARY: HistorySummary = (() => {
  const summary = createEmptySummary();
  Object.freeze(summary.counts);
  return Object.freeze(summary);
})();

/** The summary of `runs` (oldest first); EMPTY_SUMMARY, shared, when there are none. */
export function summarizeShardRuns(runs: readonly RunRecord[]): HistorySummary {
  return runs.length === 0 ? EMPTY_SUMMARY : summarizeRuns(runs);
}

/** `summary`, or EMPTY_SUMMARY (shared) when it is the summary of no runs at all. */
export function shareEmptySummary(summary: HistorySummary): HistorySummary {
  return summary.total === 0 &&
    summary.runs.length === 0 &&
    summary.oldestId === undefined &&
    summary.newestId === undefined
    ? EMPTY_SUMMARY
    : summary;
}

/** A shard object, with only an empty summary: not loaded, not in the LRU. */
export function createShardState(schedule: string, file: string, adapter: ShardAdapter): Shard {
  const shard: Shard = {
    name: schedule,
    file,
    adapter,
    summary: EMPTY_SUMMARY,
    ids: undefined,
    lastScheduledAt: undefined,
    runs: undefined,
    bytes: 0,
    pending: [],
    loading: undefined,
    outdated: false,
    unread: undefined,
    queried: false,
    hot: false,
    unloadedAt: undefined,
    version: 0,
    savedVersion: 0,
    draining: undefined,
    drainActive: false,
    scheduled: false,
    waiters: [],
    pendingAside: undefined,
    unsaved: [],
    appendable: false,
    appended: 0,
    appendedIds: [],
    rewrite: false,
  };
  return shard;
}

/** Whether the shard's runs are needed in memory: a change not yet written, a write or a read in progress. */
export function isPinned(shard: Shard): boolean {
  return (
    shard.version !== shard.savedVersion ||
    shard.drainActive ||
    shard.scheduled ||
    shard.loading !== undefined ||
    shard.waiters.length > 0 ||
    shard.pendingAside !== undefined
  );
}

/** Whether the shard can hold a run with this id (false is certain; true may need the runs). */
export function mayHold(shard: Shard, id: string, probe: IdProbe): boolean {
  const { summary } = shard;
  if (summary.oldestId === undefined || summary.newestId === undefined) return false;
  if (id < summary.oldestId || id > summary.newestId) return false;
  if (shard.unread !== undefined) return true;
  if (summary.runs.some((run) => run.id === id)) return true;
  if (shard.appendedIds.includes(id)) return true;
  return shard.ids === undefined || idFilterMayContain(shard.ids, probe);
}

/** Whether the shard can hold a run the query matches, judged from its summary. */
export function mayMatch(shard: Shard, query: RunQuery): boolean {
  const { summary } = shard;
  if (shard.unread !== undefined) return mayMatchUnread(shard, query);
  if (summary.total === 0) return false;
  if (
    query.before !== undefined &&
    summary.oldestId !== undefined &&
    summary.oldestId >= query.before
  )
    return false;
  // Counts are exact unless records wait to be merged (see addToSummary).
  if (query.status !== undefined && query.status.length > 0 && shard.pending.length === 0) {
    return query.status.some((status) => summary.counts[status] > 0);
  }
  return true;
}

/** An unread shard: its id range, and its scan for `pending` and `running` runs. */
function mayMatchUnread(shard: Shard, query: RunQuery): boolean {
  const { summary } = shard;
  if (summary.oldestId === undefined) return shard.pending.length > 0;
  if (query.before !== undefined && summary.oldestId >= query.before) return false;
  const { status } = query;
  const active =
    status !== undefined &&
    status.length > 0 &&
    status.every((wanted) => wanted === 'pending' || wanted === 'running');
  return !active || shard.unread?.mayBeActive === true || shard.pending.length > 0;
}

/** No run of the shard matching the query has an id above this. */
export function selectUpperBound(shard: Shard, query: RunQuery): string {
  const newest = shard.summary.newestId ?? '';
  return query.before !== undefined && newest >= query.before ? query.before : newest;
}

/** Binary search in runs sorted by id. */
export function findRun(runs: readonly RunRecord[], id: string): RunRecord | undefined {
  let low = 0;
  let high = runs.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const run = runs[middle] as RunRecord;
    if (run.id === id) return run;
    if (run.id < id) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}

/** About the size of the run in JSON, for the LRU budget. */
export function estimateRunBytes(run: RunRecord | undefined): number {
  if (run === undefined) return 0;
  let bytes = 300 + (run.reason?.length ?? 0);
  for (const attempt of run.attempts) {
    bytes += 150 + (attempt.outputTail?.length ?? 0) + (attempt.error?.length ?? 0);
  }
  return bytes;
}

export function estimateRunsBytes(runs: readonly RunRecord[]): number {
  let bytes = 0;
  for (const run of runs) bytes += estimateRunBytes(run);
  return bytes;
}

export function releaseWaiters(shard: Shard, upToVersion: number): void {
  const waiting = shard.waiters;
  shard.waiters = waiting.filter((waiter) => waiter.version > upToVersion);
  for (const waiter of waiting) if (waiter.version <= upToVersion) waiter.resolve();
}

/** Write and remove a small temp file (not a `.json`: a crash in between leaves nothing taken for a shard). */
export async function probeWritable(dir: string): Promise<void> {
  await writeFileAtomically(join(dir, '.write-probe'), ' '.repeat(4096), { sync: false });
  await unlink(join(dir, '.write-probe'));
}

export async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
