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
  /**
   * No shard is due before this (clock ms; it may be earlier than the earliest due shard, never later):
   * the sweep looks at every shard only once one may be due. Shards wait minutes for their rewrite, and
   * a look at all of them every second would cost more than the rewrites it saves.
   */
  #nextDue: number | undefined;
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
    this.#setDue(shard, shard.appended >= this.#o.compactAfter ? now : now + this.#o.compactIdleMs);
  }

  /** Due now (a damaged tail). */
  scheduleNow(shard: Shard): void {
    this.#setDue(shard, this.#o.clock.now().getTime());
  }

  /** Written whole meanwhile: nothing to compact. */
  forget(shard: Shard): void {
    this.#due.delete(shard);
    if (this.#due.size === 0 && this.#sweeping === undefined) this.#stop();
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

  #setDue(shard: Shard, at: number): void {
    this.#due.set(shard, at);
    if (this.#nextDue === undefined || at < this.#nextDue) this.#nextDue = at;
    this.#start();
  }

  #start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => {
      if (this.#sweeping !== undefined) return;
      const next = this.#nextDue;
      if (next === undefined || next > this.#o.clock.now().getTime()) return;
      this.#sweeping = this.#sweep().finally(() => {
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
    let next: number | undefined;
    for (const [shard, at] of this.#due) {
      if (at <= now) due.push(shard);
      else if (next === undefined || at < next) next = at;
    }
    // Shards scheduled while this sweep runs lower it again (#setDue).
    this.#nextDue = next;
    for (const shard of due) {
      if (this.#closed || !this.#o.canWrite()) {
        // The rest stays due: looked at again on the next tick.
        this.#nextDue = now;
        return;
      }
      // Moved back by an append since, or written whole meanwhile.
      const at = this.#due.get(shard);
      if (at === undefined) continue;
      if (at > now) {
        if (this.#nextDue === undefined || at < this.#nextDue) this.#nextDue = at;
        continue;
      }
      await this.#compact(shard);
    }
  }

  #compact(shard: Shard): Promise<void> {
    this.#due.delete(shard);
    shard.rewrite = true;
    return this.#o.rewrite(shard);
  }
}
