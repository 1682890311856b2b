// Applying the store's SQL migrations: once, in order, under an advisory transaction lock, so that N
// replicas starting together migrate once and the others wait, then find nothing to do.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { SchedulerError } from '../../shared/errors.js';
import { inTransaction } from './connection.js';
import {
  checkSchemaVersion,
  parseMigration,
  type AppliedMigration,
  type Migration,
} from './schema-version.js';

/** The migrations directory beside this module (copied into dist/ by the build). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Key of the advisory lock every migration (and schema check) runs under. */
export const MIGRATION_LOCK_KEY = 4_711_000_001;

/** The migrations shipped with this build, oldest first. */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const sql = await readFile(`${dir}/${file}`, 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    migrations.push(parseMigration(file, sql, checksum));
  }
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `${dir}: migration versions must run 1, 2, 3… without gaps; found ${migration.version} at position ${index + 1}`,
      );
    }
  });
  return migrations;
}

/** What `migrateStore` did. */
export interface MigrationResult {
  /** Versions applied by this call (empty when the database was up to date, or migrated by another replica). */
  applied: number[];
  /** The schema version of the database now. */
  version: number;
}

/**
 * Bring the database to this build's schema, or refuse (SchedulerError STORE_SCHEMA_INCOMPATIBLE) when it
 * is at a schema this build cannot use. `apply: false` only checks (a build that must not migrate).
 */
export async function migrateStore(
  pool: pg.Pool,
  migrations: readonly Migration[],
  options: { codeVersion: string; appliedBy: string; apply?: boolean },
): Promise<MigrationResult> {
  return inTransaction(pool, async (client) => {
    await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query('create schema if not exists cronops');
    await client.query(`create table if not exists cronops.schema_migration (
      version integer primary key,
      name text not null,
      checksum text not null,
      compatible_since integer not null,
      applied_at timestamptz not null default clock_timestamp(),
      applied_by text not null)`);
    const { rows } = await client.query<AppliedMigration>(
      'select version, name, checksum, compatible_since as "compatibleSince" from cronops.schema_migration order by version',
    );
    const verdict = checkSchemaVersion(migrations, rows, options.codeVersion);
    if (!verdict.ok) throw new SchedulerError('STORE_SCHEMA_INCOMPATIBLE', verdict.reason);
    if (options.apply === false && verdict.pending.length > 0) {
      throw new SchedulerError(
        'STORE_SCHEMA_INCOMPATIBLE',
        `the store schema lacks migration(s) ${verdict.pending.map((m) => m.version).join(', ')}: run "cronops store migrate"`,
      );
    }
    for (const migration of verdict.pending) {
      await client.query(migration.sql).catch((error: unknown) => {
        throw new SchedulerError(
          'STORE_UNAVAILABLE',
          `store migration ${migration.version} (${migration.name}) failed: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      });
      await client.query(
        'insert into cronops.schema_migration (version, name, checksum, compatible_since, applied_by) values ($1, $2, $3, $4, $5)',
        [
          migration.version,
          migration.name,
          migration.checksum,
          migration.compatibleSince,
          options.appliedBy,
        ],
      );
    }
    return {
      applied: verdict.pending.map((migration) => migration.version),
      version: verdict.version,
    };
  });
}
