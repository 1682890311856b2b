// The HistoryStore on lowdb: one JSON shard per schedule; summaries in memory, whole shards read on demand into
// a small LRU; records appended to their shard, which is rewritten (compacted) in the background; coalesced atomic
// writes; degraded (in-memory) mode. Design: docs/design/history-summary.md.
import { mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Clock } from '../shared/clock.js';
import { SchedulerError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { TEMP_FILE_PATTERN, writeFileAtomically } from './atomic-file.js';
import {
  buildIdFilter,
  idFilterMayContain,
  probeId,
  type IdFilter,
  type IdProbe,
} from './id-filter.js';
import { selectRuns, selectScheduleNames } from './query.js';
import { applyRetention } from './retention.js';
import {
  ShardFileAdapter,
  insertRun,
  type ShardAdapter,
  type ShardEntry,
  type ShardRead,
} from './shard-file.js';
import {
  addToSummary,
  copyRun,
  createEmptySummary,
  exceedsRetention,
  summarizeRuns,
} from './summary.js';
import {
  DEFAULT_RETENTION,
  HISTORY_FILE_VERSION,
  checkShardFile,
  resolveHistoryDir,
  resolveShardPath,
  selectShardName,
  type HistoryHealth,
  type HistoryStore,
  type HistorySummary,
  type RetentionLimits,
  type RunQuery,
  type RunRecord,
  type ShardFile,
} from './store.js';

export interface LowdbHistoryStoreOptions {
  /** The state directory; shards live in `<stateDir>/history/`. */
  stateDir: string;
  clock: Clock;
  /** @default a silent logger */
  logger?: Logger;
  /** How often failed writes are retried while the state directory is not writable. @default 5000 */
  retryIntervalMs?: number;
  /**
   * Builds the lowdb adapter of a shard file. Tests pass lowdb's `Memory` (or an instrumented
   * adapter); directory housekeeping (mkdir, listing, moving corrupt files aside) still uses
   * `stateDir`. @default (file) => new ShardFileAdapter(file)
   */
  adapterFactory?: (file: string) => ShardAdapter;
  /** Shard writes in flight at once across the store (durable writes go first). @default 16 */
  maxConcurrentWrites?: number;
  /**
   * Whole shards (runs with output tails) kept in memory, by their estimated JSON size, least recently used
   * first out. Shards with changes not yet on disk stay regardless. @default 16 MiB
   */
  cacheBytes?: number;
  /** Appended entries after which a shard is rewritten whole (compacted) without waiting for it to be idle. @default 32 */
  compactAfterEntries?: number;
  /** A shard with appended entries is rewritten whole once no entry was appended to it for this long. @default 10000 */
  compactIdleMs?: number;
  /** How often shards due for a rewrite are looked for. @default 1000 */
  compactSweepMs?: number;
}

/** The lowdb store: the HistoryStore contract plus what tests and benchmarks look at. */
export interface LowdbHistoryStore extends HistoryStore {
  /** What is in memory beyond the summaries. */
  memory(): {
    /** Shards whose runs are loaded. */
    loadedShards: number;
    /** Their estimated JSON size. */
    loadedBytes: number;
    /** Records waiting for their shard to be read. */
    pendingRecords: number;
  };
  /** Resolves once the shards found in the older format (no head) are rewritten, or the rewrite stopped. */
  upgraded(): Promise<void>;
  /** Rewrite every shard with appended entries now, as the background sweep does once each is due. */
  compactNow(): Promise<void>;
}

/** Error codes that mean "the state directory cannot take writes right now" (SPEC 6). */
export const UNWRITABLE_CODES = [
  'EACCES',
  'EROFS',
  'ENOSPC',
  'EDQUOT',
  'EPERM',
  'ENOTDIR',
] as const;

/** One schedule's shard: its summary, its runs while loaded, and the bookkeeping of its writes. */
interface Shard {
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

const EMPTY_SUMMARY: HistorySummary = (() => {
  const summary = createEmptySummary();
  Object.freeze(summary.counts);
  return Object.freeze(summary);
})();
/** Shards read whole at once at open() (files without a head). */
const READ_CONCURRENCY = 32;
/** Heads read between two turns of the event loop at open(). */
const OPEN_BATCH = 250;
/** Shards a query reads at once. */
const QUERY_READ_BATCH = 8;
/** Shards rewritten at once from the older format. */
const UPGRADE_CONCURRENCY = 2;
const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;
/** A shard read again within this long of being unloaded is hot (see Shard.hot). */
const HOT_MS = 60_000;
/** Entries a shard's tail may hold before a write is made whole whatever else (compaction fell behind). */
const APPEND_LIMIT = 256;

export function createLowdbHistoryStore(options: LowdbHistoryStoreOptions): LowdbHistoryStore {
  return new ShardedHistoryStore(options);
}

class ShardedHistoryStore implements LowdbHistoryStore {
  readonly #stateDir: string;
  readonly #historyDir: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #retryIntervalMs: number;
  readonly #adapterFactory: (file: string) => ShardAdapter;
  readonly #maxWrites: number;
  readonly #cacheBytes: number;
  readonly #compactAfter: number;
  readonly #compactIdleMs: number;
  readonly #compactSweepMs: number;

  readonly #shards = new Map<string, Shard>();
  /** Shards whose runs are loaded, least recently used first. */
  readonly #loaded = new Map<string, Shard>();
  #loadedBytes = 0;
  readonly #retention = new Map<string, RetentionLimits>();
  readonly #dirty = new Set<Shard>();
  readonly #corrupt: HistoryHealth['corrupt'] = [];
  readonly #listeners = new Set<(schedule: string) => void>();

  #writable = true;
  #lastError: string | undefined;
  #dirReady = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #retrying = false;
  #closed = false;
  #writesInFlight = 0;
  readonly #writeQueue: (() => void)[] = [];
  #upgrading: Promise<void> = Promise.resolve();
  /** Shards with appended entries, and when (clock ms) they are due to be rewritten whole. */
  readonly #compactDue = new Map<Shard, number>();
  #sweepTimer: NodeJS.Timeout | undefined;
  /** The sweep in progress, if any. */
  #sweeping: Promise<void> | undefined;

  constructor(options: LowdbHistoryStoreOptions) {
    this.#stateDir = options.stateDir;
    this.#historyDir = resolveHistoryDir(options.stateDir);
    this.#clock = options.clock;
    this.#logger = options.logger ?? pino({ enabled: false });
    this.#retryIntervalMs = options.retryIntervalMs ?? 5000;
    this.#adapterFactory = options.adapterFactory ?? ((file) => new ShardFileAdapter(file));
    this.#maxWrites = Math.max(1, options.maxConcurrentWrites ?? 16);
    this.#cacheBytes = Math.max(0, options.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.#compactAfter = Math.max(1, options.compactAfterEntries ?? 32);
    this.#compactIdleMs = Math.max(0, options.compactIdleMs ?? 10_000);
    this.#compactSweepMs = Math.max(1, options.compactSweepMs ?? 1000);
  }

  async open(): Promise<{ schedules: string[]; corrupt: HistoryHealth['corrupt'] }> {
    try {
      await mkdir(this.#historyDir, { recursive: true });
      this.#dirReady = true;
      // A full disk still takes an mkdir and an empty file: find out now, not at the first run's record.
      await probeWritable(this.#historyDir);
    } catch (error) {
      this.#markUnwritable(error);
    }
    const names = await this.#listShardNames();
    const whole: Shard[] = [];
    for (let start = 0; start < names.length; start += OPEN_BATCH) {
      for (const name of names.slice(start, start + OPEN_BATCH)) {
        const shard = this.#openShardHead(name);
        if (shard !== undefined) whole.push(shard);
      }
      // Heads are read synchronously (ShardAdapter.readHead): the event loop turns between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    let next = 0;
    const readNext = async (): Promise<void> => {
      while (next < whole.length) {
        const shard = whole[next] as Shard;
        next += 1;
        await this.#openShardWhole(shard);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, whole.length) }, readNext));
    this.#upgrading = this.#upgradeOutdated();
    return {
      schedules: [...this.#shards.keys()].sort(),
      corrupt: this.#corrupt.map((entry) => ({ ...entry })),
    };
  }

  recordRun(
    run: RunRecord,
    options: { durable?: boolean; lastScheduledAt?: string } = {},
  ): Promise<void> {
    const shard = this.#selectShard(run.schedule);
    const record = copyRun(run);
    if (options.lastScheduledAt !== undefined) shard.lastScheduledAt = options.lastScheduledAt;
    shard.unsaved.push(
      options.lastScheduledAt === undefined
        ? { run: record }
        : { run: record, lastScheduledAt: options.lastScheduledAt },
    );
    if (shard.runs !== undefined) {
      const replaced = insertRun(shard.runs, record);
      this.#resize(shard, shard.bytes + estimateRunBytes(record) - estimateRunBytes(replaced));
      // Pruned in memory; the file keeps the pruned runs until it is next written whole.
      this.#pruneLoaded(shard);
      shard.summary = summarizeRuns(shard.runs);
      this.#touch(shard);
    } else {
      // The runs are read (and this record merged into them) by the write that follows.
      const index = shard.pending.findIndex((known) => known.id === record.id);
      if (index >= 0) shard.pending[index] = record;
      else shard.pending.push(record);
      shard.summary = addToSummary(shard.summary, record);
    }
    const committed = this.#commit(shard, options.durable === true);
    this.#evict();
    return committed;
  }

  lastScheduledAt(schedule: string): string | undefined {
    return this.#shards.get(schedule)?.lastScheduledAt;
  }

  setLastScheduledAt(
    schedule: string,
    at: string,
    options: { durable?: boolean } = {},
  ): Promise<void> {
    const shard = this.#selectShard(schedule);
    shard.lastScheduledAt = at;
    shard.unsaved.push({ lastScheduledAt: at });
    return this.#commit(shard, options.durable === true);
  }

  setRetention(schedule: string, limits: RetentionLimits): void {
    this.#retention.set(schedule, { ...limits });
    const shard = this.#shards.get(schedule);
    if (shard === undefined) return;
    if (shard.runs !== undefined) {
      if (this.#pruneLoaded(shard)) {
        shard.summary = summarizeRuns(shard.runs);
        shard.rewrite = true;
        void this.#commit(shard, false);
      }
    } else if (shard.appended === 0 && exceedsRetention(shard.summary, limits)) {
      // Read, pruned as it is merged, and written. (A shard with appended entries counts runs the limits
      // already drop; its rewrite, due soon, applies them.)
      shard.rewrite = true;
      void this.#commit(shard, false);
    }
  }

  summary(schedule: string): HistorySummary {
    return this.#shards.get(schedule)?.summary ?? EMPTY_SUMMARY;
  }

  async runs(schedule: string): Promise<readonly RunRecord[]> {
    const shard = this.#shards.get(schedule);
    if (shard === undefined) return [];
    return (await this.#readRuns(shard)).slice();
  }

  async listRuns(query: RunQuery): Promise<RunRecord[]> {
    const limit = query.limit === undefined ? Infinity : Math.max(0, Math.floor(query.limit));
    if (limit === 0) return [];
    const pool =
      query.schedule === undefined && query.schedules === undefined
        ? [...this.#shards.values()]
        : selectScheduleNames(this.#shards.keys(), query).map((name) => this.#shards.get(name)!);
    // Newest possible match first: once `limit` runs are found, a shard whose newest run is older
    // than all of them cannot change the answer, and neither can any after it.
    const candidates = pool
      .filter((shard) => mayMatch(shard, query))
      .map((shard) => ({ shard, bound: selectUpperBound(shard, query) }))
      .sort((a, b) => (a.bound < b.bound ? 1 : a.bound > b.bound ? -1 : 0));
    // Each batch is a map of shards: the schedule filter is already applied.
    const across: RunQuery = { ...query };
    delete across.schedule;
    delete across.schedules;
    let found: RunRecord[] = [];
    for (let start = 0; start < candidates.length; start += QUERY_READ_BATCH) {
      const first = candidates[start] as (typeof candidates)[number];
      const oldestFound = found[limit - 1];
      if (oldestFound !== undefined && first.bound < oldestFound.id) break;
      const batch = candidates.slice(start, start + QUERY_READ_BATCH);
      const runs = await Promise.all(batch.map(({ shard }) => this.#readRuns(shard)));
      const shards = new Map(batch.map(({ shard }, index) => [shard.name, runs[index] ?? []]));
      found = found.concat(selectRuns(shards, across));
      found.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      if (found.length > limit) found.length = limit;
    }
    return found;
  }

  async getRun(id: string, options: { schedule?: string } = {}): Promise<RunRecord | undefined> {
    const probe = probeId(id);
    const pool =
      options.schedule === undefined
        ? this.#shards.values()
        : [this.#shards.get(options.schedule)].filter((shard) => shard !== undefined);
    const named: Shard[] = [];
    const maybe: Shard[] = [];
    for (const shard of pool) {
      if (shard.runs !== undefined) {
        const run = findRun(shard.runs, id);
        if (run !== undefined) return run;
        continue;
      }
      const pending = shard.pending.find((run) => run.id === id);
      if (pending !== undefined) return pending;
      if (!mayHold(shard, id, probe)) continue;
      if (shard.summary.runs.some((run) => run.id === id)) named.push(shard);
      else maybe.push(shard);
    }
    // The summaries name the run in the common case (a recent run); else the id filters narrow the shards
    // down to the one that holds it and, rarely, a false "maybe".
    for (const shard of [...named, ...maybe]) {
      const run = findRun(await this.#readRuns(shard), id);
      if (run !== undefined) return run;
    }
    return undefined;
  }

  async hasRun(schedule: string, id: string): Promise<boolean> {
    const shard = this.#shards.get(schedule);
    if (shard === undefined) return false;
    if (shard.runs !== undefined) return findRun(shard.runs, id) !== undefined;
    if (shard.pending.some((run) => run.id === id)) return true;
    if (!mayHold(shard, id, probeId(id))) return false;
    if (shard.summary.runs.some((run) => run.id === id)) return true;
    return findRun(await this.#readRuns(shard), id) !== undefined;
  }

  savePoint(schedule: string): () => boolean {
    const shard = this.#shards.get(schedule);
    if (shard === undefined) return () => true;
    const version = shard.version;
    return () => this.#shards.get(schedule) === shard && shard.savedVersion >= version;
  }

  subscribe(listener: (schedule: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  health(): HistoryHealth {
    return {
      writable: this.#writable,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      pendingWrites: this.#dirty.size,
      corrupt: this.#corrupt.map((entry) => ({ ...entry })),
    };
  }

  memory(): { loadedShards: number; loadedBytes: number; pendingRecords: number } {
    let pendingRecords = 0;
    for (const shard of this.#shards.values()) pendingRecords += shard.pending.length;
    return { loadedShards: this.#loaded.size, loadedBytes: this.#loadedBytes, pendingRecords };
  }

  upgraded(): Promise<void> {
    return this.#upgrading;
  }

  async compactNow(): Promise<void> {
    for (const shard of [...this.#compactDue.keys()]) await this.#compact(shard);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#dirty].map((shard) => this.#drain(shard)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopRetryTimer();
    this.#stopSweep();
    await this.#upgrading;
    await this.flush();
    // A rewrite started by the sweep holds nothing unsaved, but must not outlive the store.
    await this.#sweeping;
    this.#compactDue.clear();
  }

  /** A shard object, with only an empty summary: not loaded, not in the LRU. */
  #createShard(schedule: string): Shard {
    const file = resolveShardPath(this.#stateDir, schedule);
    const shard: Shard = {
      name: schedule,
      file,
      adapter: this.#adapterFactory(file),
      summary: EMPTY_SUMMARY,
      ids: undefined,
      lastScheduledAt: undefined,
      runs: undefined,
      bytes: 0,
      pending: [],
      loading: undefined,
      outdated: false,
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
    this.#shards.set(schedule, shard);
    return shard;
  }

  /** The schedule's shard; a new one (no file yet) starts loaded and empty. */
  #selectShard(schedule: string): Shard {
    const existing = this.#shards.get(schedule);
    if (existing !== undefined) return existing;
    const shard = this.#createShard(schedule);
    this.#attach(shard, []);
    return shard;
  }

  /** Read one shard's head at open(); returns the shard when its file has to be read whole instead. */
  #openShardHead(name: string): Shard | undefined {
    const shard = this.#createShard(name);
    if (shard.adapter.readHead === undefined) return shard;
    let head: ReturnType<NonNullable<ShardAdapter['readHead']>>;
    try {
      head = shard.adapter.readHead();
    } catch {
      // Read whole, which fails the same way and moves the file aside.
      return shard;
    }
    if (head === undefined) return shard;
    if (head === null) {
      this.#attach(shard, []);
    } else {
      shard.summary = head.summary;
      shard.ids = head.ids;
      shard.lastScheduledAt = head.lastScheduledAt;
      shard.appendedIds = head.appendedIds;
      this.#noteTail(shard, head.tail);
    }
    return undefined;
  }

  /** Read a shard without a usable head whole; a file with a head reader is then rewritten with a head. */
  async #openShardWhole(shard: Shard): Promise<void> {
    try {
      const data = await shard.adapter.read();
      if (data === null) {
        this.#attach(shard, []);
        return;
      }
      const checked = checkShardFile(data, shard.name, shard.file);
      shard.lastScheduledAt = checked.lastScheduledAt;
      // Older format, or a tail too long to read with the head: rewritten in the background.
      shard.outdated = shard.adapter.readHead !== undefined;
      shard.appended = data.tail?.entries ?? 0;
      this.#attach(shard, checked.runs);
      this.#evict();
    } catch (error) {
      this.#attach(shard, []);
      await this.#moveAside(shard, error);
    }
  }

  /** The shard's runs, read (and pending records merged) if they are not in memory. */
  #ensureLoaded(shard: Shard): Promise<RunRecord[]> {
    if (shard.runs !== undefined) {
      this.#touch(shard);
      return Promise.resolve(shard.runs);
    }
    shard.loading ??= this.#load(shard).finally(() => {
      shard.loading = undefined;
    });
    return shard.loading;
  }

  /** Rejects for an I/O error (the caller decides); a file that is not a shard is moved aside. */
  async #load(shard: Shard): Promise<RunRecord[]> {
    let runs: RunRecord[];
    let corrupt = false;
    try {
      const data = await shard.adapter.read();
      if (data !== null) this.#noteTail(shard, data.tail);
      if (data === null && shard.ids !== undefined) {
        this.#logger.warn(
          { file: shard.file, schedule: shard.name, runs: shard.summary.total },
          'history: a history file disappeared; its runs are gone, starting it again',
        );
      }
      runs = data === null ? [] : checkShardFile(data, shard.name, shard.file).runs;
    } catch (error) {
      if (!(error instanceof SchedulerError && error.code === 'HISTORY_READ_FAILED')) throw error;
      await this.#moveAside(shard, error);
      runs = [];
      corrupt = true;
    }
    const merging = shard.pending.length > 0;
    const before = shard.summary.total;
    const now = this.#clock.now().getTime();
    shard.hot = shard.unloadedAt !== undefined && now - shard.unloadedAt < HOT_MS;
    const merged = this.#attach(shard, runs);
    // The summary was exact before unless records were merged, runs pruned or the file lost.
    if (corrupt || merging || shard.summary.total !== before) this.#notify(shard.name);
    this.#evict();
    return merged;
  }

  /**
   * Make `runs` (as read) the shard's loaded runs: records made meanwhile are merged, retention applied
   * once the schedule's limits are known (not at open(), before they are), the summary rebuilt exactly.
   */
  #attach(shard: Shard, runs: RunRecord[]): RunRecord[] {
    let bytes = estimateRunsBytes(runs);
    for (const record of shard.pending) {
      bytes += estimateRunBytes(record) - estimateRunBytes(insertRun(runs, record));
    }
    const merging = shard.pending.length > 0;
    shard.pending = [];
    shard.runs = runs;
    shard.ids = undefined;
    shard.appendedIds = [];
    this.#loaded.set(shard.name, shard);
    this.#resize(shard, bytes);
    const pruned = (merging || this.#retention.has(shard.name)) && this.#pruneLoaded(shard);
    shard.summary = summarizeRuns(shard.runs);
    if (pruned && shard.version === shard.savedVersion) {
      shard.rewrite = true;
      void this.#commit(shard, false);
    }
    return shard.runs;
  }

  /** Apply the schedule's retention limits to loaded runs; true when something was removed. O(shard). */
  #pruneLoaded(shard: Shard): boolean {
    if (shard.runs === undefined) return false;
    const limits = this.#retention.get(shard.name) ?? DEFAULT_RETENTION;
    const { kept, pruned } = applyRetention(shard.runs, limits);
    if (pruned.length === 0) return false;
    shard.runs = kept;
    this.#resize(shard, shard.bytes - estimateRunsBytes(pruned));
    return true;
  }

  /** The runs for a query; when they cannot be read, what memory holds (the summary's runs, pending records). */
  async #readRuns(shard: Shard): Promise<readonly RunRecord[]> {
    try {
      const runs = await this.#ensureLoaded(shard);
      shard.queried = true;
      return runs;
    } catch (error) {
      this.#logger.warn(
        { err: error, file: shard.file, schedule: shard.name },
        'history: cannot read a history file; answering from its summary',
      );
      const runs = shard.summary.runs.filter(
        (run) => !shard.pending.some((record) => record.id === run.id),
      );
      for (const record of shard.pending) insertRun(runs, record);
      return runs;
    }
  }

  #touch(shard: Shard): void {
    if (shard.runs === undefined) return;
    this.#loaded.delete(shard.name);
    this.#loaded.set(shard.name, shard);
  }

  #resize(shard: Shard, bytes: number): void {
    this.#loadedBytes += bytes - shard.bytes;
    shard.bytes = bytes;
  }

  /** Unload least recently used shards until the loaded ones fit the budget; shards being written stay. */
  #evict(): void {
    if (this.#loadedBytes <= this.#cacheBytes) return;
    for (const shard of this.#loaded.values()) {
      if (this.#loadedBytes <= this.#cacheBytes) return;
      if (!isPinned(shard)) this.#unload(shard);
    }
  }

  /**
   * After a write: a shard read only to be written goes out of memory at once, unless a run of it is in
   * progress (more records follow) or it is hot. Keeping thousands of shards that are written once in a
   * while would not save reads, and would make every young-generation GC copy them.
   */
  #release(shard: Shard): void {
    const { counts } = shard.summary;
    const active = counts.running + counts.pending > 0;
    if (shard.runs !== undefined && !isPinned(shard) && !shard.queried && !shard.hot && !active) {
      this.#unload(shard);
    }
    this.#evict();
  }

  /** Keep only the summary (and an id filter of the file, which now holds exactly these runs). */
  #unload(shard: Shard): void {
    const runs = shard.runs ?? [];
    shard.ids = buildIdFilter(
      runs.map((run) => run.id),
      runs.length,
    );
    shard.runs = undefined;
    shard.appendedIds = [];
    shard.queried = false;
    shard.hot = false;
    shard.unloadedAt = this.#clock.now().getTime();
    this.#resize(shard, 0);
    this.#loaded.delete(shard.name);
  }

  #notify(schedule: string): void {
    for (const listener of this.#listeners) listener(schedule);
  }

  /** Note a change and arrange its write: now and awaited when durable, else on the next turn. */
  #commit(shard: Shard, durable: boolean): Promise<void> {
    shard.version += 1;
    this.#dirty.add(shard);
    if (durable) {
      return new Promise<void>((resolve) => {
        shard.waiters.push({ version: shard.version, resolve });
        void this.#drain(shard);
      });
    }
    if (!shard.scheduled && shard.draining === undefined) {
      shard.scheduled = true;
      setImmediate(() => {
        shard.scheduled = false;
        void this.#drain(shard);
      });
    }
    return Promise.resolve();
  }

  /** The shard's write loop: started if not running, else the running one (which picks up new changes). */
  #drain(shard: Shard): Promise<void> {
    if (shard.draining !== undefined) return shard.draining;
    const promise = this.#runDrain(shard);
    // The loop may have finished synchronously (nothing to write); only keep a live one.
    if (shard.drainActive) shard.draining = promise;
    return promise;
  }

  async #runDrain(shard: Shard): Promise<void> {
    shard.drainActive = true;
    try {
      while (shard.version > shard.savedVersion || shard.waiters.length > 0 || shard.rewrite) {
        const appending = this.#canAppend(shard);
        let runs = shard.runs;
        if (!appending && runs === undefined) {
          try {
            // Read-modify-write: a shard not in memory is read first (records made meanwhile are merged).
            runs = await this.#ensureLoaded(shard);
          } catch (error) {
            this.#markUnwritable(error);
            releaseWaiters(shard, Infinity);
            return;
          }
        }
        if (this.#writesInFlight < this.#maxWrites) this.#writesInFlight += 1;
        else await this.#waitForWriteSlot(shard.waiters.length > 0);
        // Captured after waiting for a slot: the write carries the latest state (a whole write serialises the
        // runs in memory when it starts, which hold every unsaved entry).
        const version = shard.version;
        const durable = shard.waiters.length > 0;
        const entries = shard.unsaved;
        shard.unsaved = [];
        try {
          if (appending) await this.#appendShard(shard, entries, durable);
          else await this.#writeShard(shard, shard.runs ?? runs ?? [], durable);
        } catch (error) {
          shard.unsaved = entries.concat(shard.unsaved);
          if (appending) {
            // Part of a line may have reached the file: the next write is a whole one.
            shard.appendable = false;
            const code = (error as NodeJS.ErrnoException).code;
            if (code === 'ENOENT' || code === 'ENOTDIR') this.#dirReady = false;
            // The file is gone: written again whole from what is known, not an unwritable directory.
            if (code === 'ENOENT') continue;
          } else {
            shard.rewrite = true;
          }
          this.#dirty.add(shard);
          this.#markUnwritable(error);
          // Durable callers are told "done" even though the write failed: the run stays in
          // memory and health() reports the condition; recordRun never throws for the disk.
          releaseWaiters(shard, Infinity);
          return;
        } finally {
          this.#releaseWriteSlot();
        }
        if (appending) this.#noteAppended(shard, entries);
        else this.#noteWrittenWhole(shard);
        shard.savedVersion = version;
        shard.outdated = false;
        if (shard.version === version && shard.unsaved.length === 0) this.#dirty.delete(shard);
        if (durable) releaseWaiters(shard, version);
        this.#markWritable();
      }
    } finally {
      shard.drainActive = false;
      shard.draining = undefined;
      this.#release(shard);
    }
  }

  /** Whether the unsaved entries can go out as an append (else the write is a whole one). */
  #canAppend(shard: Shard): boolean {
    return (
      shard.appendable &&
      !shard.rewrite &&
      shard.pendingAside === undefined &&
      shard.unsaved.length > 0 &&
      shard.adapter.append !== undefined &&
      shard.appended + shard.unsaved.length <= APPEND_LIMIT
    );
  }

  async #appendShard(shard: Shard, entries: ShardEntry[], durable: boolean): Promise<void> {
    await shard.adapter.append!(entries, { sync: durable });
    // The file may have been created by a write that did not sync its directory.
    if (durable) await shard.adapter.syncDirectory?.();
  }

  /** After an append: records that waited for their shard's runs are on disk now; arrange the rewrite. */
  #noteAppended(shard: Shard, entries: readonly ShardEntry[]): void {
    shard.appended += entries.length;
    if (shard.runs === undefined) {
      const written = new Set<RunRecord>();
      for (const entry of entries) {
        if (entry.run === undefined) continue;
        written.add(entry.run);
        shard.appendedIds.push(entry.run.id);
      }
      // A record replaced since (same id, newer state) is not the one written: it stays.
      shard.pending = shard.pending.filter((record) => !written.has(record));
    }
    this.#scheduleCompaction(shard);
  }

  #noteWrittenWhole(shard: Shard): void {
    shard.appended = 0;
    shard.appendedIds = [];
    shard.rewrite = false;
    shard.appendable = shard.adapter.append !== undefined;
    this.#compactDue.delete(shard);
  }

  /** What a read found after the document: how many entries, and whether appends may continue. */
  #noteTail(shard: Shard, tail: ShardRead['tail']): void {
    shard.appended = tail?.entries ?? 0;
    shard.appendable = tail !== undefined && !tail.damaged && shard.adapter.append !== undefined;
    if (tail?.damaged === true) {
      this.#logger.warn(
        { file: shard.file, schedule: shard.name, entries: tail.entries },
        'history: ignoring a damaged line at the end of a history file (a write cut short); rewriting it',
      );
      shard.rewrite = true;
      this.#compactDue.set(shard, this.#clock.now().getTime());
      this.#startSweep();
    } else if (shard.appended > 0) {
      this.#scheduleCompaction(shard);
    }
  }

  /**
   * A shard with appended entries is rewritten whole once it has been quiet for compactIdleMs (each append
   * moves that back), or soon once it holds compactAfterEntries of them.
   */
  #scheduleCompaction(shard: Shard): void {
    if (shard.appended === 0 || this.#closed) return;
    const now = this.#clock.now().getTime();
    this.#compactDue.set(
      shard,
      shard.appended >= this.#compactAfter ? now : now + this.#compactIdleMs,
    );
    this.#startSweep();
  }

  #startSweep(): void {
    if (this.#sweepTimer !== undefined || this.#closed) return;
    this.#sweepTimer = setInterval(() => {
      this.#sweeping ??= this.#sweep().finally(() => {
        this.#sweeping = undefined;
        if (this.#compactDue.size === 0) this.#stopSweep();
      });
    }, this.#compactSweepMs);
    this.#sweepTimer.unref();
  }

  #stopSweep(): void {
    if (this.#sweepTimer === undefined) return;
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
  }

  /** Rewrite the shards that are due, one at a time: this is background work, behind the records. */
  async #sweep(): Promise<void> {
    const now = this.#clock.now().getTime();
    const due: Shard[] = [];
    for (const [shard, at] of this.#compactDue) if (at <= now) due.push(shard);
    for (const shard of due) {
      if (this.#closed || !this.#writable) return;
      // Moved back by an append since, or written whole meanwhile.
      const at = this.#compactDue.get(shard);
      if (at === undefined || at > now) continue;
      await this.#compact(shard);
    }
  }

  /** Rewrite the shard whole now, its appended entries folded into the document. */
  #compact(shard: Shard): Promise<void> {
    this.#compactDue.delete(shard);
    shard.rewrite = true;
    return this.#drain(shard);
  }

  async #writeShard(shard: Shard, runs: RunRecord[], durable: boolean): Promise<void> {
    if (!this.#dirReady) {
      await mkdir(this.#historyDir, { recursive: true });
      this.#dirReady = true;
    }
    if (shard.pendingAside !== undefined) {
      await renameIfPresent(shard.pendingAside.from, shard.pendingAside.to);
      shard.pendingAside = undefined;
    }
    const data: ShardFile = {
      version: HISTORY_FILE_VERSION,
      schedule: shard.name,
      ...(shard.lastScheduledAt !== undefined ? { lastScheduledAt: shard.lastScheduledAt } : {}),
      runs,
    };
    try {
      if (!durable && shard.adapter.writeWithoutSync) {
        await shard.adapter.writeWithoutSync(data);
      } else {
        await shard.adapter.write(data);
        if (durable) await shard.adapter.syncDirectory?.();
      }
    } catch (error) {
      // The history directory was removed or replaced: create it again on the next attempt.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') this.#dirReady = false;
      throw error;
    }
  }

  /** Rewrite shards found in the older format, a few at a time, while nothing else stops it. */
  async #upgradeOutdated(): Promise<void> {
    const outdated = [...this.#shards.values()].filter((shard) => shard.outdated);
    if (outdated.length === 0) return;
    this.#logger.info(
      { shards: outdated.length },
      'history: rewriting history files with a summary head in the background',
    );
    let next = 0;
    const rewriteNext = async (): Promise<void> => {
      while (next < outdated.length && !this.#closed && this.#writable) {
        const shard = outdated[next] as Shard;
        next += 1;
        if (!shard.outdated || this.#dirty.has(shard)) continue;
        shard.version += 1;
        this.#dirty.add(shard);
        await this.#drain(shard);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(UPGRADE_CONCURRENCY, outdated.length) }, rewriteNext),
    );
  }

  /** Wait until a running write hands its slot over (the slot count stays the same). */
  #waitForWriteSlot(durable: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      // A durable write holds up a process start: it goes ahead of background writes.
      if (durable) this.#writeQueue.unshift(resolve);
      else this.#writeQueue.push(resolve);
    });
  }

  #releaseWriteSlot(): void {
    const next = this.#writeQueue.shift();
    if (next !== undefined) next();
    else this.#writesInFlight -= 1;
  }

  #markUnwritable(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#writable) {
      const code = (error as NodeJS.ErrnoException).code;
      const known = (UNWRITABLE_CODES as readonly (string | undefined)[]).includes(code);
      this.#logger.error(
        { err: error, stateDir: this.#stateDir },
        known
          ? 'history: state directory is not writable (read-only or full); keeping runs in memory and retrying'
          : 'history: writing the state directory failed; keeping runs in memory and retrying',
      );
    }
    this.#writable = false;
    this.#lastError = message;
    this.#startRetryTimer();
  }

  #markWritable(): void {
    if (this.#writable) return;
    this.#writable = true;
    this.#lastError = undefined;
    this.#logger.info(
      { stateDir: this.#stateDir, pendingWrites: this.#dirty.size },
      'history: state directory is writable again',
    );
    // Everything kept in memory meanwhile goes to disk now, not at the next timer tick.
    void this.#retryPending();
  }

  #startRetryTimer(): void {
    if (this.#retryTimer !== undefined || this.#closed) return;
    this.#retryTimer = setInterval(() => void this.#retryPending(), this.#retryIntervalMs);
    this.#retryTimer.unref();
  }

  #stopRetryTimer(): void {
    if (this.#retryTimer === undefined) return;
    clearInterval(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** Write every shard with unsaved changes, a few at a time; stop early while writes keep failing. */
  async #retryPending(): Promise<void> {
    if (this.#retrying) return;
    this.#retrying = true;
    try {
      if (!this.#dirReady) {
        try {
          await mkdir(this.#historyDir, { recursive: true });
          this.#dirReady = true;
          if (this.#dirty.size === 0) this.#markWritable();
        } catch (error) {
          this.#markUnwritable(error);
          return;
        }
      }
      const pending = [...this.#dirty];
      for (let start = 0; start < pending.length; start += this.#maxWrites) {
        await Promise.all(
          pending.slice(start, start + this.#maxWrites).map((shard) => this.#drain(shard)),
        );
        if (!this.#writable) return;
      }
      if (this.#writable && this.#dirty.size === 0) this.#stopRetryTimer();
    } finally {
      this.#retrying = false;
    }
  }

  async #listShardNames(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.#historyDir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        this.#logger.error(
          { err: error, dir: this.#historyDir },
          'history: cannot list the history directory',
        );
      }
      return [];
    }
    // Temp files left by a crash in the middle of a write: the target is intact, the temp is garbage.
    await Promise.all(
      entries
        .filter((entry) => TEMP_FILE_PATTERN.test(entry))
        .map((entry) => unlink(join(this.#historyDir, entry)).catch(() => undefined)),
    );
    return entries.map(selectShardName).filter((name): name is string => name !== undefined);
  }

  async #moveAside(shard: Shard, error: unknown): Promise<void> {
    const now = this.#clock.now();
    const movedTo = `${shard.file}.corrupt-${now.toISOString().replace(/[-:]/g, '')}`;
    shard.appendable = false;
    const message = error instanceof Error ? error.message : String(error);
    let moveError: unknown;
    try {
      await rename(shard.file, movedTo);
    } catch (caught) {
      moveError = caught;
      // Keep the file until it can be moved: the first write of this shard moves it first.
      shard.pendingAside = { from: shard.file, to: movedTo };
      shard.version += 1;
      this.#dirty.add(shard);
      this.#markUnwritable(caught);
    }
    this.#corrupt.push({ file: shard.file, movedTo, error: message, at: now.toISOString() });
    this.#logger.error(
      {
        err: error,
        file: shard.file,
        movedTo,
        schedule: shard.name,
        ...(moveError === undefined ? {} : { moveError }),
      },
      moveError === undefined
        ? 'history: corrupt history file moved aside; starting a fresh one'
        : 'history: corrupt history file could not be moved aside yet; starting a fresh one in memory',
    );
  }
}

/** Whether the shard's runs are needed in memory: a change not yet written, a write or a read in progress. */
function isPinned(shard: Shard): boolean {
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
function mayHold(shard: Shard, id: string, probe: IdProbe): boolean {
  const { summary } = shard;
  if (summary.oldestId === undefined || summary.newestId === undefined) return false;
  if (id < summary.oldestId || id > summary.newestId) return false;
  if (summary.runs.some((run) => run.id === id)) return true;
  if (shard.appendedIds.includes(id)) return true;
  return shard.ids === undefined || idFilterMayContain(shard.ids, probe);
}

/** Whether the shard can hold a run the query matches, judged from its summary. */
function mayMatch(shard: Shard, query: RunQuery): boolean {
  const { summary } = shard;
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

/** No run of the shard matching the query has an id above this. */
function selectUpperBound(shard: Shard, query: RunQuery): string {
  const newest = shard.summary.newestId ?? '';
  return query.before !== undefined && newest >= query.before ? query.before : newest;
}

/** Binary search in runs sorted by id. */
function findRun(runs: readonly RunRecord[], id: string): RunRecord | undefined {
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
function estimateRunBytes(run: RunRecord | undefined): number {
  if (run === undefined) return 0;
  let bytes = 300 + (run.reason?.length ?? 0);
  for (const attempt of run.attempts) {
    bytes += 150 + (attempt.outputTail?.length ?? 0) + (attempt.error?.length ?? 0);
  }
  return bytes;
}

function estimateRunsBytes(runs: readonly RunRecord[]): number {
  let bytes = 0;
  for (const run of runs) bytes += estimateRunBytes(run);
  return bytes;
}

function releaseWaiters(shard: Shard, upToVersion: number): void {
  const waiting = shard.waiters;
  shard.waiters = waiting.filter((waiter) => waiter.version > upToVersion);
  for (const waiter of waiting) if (waiter.version <= upToVersion) waiter.resolve();
}

/** Write and remove a small temp file (not a `.json`: a crash in between leaves nothing taken for a shard). */
async function probeWritable(dir: string): Promise<void> {
  await writeFileAtomically(join(dir, '.write-probe'), ' '.repeat(4096), { sync: false });
  await unlink(join(dir, '.write-probe'));
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
