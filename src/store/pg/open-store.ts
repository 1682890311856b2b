// Opening the PostgreSQL store for a daemon or a command: pool, schema check/migration, history store.
import { hostname } from 'node:os';
import type pg from 'pg';
import { ulid } from 'ulid';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { createStorePool, redactStoreUrl, toStoreError } from './connection.js';
import { createPgFireLedger, type PgFireLedger } from './fire-ledger.js';
import { createPgHistoryStore, type PgHistoryStore } from './history-store.js';
import { loadMigrations, migrateStore, type MigrationResult } from './migrate.js';
import { createReplicaMembership, type ReplicaMembership } from './replica-membership.js';

/** A replica's id: host, pid and a ULID of its start, so a restarted process is a new replica. */
export function createReplicaId(host: string = hostname(), pid: number = process.pid): string {
  return `${host}:${pid}:${ulid().slice(-8).toLowerCase()}`;
}

/** The pool, checked (and migrated, unless `migrate: false`) against this build's schema. */
export async function connectStore(
  url: string,
  options: { version: string; appliedBy: string; migrate?: boolean; poolSize?: number },
): Promise<{ pool: pg.Pool; migration: MigrationResult }> {
  const pool = createStorePool(url, { max: options.poolSize ?? 10 });
  try {
    const migration = await migrateStore(pool, await loadMigrations(), {
      codeVersion: options.version,
      appliedBy: options.appliedBy,
      apply: options.migrate !== false,
    });
    return { pool, migration };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw toStoreError('cannot use the store', error, url, storeErrorCode(error));
  }
}

function storeErrorCode(error: unknown): 'STORE_UNAVAILABLE' | 'STORE_SCHEMA_INCOMPATIBLE' {
  return (error as { code?: unknown } | null)?.code === 'STORE_SCHEMA_INCOMPATIBLE'
    ? 'STORE_SCHEMA_INCOMPATIBLE'
    : 'STORE_UNAVAILABLE';
}

/** What a daemon runs on with `--store`. */
export interface OpenedStore {
  replicaId: string;
  pool: pg.Pool;
  history: PgHistoryStore;
  /** Claims each fire in the store: the daemon's fire ledger. */
  ledger: PgFireLedger;
  membership: ReplicaMembership;
  /**
   * This machine's clock corrected by the measured offset from the database clock: the daemon's timers
   * follow it, so a replica whose clock is off still fires at the cluster's instants.
   */
  clock: Clock;
  /** The URL without its password, for logs and status. */
  shownUrl: string;
  /** Leave the membership and end the pool (after the daemon stopped). */
  close(): Promise<void>;
}

/** Connect, migrate under the advisory lock, and build the history store (not yet opened). */
export async function openPgStore(
  url: string,
  options: { version: string; logger: Logger; leaseMs?: number },
): Promise<OpenedStore> {
  const replicaId = createReplicaId();
  const { pool, migration } = await connectStore(url, {
    version: options.version,
    appliedBy: replicaId,
  });
  const shownUrl = redactStoreUrl(url);
  options.logger.info(
    { store: shownUrl, replica: replicaId, schema: migration.version, migrated: migration.applied },
    'store connected',
  );
  const history = createPgHistoryStore({ pool, url, replicaId, logger: options.logger });
  // Claims have connections of their own: history writes and summary reads never delay a fire.
  const claimPool = createStorePool(url, { max: 2, applicationName: 'cronops-claim' });
  const ledger = createPgFireLedger({
    pool: claimPool,
    url,
    replicaId,
    clock: systemClock,
    logger: options.logger,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
  });
  const membership = createReplicaMembership({
    pool,
    url,
    replicaId,
    version: options.version,
    ledger,
    logger: options.logger,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
  });
  ledger.selectLeftovers = (runs) => membership.selectLeftovers(runs);
  await membership.start();
  return {
    replicaId,
    pool,
    history,
    ledger,
    membership,
    clock: { now: () => new Date(systemClock.now().getTime() - ledger.clockOffsetMs()) },
    shownUrl,
    close: async () => {
      await membership.close();
      await claimPool.end();
      await pool.end();
    },
  };
}
