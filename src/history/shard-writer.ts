// How a shard's changes reach the disk: coalesced write loops (one per shard), appends with compaction, whole
// atomic writes, and the retries while the state directory cannot take writes (changes wait in memory).
import { mkdir } from 'node:fs/promises';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { CompactionSweep } from './compaction-sweep.js';
import type { ShardEntry, ShardRead } from './shard-file.js';
import { releaseWaiters, renameIfPresent, type Shard } from './shard-state.js';
import { HISTORY_FILE_VERSION, type RunRecord, type ShardFile } from './store.js';
import { Writability } from './writability.js';
import { WriteSlots } from './write-slots.js';

/** Entries a shard's tail may hold before a write is made whole whatever else (compaction fell behind). */
const APPEND_LIMIT = 256;
/** Shards rewritten at once from the older format. */
const UPGRADE_CONCURRENCY = 2;

export interface ShardWriterOptions {
  stateDir: string;
  historyDir: string;
  clock: Clock;
  logger: Logger;
  retryIntervalMs: number;
  maxConcurrentWrites: number;
  compactAfterEntries: number;
  compactIdleMs: number;
  compactSweepMs: number;
  /** How long after open() the rewrite of older-format shards starts. */
  upgradeDelayMs: number;
  /** The shard's runs, read (pending records merged) if they are not in memory: a whole write needs them. */
  ensureLoaded(shard: Shard): Promise<RunRecord[]>;
  /** A write loop ended: the shard may leave memory. */
  release(shard: Shard): void;
}

export class ShardWriter {
  readonly #o: ShardWriterOptions;
  /** Shards with changes not on disk yet. */
  readonly dirty = new Set<Shard>();
  /** The history directory exists (else the next write creates it). */
  dirReady = false;
  /** Ends the wait before the rewrite of older-format shards (close()). */
  #wakeUpgrade: (() => void) | undefined;
  readonly #writability: Writability;
  readonly #slots: WriteSlots;
  readonly #compaction: CompactionSweep;
  #retrying = false;
  #closed = false;

