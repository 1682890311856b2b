// The daemon's options: what `cronops run` configures, with the defaults the daemon applies.
import type { Logger } from 'pino';
import type { HistoryStore } from '../history/store.js';
import type { Timers } from '../runtime/timers.js';
import type { Clock, Stopwatch } from '../shared/clock.js';
import type { ClusterInput } from '../status/replicas.js';
import type { FireLedger } from './fire-ledger.js';
import type { SubscribeRemoteRuns } from './remote-runs.js';
import type { WatchMode } from './watch.js';

export interface DaemonOptions {
  /** The manifest directory. */
  configDir: string;
  /** Where history and status.json live. */
  stateDir: string;
  /** "HOST:PORT", or null for no HTTP endpoint. */
  listen: string | null;
  /** Extra Host header values the endpoint accepts (--allowed-hosts). @default [] */
  allowedHosts?: readonly string[];
  /** @default 'auto' */
  watch?: WatchMode;
  /** @default null (no cap) */
  maxConcurrentRuns?: number | null;
  /** How long running runs may finish on SIGTERM before they are terminated. @default 30_000 */
  shutdownGraceMs?: number;
  logger: Logger;
  version: string;
  /** @default systemClock */
  clock?: Clock;
  /** @default systemTimers */
  timers?: Timers;
  /** Elapsed time no clock step moves, to notice steps. @default systemStopwatch */
  stopwatch?: Stopwatch;
  /** Injected for tests: the history store. @default lowdb files under stateDir/history */
  history?: HistoryStore;
  /** Injected for tests: the fire ledger. @default the fsynced journal stateDir/fires.journal */
  journal?: FireLedger;
  /**
   * How far ahead of an instant its fire is made durable (a PostgreSQL claim needs a round trip): fixed, or
   * a function of how many schedules are due at that instant. @default 50
   */
  prepareLeadMs?: number | ((batchSize: number) => number);
  /** With `--store`: the other replicas (their runs as events, the replica list for the status). */
  cluster?: DaemonCluster;
  /** Enables "run now" (POST /api/v1/schedules/{name}/trigger) with this bearer token. @default null (disabled) */
  triggerToken?: string | null;
}

/** What the daemon sees of the other replicas of a PostgreSQL store. */
export interface DaemonCluster {
  /** Other replicas' runs, published on this daemon's event stream. */
  subscribeRemoteRuns: SubscribeRemoteRuns;
  /** The replicas as last read, for the status; undefined before the first read. */
  status(): ClusterInput | undefined;
  /** Where the digest of the loaded configuration comes from (null before the first load). */
  setConfigDigest(source: () => string | null): void;
}
