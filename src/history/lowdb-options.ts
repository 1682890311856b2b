// The options of the lowdb history store and what it shows beyond the HistoryStore contract.
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { ShardAdapter } from './shard-file.js';
import type { HistoryStore } from './store.js';

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
  /** A shard with appended entries is rewritten whole once no entry was appended to it for this long. @default 300000 (5 min) */
  compactIdleMs?: number;
  /** How often shards due for a rewrite are looked for. @default 1000 */
  compactSweepMs?: number;
  /**
   * Bytes of shards in the older format (no head) read whole at open(); the others are scanned, not parsed, and
   * read on first use or by the background rewrite. @default 8 MiB
   */
  openReadBytes?: number;
  /** How long after open() the shards in the older format start to be rewritten with a head. @default 0 */
  upgradeDelayMs?: number;
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
