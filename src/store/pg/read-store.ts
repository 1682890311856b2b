// Reading the PostgreSQL store from a command (history, logs, status): no schema changes, one short pool.
import type pg from 'pg';
import type { RunQuery, RunRecord } from '../../history/store.js';
import { SchedulerError } from '../../shared/errors.js';
import { createStorePool, redactStoreUrl, toStoreError } from './connection.js';

export { redactStoreUrl };
import { buildListRunsQuery, fromRunRow } from './history-sql.js';

/** Run `read` on a pool of the store, then end it; errors name the store without its password. */
export async function readStore<T>(url: string, read: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = createStorePool(url, { max: 2 });
  try {
    return await read(pool);
  } catch (error) {
    if ((error as { code?: unknown }).code === '42P01') {
      throw new SchedulerError(
        'STORE_SCHEMA_INCOMPATIBLE',
        `no cronops schema in the store ${redactStoreUrl(url)}: run "cronops store migrate --store URL" (or start a daemon with --store)`,
      );
    }
    if (error instanceof SchedulerError) throw error;
    throw toStoreError('cannot read the store', error, url);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** Runs matching the query, newest first. */
export async function listStoreRuns(pool: pg.Pool, query: RunQuery): Promise<RunRecord[]> {
  if (query.limit !== undefined && query.limit <= 0) return [];
  const { text, values } = buildListRunsQuery(query);
  const { rows } = await pool.query<{ record: RunRecord; replica: string | null }>(text, values);
  return rows.map(fromRunRow);
}

export async function getStoreRun(pool: pg.Pool, id: string): Promise<RunRecord | undefined> {
  const { rows } = await pool.query<{ record: RunRecord; replica: string | null }>(
    'select record, replica from cronops.run where id = $1',
    [id],
  );
  return rows[0] === undefined ? undefined : fromRunRow(rows[0]);
}

/** One row per replica registered in the store, newest heartbeat first. */
export interface ReplicaRow {
  id: string;
  host: string;
  pid: number;
  version: string;
  configDigest: string | null;
  startedAt: Date;
  heartbeatAt: Date;
  clockOffsetMs: number | null;
  /** Seconds since its heartbeat, by the database clock. */
  heartbeatAgeS: number;
}

export async function listStoreReplicas(pool: pg.Pool): Promise<ReplicaRow[]> {
  const { rows } = await pool.query<ReplicaRow>(`
    select id, host, pid, version, config_digest as "configDigest", started_at as "startedAt",
           heartbeat_at as "heartbeatAt", clock_offset_ms as "clockOffsetMs",
           extract(epoch from clock_timestamp() - heartbeat_at)::float8 as "heartbeatAgeS"
    from cronops.replica order by heartbeat_at desc`);
  return rows;
}

/** Per schedule: its watermark and newest run. */
export interface StoreScheduleRow {
  schedule: string;
  watermark: Date | null;
  last: RunRecord | null;
  runs: number;
}

export async function listStoreSchedules(pool: pg.Pool): Promise<StoreScheduleRow[]> {
  const { rows } = await pool.query<StoreScheduleRow>(`
    select coalesce(s.schedule, r.schedule) as schedule, s.watermark, r.record as last, coalesce(r.n, 0)::int as runs
    from cronops.schedule_state s
    full join (
      select distinct on (schedule) schedule, record, count(*) over (partition by schedule) as n
      from cronops.run order by schedule, id desc
    ) r on r.schedule = s.schedule
    order by 1`);
  return rows;
}

/** `listStoreRuns` on a short-lived pool of the store. */
export function listRunsInStore(url: string, query: RunQuery): Promise<RunRecord[]> {
  return readStore(url, (pool) => listStoreRuns(pool, query));
}

/** `getStoreRun` on a short-lived pool of the store. */
export function findRunInStore(url: string, id: string): Promise<RunRecord | undefined> {
  return readStore(url, (pool) => getStoreRun(pool, id));
}
