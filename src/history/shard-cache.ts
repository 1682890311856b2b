// Which shards keep their runs in memory: a least-recently-used set bounded by the runs' estimated JSON size.
import type { Clock } from '../shared/clock.js';
import { buildIdFilter, EMPTY_ID_FILTER } from './id-filter.js';
import { isPinned, type Shard } from './shard-state.js';

export class ShardCache {
  readonly #clock: Clock;
  readonly #budget: number;
  /** Shards whose runs are loaded, least recently used first. */
  readonly #loaded = new Map<string, Shard>();
  #bytes = 0;

  /** `budget`: bytes of runs kept; shards with changes not yet on disk stay regardless. */
  constructor(clock: Clock, budget: number) {
    this.#clock = clock;
    this.#budget = budget;
  }

  get loadedShards(): number {
    return this.#loaded.size;
  }

  get loadedBytes(): number {
    return this.#bytes;
  }

  /** The shard's runs were just loaded. */
  add(shard: Shard): void {
    this.#loaded.set(shard.name, shard);
  }

  /** Used now: last out. */
  touch(shard: Shard): void {
    if (shard.runs === undefined) return;
    this.#loaded.delete(shard.name);
    this.#loaded.set(shard.name, shard);
  }

  resize(shard: Shard, bytes: number): void {
    this.#bytes += bytes - shard.bytes;
    shard.bytes = bytes;
  }

  /** Unload least recently used shards until the loaded ones fit the budget; shards being written stay. */
  evict(): void {
    if (this.#bytes <= this.#budget) return;
    for (const shard of this.#loaded.values()) {
      if (this.#bytes <= this.#budget) return;
      if (!isPinned(shard)) this.#unload(shard);
    }
  }

  /**
   * After a write: a shard read only to be written goes out of memory at once, unless a run of it is in
   * progress (more records follow) or it is hot. Keeping thousands of shards that are written once in a
   * while would not save reads, and would make every young-generation GC copy them.
   */
  release(shard: Shard): void {
    const { counts } = shard.summary;
    const active = counts.running + counts.pending > 0;
    if (shard.runs !== undefined && !isPinned(shard) && !shard.queried && !shard.hot && !active) {
      this.#unload(shard);
    }
    this.evict();
  }

  /** Keep only the summary (and an id filter of the file, which now holds exactly these runs). */
  #unload(shard: Shard): void {
    const runs = shard.runs ?? [];
    shard.ids =
      runs.length === 0
        ? EMPTY_ID_FILTER
        : buildIdFilter(
            runs.map((run) => run.id),
            runs.length,
          );
    shard.runs = undefined;
    shard.appendedIds = [];
    shard.queried = false;
    shard.hot = false;
    shard.unloadedAt = this.#clock.now().getTime();
    this.resize(shard, 0);
    this.#loaded.delete(shard.name);
  }
}
