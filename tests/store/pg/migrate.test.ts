// Migrations against the real cluster: once under concurrency, additive upgrades, refusals.
import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createStorePool } from '../../../src/store/pg/connection.js';
import { MIGRATIONS_DIR, loadMigrations, migrateStore } from '../../../src/store/pg/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../pg/database.js';

describe('store/pg/migrate', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function database(): Promise<{ db: TestDatabase; pool: () => pg.Pool }> {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    return {
      db,
      pool: () => {
        const made = createStorePool(db.url, { max: 2 });
        cleanup.push(() => made.end());
        return made;
      },
    };
  }

  async function migrationsWith(extra: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'cronops-migrations-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    for (const file of ['0001_history.sql'])
      await copyFile(join(MIGRATIONS_DIR, file), join(dir, file));
    for (const [file, sql] of Object.entries(extra)) await writeFile(join(dir, file), sql);
    return dir;
  }

  it('applies each migration once when eight replicas start together', async () => {
    const { db, pool } = await database();
    const migrations = await loadMigrations();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        migrateStore(pool(), migrations, { codeVersion: '1.0.0', appliedBy: `replica-${index}` }),
      ),
    );
    expect(results.filter((result) => result.applied.length > 0)).toHaveLength(1);
    expect(results.map((result) => result.version)).toEqual(Array(8).fill(migrations.length));
    const check = createStorePool(db.url, { max: 1 });
    cleanup.push(() => check.end());
    const { rows } = await check.query(
      'select version, name from cronops.schema_migration order by version',
    );
    expect(rows).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
  });

  it('runs an old build on a schema expanded by a newer one, and refuses after a contraction', async () => {
    const { pool } = await database();
    const old = await loadMigrations(await migrationsWith({}));
    const expanded = await loadMigrations(
      await migrationsWith({
        '0002_note.sql': '-- compatible-since: 1\nalter table cronops.run add column note text;',
      }),
    );
    const contracted = await loadMigrations(
      await migrationsWith({
        '0002_note.sql': '-- compatible-since: 1\nalter table cronops.run add column note text;',
        '0003_drop_replica_pid.sql':
          '-- compatible-since: 3\nalter table cronops.replica drop column pid;',
      }),
    );
    const opts = { appliedBy: 'test' };
    expect(await migrateStore(pool(), expanded, { ...opts, codeVersion: '1.1.0' })).toEqual({
      applied: [1, 2],
      version: 2,
    });
    // The old build (schema 1) keeps working on schema 2 during the rolling update.
    expect(await migrateStore(pool(), old, { ...opts, codeVersion: '1.0.0' })).toEqual({
      applied: [],
      version: 2,
    });
    await migrateStore(pool(), contracted, { ...opts, codeVersion: '1.2.0' });
    await expect(
      migrateStore(pool(), old, { ...opts, codeVersion: '1.0.0' }),
    ).rejects.toMatchObject({
      code: 'STORE_SCHEMA_INCOMPATIBLE',
      message:
        'the store schema is at version 3 and needs cronops with store schema 3 or newer (migration 3 "drop_replica_pid" removed what older versions use); cronops 1.0.0 has store schema 1: upgrade cronops',
    });
  });

  it('only checks when told not to apply, and names the command that migrates', async () => {
    const { pool } = await database();
    await expect(
      migrateStore(pool(), await loadMigrations(), {
        codeVersion: '1.0.0',
        appliedBy: 't',
        apply: false,
      }),
    ).rejects.toMatchObject({
      code: 'STORE_SCHEMA_INCOMPATIBLE',
      message: 'the store schema lacks migration(s) 1, 2, 3: run "cronops store migrate"',
    });
  });

  it('leaves nothing behind when a migration fails, and names it', async () => {
    const { db, pool } = await database();
    const broken = await loadMigrations(
      await migrationsWith({
        '0002_broken.sql': '-- compatible-since: 1\nalter table cronops.nothing add column x int;',
      }),
    );
    await expect(
      migrateStore(pool(), broken, { codeVersion: '1', appliedBy: 't' }),
    ).rejects.toThrow(
      /^store migration 2 \(broken\) failed: relation "cronops.nothing" does not exist$/,
    );
    const check = createStorePool(db.url, { max: 1 });
    cleanup.push(() => check.end());
    const { rows } = await check.query(
      "select count(*)::int as n from pg_namespace where nspname = 'cronops'",
    );
    expect(rows).toEqual([{ n: 0 }]);
  });
});
