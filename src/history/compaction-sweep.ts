// When shards with appended entries are rewritten whole (compacted): a background sweep, behind the records.
import type { Clock } from '../shared/clock.js';
import type { Shard } from './shard-state.js';

export interface CompactionSweepOptions {
  clock: Clock;
  /** Appended entries after which a shard is rewritten without waiting for it to be idle. */
  compactAfter: number;
  /** A shard is rewritten once no entry was appended to it for this long. */
  compactIdleMs: number;
  /** How often due shards are looked for. */
  sweepMs: number;
  /** Whether the sweep may write now (the store is open and the disk writable). */
  canWrite(): boolean;
  /** Rewrite the shard whole (its `rewrite` flag is set). */
  rewrite(shard: Shard): Promise<void>;
}

export class CompactionSweep {
  readonly #o: CompactionSweepOptions;
  /** Shards with appended entries, and when (clock ms) they are due to be rewritten whole. */
  readonly #due = new Map<Shard, number>();
  #timer: NodeJS.Timeout | undefined;
  /** The sweep in progress, if any. */
  #sweeping: Promise<void> | undefined;
  #closed = false;

  constructor(options: CompactionSweepOptions) {
    this.#o = options;
  }

  /**
   * A shard with appended entries is rewritten whole once it has been quiet for compactIdleMs (each append
   * moves that back), or soon once it holds compactAfter of them.
   */
  schedule(shard: Shard): void {
    if (shard.appended === 0 || this.#closed) return;
    const now = this.#o.clock.now().getTime();
    this.#due.set(
      shard,
      shard.appended >= this.#o.compactAfter ? now : now + this.#o.compactIdleMs,
    );
    this.#start();
  }

  /** Due now (a damaged tail). */
  scheduleNow(shard: Shard): void {
    this.#due.set(shard, this.#o.clock.now().getTime());
    this.#start();
  }

  /** Written whole meanwhile: nothing to compact. */
  forget(shard: Shard): void {
    this.#due.delete(shard);
  }

  /** Rewrite every shard with appended entries now. */
  async compactNow(): Promise<void> {
    for (const shard of [...this.#due.keys()]) await this.#compact(shard);
  }

  /** Stop sweeping; a rewrite in progress finishes first. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stop();
    await this.#sweeping;
    this.#due.clear();
  }

  #start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => {
      this.#sweeping ??= this.#sweep().finally(() => {
        this.#sweeping = undefined;
        if (this.#due.size === 0) this.#stop();
      });
    }, this.#o.sweepMs);
    this.#timer.unref();
  }

  #stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Rewrite the shards that are due, one at a time: this is background work, behind the records. */
  async #sweep(): Promise<void> {
    const now = this.#o.clock.now().getTime();
    const due: Shard[] = [];
    for (const [shard, at] of this.#due) if (at <= now) due.push(shard);
    for (const shard of due) {
      if (this.#closed || !this.#o.canWrite()) return;
      // Moved back by an append since, or written whole meanwhile.
      const at = this.#due.get(shard);
      if (at === undefined || at > now) continue;
      await this.#compact(shard);
    }
  }

  #compact(shard: Shard): Promise<void> {
    this.#due.delete(shard);
    shard.rewrite = true;
    return this.#o.rewrite(shard);
  }
}
