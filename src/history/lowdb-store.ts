// The HistoryStore on lowdb: one JSON shard per schedule; summaries in memory, whole shards read on demand into
// a small LRU (shard-cache.ts); records appended to their shard, which is rewritten (compacted) in the
// background, with coalesced atomic writes and a degraded (in-memory) mode (shard-writer.ts); queries answered
// from summaries first (shard-query.ts). Design: docs/design/history-summary.md.
import { mkdir } from 'node:fs/promises';
import { pino } from 'pino';
import type { Clock } from '../shared/clock.js';
import { SchedulerError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { applyRetention } from './retention.js';
import { ShardCache } from './shard-cache.js';
import { listShardNames, moveShardAside } from './shard-files.js';
import { ShardFileAdapter, insertRun, type ShardAdapter } from './shard-file.js';
import { findShardRun, holdsRun, listShardRuns } from './shard-query.js';
import {
  EMPTY_SUMMARY,
  createShardState,
  estimateRunBytes,
  estimateRunsBytes,
  probeWritable,
  shareEmptySummary,
  summarizeShardRuns,
  type Shard,
} from './shard-state.js';
import { ShardWriter } from './shard-writer.js';
import {
  checkShardFile,
  resolveHistoryDir,
  resolveShardPath,
  type HistoryHealth,
  type HistorySummary,
  type RetentionLimits,
  type RunQuery,
  type RunRecord,
} from './store.js';
import { addToSummary, copyRun, createEmptySummary, exceedsRetention } from './summary.js';

export { UNWRITABLE_CODES } from './writability.js';

import type { LowdbHistoryStore, LowdbHistoryStoreOptions } from './lowdb-options.js';
export type { LowdbHistoryStore, LowdbHistoryStoreOptions } from './lowdb-options.js';

/** Shards read whole at once at open() (files without a head). */
const READ_CONCURRENCY = 32;
/** Heads read between two turns of the event loop at open(). */
const OPEN_BATCH = 250;
const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;
const DEFAULT_OPEN_READ_BYTES = 8 * 1024 * 1024;
/**
 * A shard with appended entries is rewritten whole once it has been quiet this long (or once it holds
 * compactAfterEntries of them). Longer than the interval of the schedules that fire most (every minute and
 * more often): those are rewritten once per 32 entries, about every 11th run, instead of after every run,
 * which cost a read, parse, serialisation and temp file + rename per fire (docs/design/processes.md).
 */
const DEFAULT_COMPACT_IDLE_MS = 5 * 60_000;
/** A shard read again within this long of being unloaded is hot (see Shard.hot). */
const HOT_MS = 60_000;

export function createLowdbHistoryStore(options: LowdbHistoryStoreOptions): LowdbHistoryStore {
  return new ShardedHistoryStore(options);
}

class ShardedHistoryStore implements LowdbHistoryStore {
  readonly #stateDir: string;
  readonly #historyDir: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #adapterFactory: (file: string) => ShardAdapter;
  readonly #shards = new Map<string, Shard>();
  readonly #cache: ShardCache;
  readonly #writer: ShardWriter;
  readonly #retention = new Map<string, RetentionLimits>();
  readonly #corrupt: HistoryHealth['corrupt'] = [];
  readonly #listeners = new Set<(schedule: string) => void>();
  #upgrading: Promise<void> = Promise.resolve();
  /** What is left of `openReadBytes` while open() runs. */
  #openReadBytes: number;

  constructor(options: LowdbHistoryStoreOptions) {
    this.#stateDir = options.stateDir;
    this.#historyDir = resolveHistoryDir(options.stateDir);
    this.#clock = options.clock;
    this.#logger = options.logger ?? pino({ enabled: false });
    this.#adapterFactory = options.adapterFactory ?? ((file) => new ShardFileAdapter(file));
    this.#openReadBytes = Math.max(0, options.openReadBytes ?? DEFAULT_OPEN_READ_BYTES);
    this.#cache = new ShardCache(
      options.clock,
      Math.max(0, options.cacheBytes ?? DEFAULT_CACHE_BYTES),
    );
    this.#writer = new ShardWriter({
      stateDir: options.stateDir,
      historyDir: this.#historyDir,
      clock: options.clock,
      logger: this.#logger,
      retryIntervalMs: options.retryIntervalMs ?? 5000,
      maxConcurrentWrites: Math.max(1, options.maxConcurrentWrites ?? 16),
      compactAfterEntries: Math.max(1, options.compactAfterEntries ?? 32),
      compactIdleMs: Math.max(0, options.compactIdleMs ?? DEFAULT_COMPACT_IDLE_MS),
      compactSweepMs: Math.max(1, options.compactSweepMs ?? 1000),
      upgradeDelayMs: Math.max(0, options.upgradeDelayMs ?? 0),
      ensureLoaded: (shard) => this.#ensureLoaded(shard),
      release: (shard) => this.#cache.release(shard),
    });
  }

  async open(): Promise<{ schedules: string[]; corrupt: HistoryHealth['corrupt'] }> {
    try {
      await mkdir(this.#historyDir, { recursive: true });
      this.#writer.dirReady = true;
      // A full disk still takes an mkdir and an empty file: find out now, not at the first run's record.
      await probeWritable(this.#historyDir);
    } catch (error) {
      this.#writer.markUnwritable(error);
    }
    const names = await listShardNames(this.#historyDir, this.#logger);
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
    this.#upgrading = this.#writer.upgrade([...this.#shards.values()]);
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
      this.#cache.resize(
        shard,
        shard.bytes + estimateRunBytes(record) - estimateRunBytes(replaced),
      );
      // Pruned in memory; the file keeps the pruned runs until it is next written whole.
      this.#pruneLoaded(shard);
      shard.summary = summarizeShardRuns(shard.runs);
      this.#cache.touch(shard);
    } else {
      // The runs are read (and this record merged into them) by the write that follows.
      const index = shard.pending.findIndex((known) => known.id === record.id);
      if (index >= 0) shard.pending[index] = record;
      else shard.pending.push(record);
      shard.summary = addToSummary(shard.summary, record);
    }
    const committed = this.#writer.commit(shard, options.durable === true);
    this.#cache.evict();
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
    return this.#writer.commit(shard, options.durable === true);
  }

  setRetention(schedule: string, limits: RetentionLimits): void {
    this.#retention.set(schedule, { ...limits });
    const shard = this.#shards.get(schedule);
    if (shard === undefined) return;
    if (shard.runs !== undefined) {
      if (this.#pruneLoaded(shard)) {
        shard.summary = summarizeShardRuns(shard.runs);
        shard.rewrite = true;
        void this.#writer.commit(shard, false);
      }
    } else if (shard.appended === 0 && exceedsRetention(shard.summary, limits)) {
      // Read, pruned as it is merged, and written. (A shard with appended entries counts runs the limits
      // already drop; its rewrite, due soon, applies them.)
      shard.rewrite = true;
      void this.#writer.commit(shard, false);
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

  listRuns(query: RunQuery): Promise<RunRecord[]> {
    return listShardRuns(this.#shards, query, this.#readRuns);
  }

  getRun(id: string, options: { schedule?: string } = {}): Promise<RunRecord | undefined> {
    return findShardRun(this.#shards, id, options, this.#readRuns);
  }

  hasRun(schedule: string, id: string): Promise<boolean> {
    return holdsRun(this.#shards.get(schedule), id, this.#readRuns);
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
      writable: this.#writer.writable,
      ...(this.#writer.lastError === undefined ? {} : { lastError: this.#writer.lastError }),
      pendingWrites: this.#writer.dirty.size,
      corrupt: this.#corrupt.map((entry) => ({ ...entry })),
    };
  }

  memory(): { loadedShards: number; loadedBytes: number; pendingRecords: number } {
    let pendingRecords = 0;
    for (const shard of this.#shards.values()) pendingRecords += shard.pending.length;
    return {
      loadedShards: this.#cache.loadedShards,
      loadedBytes: this.#cache.loadedBytes,
      pendingRecords,
    };
  }

  upgraded(): Promise<void> {
    return this.#upgrading;
  }

  compactNow(): Promise<void> {
    return this.#writer.compactNow();
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }

  async close(): Promise<void> {
    await this.#writer.close();
    await this.#upgrading;
    await this.flush();
  }

  /** A shard object, with only an empty summary: not loaded, not in the LRU. */
  #createShard(schedule: string): Shard {
    const file = resolveShardPath(this.#stateDir, schedule);
    const shard = createShardState(schedule, file, this.#adapterFactory(file));
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
    if (head === undefined) return this.#scanOlder(shard);
    if (head === null) {
      this.#attach(shard, []);
    } else {
      shard.summary = shareEmptySummary(head.summary);
      shard.ids = head.ids;
      shard.lastScheduledAt = head.lastScheduledAt;
      shard.appendedIds = head.appendedIds;
      this.#writer.noteTail(shard, head.tail);
    }
    return undefined;
  }

  /**
   * A shard without a head: read whole at open() while `openReadBytes` lasts, else scanned for its watermark,
   * id range and active runs, and read on first use or by the background rewrite. Returns it when it is to be
   * read whole now.
   */
  #scanOlder(shard: Shard): Shard | undefined {
    const scan = shard.adapter.scanOlder?.();
    if (scan === undefined) return shard;
    if (scan.bytes <= this.#openReadBytes) {
      this.#openReadBytes -= scan.bytes;
      return shard;
    }
    shard.lastScheduledAt = scan.lastScheduledAt;
    // Assigned, not spread into a literal: V8 gives `{ ...a, b }` a hidden class per object.
    const summary = createEmptySummary();
    if (scan.oldestId !== undefined && scan.newestId !== undefined) {
      summary.oldestId = scan.oldestId;
      summary.newestId = scan.newestId;
    }
    shard.summary = summary;
    shard.unread = { mayBeActive: scan.mayBeActive };
    shard.outdated = true;
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
      this.#cache.evict();
    } catch (error) {
      this.#attach(shard, []);
      await this.#moveAside(shard, error);
    }
  }

  /** The shard's runs, read (and pending records merged) if they are not in memory. */
  #ensureLoaded(shard: Shard): Promise<RunRecord[]> {
    if (shard.runs !== undefined) {
      this.#cache.touch(shard);
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
      if (data !== null) this.#writer.noteTail(shard, data.tail);
      if (data === null && (shard.ids !== undefined || shard.unread !== undefined)) {
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
    const merging = shard.pending.length > 0 || shard.unread !== undefined;
    const before = shard.summary.total;
    const now = this.#clock.now().getTime();
    shard.hot = shard.unloadedAt !== undefined && now - shard.unloadedAt < HOT_MS;
    const merged = this.#attach(shard, runs);
    // The summary was exact before unless records were merged, runs pruned or the file lost.
    if (corrupt || merging || shard.summary.total !== before) this.#notify(shard.name);
    this.#cache.evict();
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
    shard.unread = undefined;
    shard.appendedIds = [];
    this.#cache.add(shard);
    this.#cache.resize(shard, bytes);
    const pruned = (merging || this.#retention.has(shard.name)) && this.#pruneLoaded(shard);
    shard.summary = summarizeShardRuns(shard.runs);
    if (pruned && shard.version === shard.savedVersion) {
      shard.rewrite = true;
      void this.#writer.commit(shard, false);
    }
    return shard.runs;
  }

  /** Apply the schedule's retention limits to loaded runs; true when something was removed. O(shard). */
  #pruneLoaded(shard: Shard): boolean {
    if (shard.runs === undefined) return false;
    // Not before the schedule's limits are known: start-up recovery records a crash's runs first, and the
    // default limits would drop some of them for a schedule that keeps more (setRetention prunes then).
    const limits = this.#retention.get(shard.name);
    if (limits === undefined) return false;
    const { kept, pruned } = applyRetention(shard.runs, limits);
    if (pruned.length === 0) return false;
    shard.runs = kept;
    this.#cache.resize(shard, shard.bytes - estimateRunsBytes(pruned));
    return true;
  }

  /** The runs for a query; when they cannot be read, what memory holds (the summary's runs, pending records). */
  readonly #readRuns = async (shard: Shard): Promise<readonly RunRecord[]> => {
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
  };

  #notify(schedule: string): void {
    for (const listener of this.#listeners) listener(schedule);
  }

  async #moveAside(shard: Shard, error: unknown): Promise<void> {
    const { moveError, ...entry } = await moveShardAside(
      shard,
      error,
      this.#clock.now(),
      this.#logger,
    );
    this.#corrupt.push(entry);
    if (shard.pendingAside !== undefined) {
      // Kept until it can be moved: the first write of this shard moves it first.
      shard.version += 1;
      this.#writer.dirty.add(shard);
      this.#writer.markUnwritable(moveError);
    }
  }
}
