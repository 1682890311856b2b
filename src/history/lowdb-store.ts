// The HistoryStore on lowdb: one JSON shard per schedule, coalesced atomic writes, degraded (in-memory) mode.
import { mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { pino } from 'pino';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { AtomicJsonFile, TEMP_FILE_PATTERN, type DurableAdapter } from './atomic-file.js';
import { selectRuns } from './query.js';
import { applyRetention } from './retention.js';
import {
  DEFAULT_RETENTION,
  HISTORY_FILE_VERSION,
  checkShardFile,
  resolveHistoryDir,
  resolveShardPath,
  selectShardName,
  type HistoryHealth,
  type HistoryStore,
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
   * `stateDir`. @default (file) => new AtomicJsonFile(file)
   */
  adapterFactory?: (file: string) => DurableAdapter<ShardFile>;
  /** Shard writes in flight at once across the store (durable writes go first). @default 16 */
  maxConcurrentWrites?: number;
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

/** One schedule's shard and the bookkeeping of its writes. */
interface Shard {
  name: string;
  file: string;
  db: Low<ShardFile>;
  adapter: DurableAdapter<ShardFile>;
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
  /** A corrupt file that could not be moved aside at open(); moved before the first write. */
  pendingAside: { from: string; to: string } | undefined;
}

const NO_RUNS: readonly RunRecord[] = Object.freeze([]);
const READ_CONCURRENCY = 32;

export function createLowdbHistoryStore(options: LowdbHistoryStoreOptions): HistoryStore {
  return new LowdbHistoryStore(options);
}

class LowdbHistoryStore implements HistoryStore {
  readonly #stateDir: string;
  readonly #historyDir: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #retryIntervalMs: number;
  readonly #adapterFactory: (file: string) => DurableAdapter<ShardFile>;
  readonly #maxWrites: number;

  readonly #shards = new Map<string, Shard>();
  readonly #runsById = new Map<string, RunRecord>();
  readonly #retention = new Map<string, RetentionLimits>();
  readonly #dirty = new Set<Shard>();
  readonly #corrupt: HistoryHealth['corrupt'] = [];

  #writable = true;
  #lastError: string | undefined;
  #dirReady = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #retrying = false;
  #closed = false;
  #writesInFlight = 0;
  readonly #writeQueue: (() => void)[] = [];

  constructor(options: LowdbHistoryStoreOptions) {
    this.#stateDir = options.stateDir;
    this.#historyDir = resolveHistoryDir(options.stateDir);
    this.#clock = options.clock;
    this.#logger = options.logger ?? pino({ enabled: false });
    this.#retryIntervalMs = options.retryIntervalMs ?? 5000;
    this.#adapterFactory =
      options.adapterFactory ?? ((file) => new AtomicJsonFile<ShardFile>(file));
    this.#maxWrites = Math.max(1, options.maxConcurrentWrites ?? 16);
  }

  async open(): Promise<{ schedules: string[]; corrupt: HistoryHealth['corrupt'] }> {
    try {
      await mkdir(this.#historyDir, { recursive: true });
      this.#dirReady = true;
    } catch (error) {
      this.#markUnwritable(error);
    }
    const names = await this.#listShardNames();
    let next = 0;
    const readNext = async (): Promise<void> => {
      while (next < names.length) {
        const name = names[next] as string;
        next += 1;
        await this.#loadShard(name);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, readNext));
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
    const runs = shard.db.data.runs;
    // Runs are kept sorted by id; new runs almost always go at the end, updates near it.
    let index = runs.length - 1;
    while (index >= 0 && (runs[index] as RunRecord).id > record.id) index -= 1;
    if (index >= 0 && (runs[index] as RunRecord).id === record.id) runs[index] = record;
    else runs.splice(index + 1, 0, record);
    this.#runsById.set(record.id, record);
    this.#pruneShard(shard);
    if (options.lastScheduledAt !== undefined)
      shard.db.data.lastScheduledAt = options.lastScheduledAt;
    return this.#commit(shard, options.durable === true);
  }

  lastScheduledAt(schedule: string): string | undefined {
    return this.#shards.get(schedule)?.db.data.lastScheduledAt;
  }

  setLastScheduledAt(
    schedule: string,
    at: string,
    options: { durable?: boolean } = {},
  ): Promise<void> {
    const shard = this.#selectShard(schedule);
    shard.db.data.lastScheduledAt = at;
    return this.#commit(shard, options.durable === true);
  }

  setRetention(schedule: string, limits: RetentionLimits): void {
    this.#retention.set(schedule, { ...limits });
    const shard = this.#shards.get(schedule);
    if (shard !== undefined && this.#pruneShard(shard)) void this.#commit(shard, false);
  }

  runs(schedule: string): readonly RunRecord[] {
    return this.#shards.get(schedule)?.db.data.runs ?? NO_RUNS;
  }

  listRuns(query: RunQuery): RunRecord[] {
    const shards = new Map<string, readonly RunRecord[]>();
    for (const [name, shard] of this.#shards) shards.set(name, shard.db.data.runs);
    return selectRuns(shards, query);
  }

  getRun(id: string): RunRecord | undefined {
    return this.#runsById.get(id);
  }

  health(): HistoryHealth {
    return {
      writable: this.#writable,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      pendingWrites: this.#dirty.size,
      corrupt: this.#corrupt.map((entry) => ({ ...entry })),
    };
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#dirty].map((shard) => this.#drain(shard)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopRetryTimer();
    await this.flush();
  }

  /** The schedule's shard, created (empty, in memory) on first use. */
  #selectShard(schedule: string): Shard {
    const existing = this.#shards.get(schedule);
    if (existing !== undefined) return existing;
    const file = resolveShardPath(this.#stateDir, schedule);
    const adapter = this.#adapterFactory(file);
    const shard: Shard = {
      name: schedule,
      file,
      db: new Low<ShardFile>(adapter, createEmptyShard(schedule)),
      adapter,
      version: 0,
      savedVersion: 0,
      draining: undefined,
      drainActive: false,
      scheduled: false,
      waiters: [],
      pendingAside: undefined,
    };
    this.#shards.set(schedule, shard);
    return shard;
  }

  /** Apply the schedule's retention limits; true when something was removed. O(shard). */
  #pruneShard(shard: Shard): boolean {
    const limits = this.#retention.get(shard.name) ?? DEFAULT_RETENTION;
    const { kept, pruned } = applyRetention(shard.db.data.runs, limits);
    if (pruned.length === 0) return false;
    shard.db.data.runs = kept;
    for (const run of pruned) {
      if (this.#runsById.get(run.id) === run) this.#runsById.delete(run.id);
    }
    return true;
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
      while (shard.version > shard.savedVersion || shard.waiters.length > 0) {
        if (this.#writesInFlight < this.#maxWrites) this.#writesInFlight += 1;
        else await this.#waitForWriteSlot(shard.waiters.length > 0);
        // Captured after waiting for a slot: the write carries the latest state.
        const version = shard.version;
        const durable = shard.waiters.length > 0;
        try {
          await this.#writeShard(shard, durable);
        } catch (error) {
          this.#markUnwritable(error);
          // Durable callers are told "done" even though the write failed: the run stays in
          // memory and health() reports the condition; recordRun never throws for the disk.
          releaseWaiters(shard, Infinity);
          return;
        } finally {
          this.#releaseWriteSlot();
        }
        shard.savedVersion = version;
        if (shard.version === version) this.#dirty.delete(shard);
        if (durable) releaseWaiters(shard, version);
        this.#markWritable();
      }
    } finally {
      shard.drainActive = false;
      shard.draining = undefined;
    }
  }

  async #writeShard(shard: Shard, durable: boolean): Promise<void> {
    if (!this.#dirReady) {
      await mkdir(this.#historyDir, { recursive: true });
      this.#dirReady = true;
    }
    if (shard.pendingAside !== undefined) {
      await renameIfPresent(shard.pendingAside.from, shard.pendingAside.to);
      shard.pendingAside = undefined;
    }
    try {
      if (!durable && shard.adapter.writeWithoutSync && shard.db.data !== null) {
        await shard.adapter.writeWithoutSync(shard.db.data);
      } else {
        await shard.db.write();
        if (durable) await shard.adapter.syncDirectory?.();
      }
    } catch (error) {
      // The history directory was removed or replaced: create it again on the next attempt.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') this.#dirReady = false;
      throw error;
    }
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

  /** Read one shard; a file that does not parse or is not a shard is moved aside and replaced by an empty one. */
  async #loadShard(name: string): Promise<void> {
    const shard = this.#selectShard(name);
    try {
      await shard.db.read();
      shard.db.data = checkShardFile(shard.db.data, name, shard.file);
    } catch (error) {
      shard.db.data = createEmptyShard(name);
      await this.#moveAside(shard, error);
      return;
    }
    for (const run of shard.db.data.runs) this.#runsById.set(run.id, run);
  }

  async #moveAside(shard: Shard, error: unknown): Promise<void> {
    const now = this.#clock.now();
    const movedTo = `${shard.file}.corrupt-${now.toISOString().replace(/[-:]/g, '')}`;
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

function createEmptyShard(schedule: string): ShardFile {
  return { version: HISTORY_FILE_VERSION, schedule, runs: [] };
}

/** A copy the caller cannot change behind the store's back. */
function copyRun(run: RunRecord): RunRecord {
  const copy: RunRecord = { ...run, attempts: run.attempts.map((attempt) => ({ ...attempt })) };
  if (run.missed !== undefined) copy.missed = { ...run.missed };
  return copy;
}

function releaseWaiters(shard: Shard, upToVersion: number): void {
  const waiting = shard.waiters;
  shard.waiters = waiting.filter((waiter) => waiter.version > upToVersion);
  for (const waiter of waiting) if (waiter.version <= upToVersion) waiter.resolve();
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
