// Connecting to the PostgreSQL store: the URL goes to node-postgres unchanged; what is shown of it never
// carries the password (logs, /status, error messages).
import pg from 'pg';
import { SchedulerError } from '../../shared/errors.js';
import { redactSecrets, redactStoreUrl } from './store-url.js';

export { isPostgresUrl, redactSecrets, redactStoreUrl } from './store-url.js';

/**
 * A SchedulerError for a failed store operation whose message (and the message of what it wraps) never
 * holds the password: node's URL errors, for one, carry the whole input.
 */
export function toStoreError(
  what: string,
  error: unknown,
  url: string,
  code: 'STORE_UNAVAILABLE' | 'STORE_SCHEMA_INCOMPATIBLE' = 'STORE_UNAVAILABLE',
): SchedulerError {
  if (error instanceof SchedulerError && error.code === code) return error;
  const message = error instanceof Error ? error.message : String(error);
  const pgCode = (error as { code?: unknown } | null)?.code;
  const detail = typeof pgCode === 'string' && pgCode !== '' ? ` (${pgCode})` : '';
  return new SchedulerError(
    code,
    redactSecrets(`${what} (${redactStoreUrl(url)}): ${message}${detail}`, url),
  );
}

export interface StorePoolOptions {
  /** Shown in pg_stat_activity. @default 'cronops' */
  applicationName?: string;
  /** @default 10 */
  max?: number;
  /** How long a connection attempt may take. @default 5000 */
  connectionTimeoutMs?: number;
  /** Cancel a statement after this long (server side). @default 15000 */
  statementTimeoutMs?: number;
}

/**
 * A pool on the connection string, given to node-postgres as it is (its `sslmode` follows node-postgres,
 * see docs/replicas.md); PG* environment variables fill in what the string leaves out, as with libpq.
 */
export function createStorePool(url: string, options: StorePoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    application_name: options.applicationName ?? 'cronops',
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // An idle client whose connection dropped emits here; the next query reports the outage.
  pool.on('error', () => undefined);
  // A client checked out of the pool (a transaction between two statements) has no listener of the
  // pool's: the server's "terminating connection" on shutdown would be an unhandled 'error' event and
  // end the daemon. Its statement fails instead, and the caller reports the outage.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * Run `work` in one transaction on one pooled client: committed when it resolves, rolled back when it
 * throws (the error is passed on), the client released either way. `begin` may name an isolation level.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'begin',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