  constructor(options: ShardWriterOptions) {
    this.#o = options;
    this.#slots = new WriteSlots(options.maxConcurrentWrites);
    this.#writability = new Writability({
      stateDir: options.stateDir,
      logger: options.logger,
      retryIntervalMs: options.retryIntervalMs,
      retry: () => this.retryPending(),
      pending: () => this.dirty.size,
    });
    this.#compaction = new CompactionSweep({
      clock: options.clock,
      compactAfter: options.compactAfterEntries,
      compactIdleMs: options.compactIdleMs,
      sweepMs: options.compactSweepMs,
      canWrite: () => !this.#closed && this.#writability.writable,
      rewrite: (shard) => this.drain(shard),
    });
  }

  get writable(): boolean {
    return this.#writability.writable;
  }

  get lastError(): string | undefined {
    return this.#writability.lastError;
  }

  markUnwritable(error: unknown): void {
    this.#writability.markUnwritable(error);
  }

  /** Every shard with changes on disk (or failed and reported). */
  async flush(): Promise<void> {
    await Promise.all([...this.dirty].map((shard) => this.drain(shard)));
  }

  compactNow(): Promise<void> {
    return this.#compaction.compactNow();
  }

  /** Stop the timers; `flush` afterwards writes what is left. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeUpgrade?.();
    this.#writability.close();
    await this.#compaction.close();
  }

  /** Note a change and arrange its write: now and awaited when durable, else on the next turn. */
  commit(shard: Shard, durable: boolean): Promise<void> {
    shard.version += 1;
    this.dirty.add(shard);
    if (durable) {
      return new Promise<void>((resolve) => {
        shard.waiters.push({ version: shard.version, resolve });
        void this.drain(shard);
      });
    }
    if (!shard.scheduled && shard.draining === undefined) {
      shard.scheduled = true;
      setImmediate(() => {
        shard.scheduled = false;
        void this.drain(shard);
      });
    }
    return Promise.resolve();
  }

  /** The shard's write loop: started if not running, else the running one (which picks up new changes). */
  drain(shard: Shard): Promise<void> {
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
            runs = await this.#o.ensureLoaded(shard);
          } catch (error) {
            this.#writability.markUnwritable(error);
            releaseWaiters(shard, Infinity);
            return;
          }
        }
        // Synchronous when a slot is free: the write then carries exactly the changes made so far.
        const slot = this.#slots.acquire(shard.waiters.length > 0);
        if (slot !== undefined) await slot;
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
            if (code === 'ENOENT' || code === 'ENOTDIR') this.dirReady = false;
            // The file is gone: written again whole from what is known, not an unwritable directory.
            if (code === 'ENOENT') continue;
          } else {
            shard.rewrite = true;
          }
          this.dirty.add(shard);
          this.#writability.markUnwritable(error);
          // Durable callers are told "done" even though the write failed: the run stays in
          // memory and health() reports the condition; recordRun never throws for the disk.
          releaseWaiters(shard, Infinity);
          return;
        } finally {
          this.#slots.release();
        }
        if (appending) this.#noteAppended(shard, entries);
        else this.#noteWrittenWhole(shard);
        shard.savedVersion = version;
        shard.outdated = false;
        if (shard.version === version && shard.unsaved.length === 0) this.dirty.delete(shard);
        if (durable) releaseWaiters(shard, version);
        this.#writability.markWritable();
      }
    } finally {
      shard.drainActive = false;
      shard.draining = undefined;
      this.#o.release(shard);
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
    this.#compaction.schedule(shard);
  }

  #noteWrittenWhole(shard: Shard): void {
    shard.appended = 0;
    shard.appendedIds = [];
    shard.rewrite = false;
    shard.appendable = shard.adapter.append !== undefined;
    this.#compaction.forget(shard);
  }

  /** What a read found after the document: how many entries, and whether appends may continue. */
  noteTail(shard: Shard, tail: ShardRead['tail']): void {
    shard.appended = tail?.entries ?? 0;
    shard.appendable = tail !== undefined && !tail.damaged && shard.adapter.append !== undefined;
    if (tail?.damaged === true) {
      this.#o.logger.warn(
        { file: shard.file, schedule: shard.name, entries: tail.entries },
        'history: ignoring a damaged line at the end of a history file (a write cut short); rewriting it',
      );
      shard.rewrite = true;
      this.#compaction.scheduleNow(shard);
    } else if (shard.appended > 0) {
      this.#compaction.schedule(shard);
    }
  }

  async #writeShard(shard: Shard, runs: RunRecord[], durable: boolean): Promise<void> {
    if (!this.dirReady) {
      await mkdir(this.#o.historyDir, { recursive: true });
      this.dirReady = true;
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
      if (code === 'ENOENT' || code === 'ENOTDIR') this.dirReady = false;
      throw error;
    }
  }

  /** Rewrite shards found in the older format, a few at a time, while nothing else stops it. */
  async upgrade(shards: readonly Shard[]): Promise<void> {
    const outdated = shards.filter((shard) => shard.outdated);
    if (outdated.length === 0) return;
    this.#o.logger.info(
      { shards: outdated.length },
      'history: rewriting history files with a summary head in the background',
    );
    if (this.#o.upgradeDelayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#o.upgradeDelayMs);
        timer.unref();
        this.#wakeUpgrade = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeUpgrade = undefined;
    }
    let next = 0;
    const rewriteNext = async (): Promise<void> => {
      while (next < outdated.length && !this.#closed && this.#writability.writable) {
        const shard = outdated[next] as Shard;
        next += 1;
        if (!shard.outdated || this.dirty.has(shard)) continue;
        shard.version += 1;
        this.dirty.add(shard);
        await this.drain(shard);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(UPGRADE_CONCURRENCY, outdated.length) }, rewriteNext),
    );
  }

  /** Write every shard with unsaved changes, a few at a time; stop early while writes keep failing. */
  async retryPending(): Promise<void> {
    if (this.#retrying) return;
    this.#retrying = true;
    try {
      if (!this.dirReady) {
        try {
          await mkdir(this.#o.historyDir, { recursive: true });
          this.dirReady = true;
          if (this.dirty.size === 0) this.#writability.markWritable();
        } catch (error) {
          this.#writability.markUnwritable(error);
          return;
        }
      }
      const pending = [...this.dirty];
      for (let start = 0; start < pending.length; start += this.#slots.max) {
        await Promise.all(
          pending.slice(start, start + this.#slots.max).map((shard) => this.drain(shard)),
        );
        if (!this.#writability.writable) return;
      }
      if (this.#writability.writable && this.dirty.size === 0) this.#writability.stopRetrying();
    } finally {
      this.#retrying = false;
    }
  }
}
