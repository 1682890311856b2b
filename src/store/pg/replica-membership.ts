// Replica membership: each replica registers, heartbeats (with its clock offset), and reaps the runs and
// claims of replicas whose heartbeat expired: `interrupted`, never re-run. A replica reaps only after it
// has itself reached the database for a whole lease (reaper grace), so that the first replica back from
// an outage does not reap everyone's live runs.
import { hostname } from 'node:os';
import type pg from 'pg';
import { pino } from 'pino';
import type { RunRecord } from '../../history/store.js';
import type { Logger } from '../../shared/logger.js';
import {
  trackConfigDivergence,
  type ClusterInput,
  type ReplicaInput,
} from '../../status/replicas.js';
import { redactSecrets } from './connection.js';
import type { PgFireLedger } from './fire-ledger.js';
import { REAP_CLAIMS_SQL, REAP_RUNS_SQL } from './reap-sql.js';

export interface ReplicaMembershipOptions {
  pool: pg.Pool;
  url: string;
  replicaId: string;
  version: string;
  ledger: PgFireLedger;
  /** A replica whose heartbeat is older than this is gone. @default 30000 */
  leaseMs?: number;
  /** @default leaseMs / 6 */
  heartbeatMs?: number;
  /** @default a silent logger */
  logger?: Logger;
  /** Monotonic milliseconds (reaper grace). @default performance.now */
  monotonicMs?: () => number;
  /** This replica's clock (corrected by the database offset), for when the replica list was read. @default Date */
  now?: () => Date;
}

export interface ReplicaMembership {
  /** Register and start heartbeating and reaping. */
  start(): Promise<void>;
  /** Whether the last heartbeat reached the database. */
  healthy(): boolean;
  /** Leftover runs (found running at start-up) that are this host's to recover: their replica is gone. */
  selectLeftovers(runs: readonly RunRecord[]): Promise<RunRecord[]>;
  /** One reaper pass now (also run every lease / 2). */
  reap(): Promise<{ runs: number; claims: number }>;
  /** Stop, and leave the membership (a stopped replica holds no runs). */
  close(): Promise<void>;
  /** Where the digest of the loaded configuration comes from; sent with every heartbeat. */
  setConfigDigest(source: () => string | null): void;
  /** The replicas as read at the last heartbeat, for the status (undefined before the first read). */
  cluster(): ClusterInput | undefined;
}

/** The host part of a replica id (host:pid:suffix). */
export function selectReplicaHost(replicaId: string): string {
  return replicaId.split(':').slice(0, -2).join(':');
}

export function createReplicaMembership(options: ReplicaMembershipOptions): ReplicaMembership {
  const leaseMs = options.leaseMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(100, Math.floor(leaseMs / 6));
  const logger = options.logger ?? pino({ enabled: false });
  const monotonic = options.monotonicMs ?? (() => performance.now());
  const { pool, replicaId } = options;
  let healthySince: number | undefined;
  let ok = false;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let reapTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let digestOf: () => string | null = () => null;
  let view: ClusterInput | undefined;
  const now = options.now ?? (() => new Date());

  const readReplicas = async (): Promise<void> => {
    const { rows } = await pool.query<ReplicaInput>(
      `select id, host, version, config_digest as "configDigest", clock_offset_ms as "clockOffsetMs",
              (extract(epoch from clock_timestamp() - heartbeat_at) * 1000)::float8 as "heartbeatAgeMs"
       from cronops.replica order by id`,
    );
    const readAt = now();
    // Fires are spread over the replicas whose heartbeat is within the lease.
    options.ledger.setPeers(rows.filter((row) => row.heartbeatAgeMs < leaseMs).map((row) => row.id));
    view = {
      self: replicaId,
      leaseMs,
      readAt,
      replicas: rows,
      configDivergedSince: trackConfigDivergence(view?.configDivergedSince, rows, leaseMs, readAt),
    };
  };

  const heartbeat = async (): Promise<void> => {
    try {
      const offset = await options.ledger.measureClockOffset();
      await pool.query(
        `insert into cronops.replica (id, host, pid, version, clock_offset_ms, config_digest)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (id) do update set heartbeat_at = clock_timestamp(),
           clock_offset_ms = excluded.clock_offset_ms, config_digest = excluded.config_digest`,
        [replicaId, hostname(), process.pid, options.version, offset, digestOf()],
      );
      await readReplicas();
      if (!ok)
        logger.info({ replica: replicaId, clockOffsetMs: Math.round(offset) }, 'replica heartbeat');
      if (Math.abs(offset) > 1000 && !ok)
        logger.warn(
          { clockOffsetMs: Math.round(offset) },
          'this clock is more than 1 s off the database clock',
        );
      ok = true;
      healthySince ??= monotonic();
    } catch (error) {
      if (ok) {
        const message = error instanceof Error ? error.message : String(error);
        logger.error({ error: redactSecrets(message, options.url) }, 'replica heartbeat failed');
      }
      ok = false;
      healthySince = undefined;
    }
  };

  const reap = async (): Promise<{ runs: number; claims: number }> => {
    if (healthySince === undefined || monotonic() - healthySince < leaseMs)
      return { runs: 0, claims: 0 };
    const lease = `${leaseMs} milliseconds`;
    const runs = await pool.query<{ id: string; schedule: string; replica: string | null }>(
      REAP_RUNS_SQL,
      [lease, replicaId],
    );
    const claims = await pool.query<{ run_id: string }>(REAP_CLAIMS_SQL, [lease, replicaId]);
    for (const run of runs.rows) {
      logger.warn(
        { schedule: run.schedule, runId: run.id, replica: run.replica },
        'run interrupted: its replica stopped renewing its heartbeat',
      );
    }
    if (claims.rowCount)
      logger.warn(
        { fires: claims.rowCount },
        'claimed fires of a stopped replica recorded interrupted',
      );
    return { runs: runs.rowCount ?? 0, claims: claims.rowCount ?? 0 };
  };

  return {
    start: async () => {
      await heartbeat();
      heartbeatTimer = setInterval(() => void heartbeat(), heartbeatMs);
      heartbeatTimer.unref();
      reapTimer = setInterval(
        () => {
          if (!closed) reap().catch(() => undefined);
        },
        Math.max(100, Math.floor(leaseMs / 2)),
      );
      reapTimer.unref();
    },
    healthy: () => ok,
    selectLeftovers: async (runs) => {
      if (runs.length === 0) return [];
      const { rows } = await pool.query<{ id: string }>(
        `select id from cronops.replica where heartbeat_at >= clock_timestamp() - $1::interval`,
        [`${leaseMs} milliseconds`],
      );
      const live = new Set(rows.map((row) => row.id));
      const host = hostname();
      // Runs of live replicas are theirs; runs of gone replicas on other hosts are the reaper's (their
      // processes cannot be reached from here).
      return runs.filter(
        (run) =>
          run.replica === undefined ||
          (run.replica !== replicaId &&
            !live.has(run.replica) &&
            selectReplicaHost(run.replica) === host),
      );
    },
    reap,
    setConfigDigest: (source) => {
      digestOf = source;
    },
    cluster: () => view,
    close: async () => {
      closed = true;
      clearInterval(heartbeatTimer);
      clearInterval(reapTimer);
      await pool
        .query('delete from cronops.replica where id = $1', [replicaId])
        .catch(() => undefined);
    },
  };
}
