// A test database with the store schema applied, and pools on it that the test closes.
import type pg from 'pg';
import { createStorePool } from '../../src/store/pg/connection.js';
import { loadMigrations, migrateStore } from '../../src/store/pg/migrate.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface MigratedDatabase extends TestDatabase {
  /** A new pool on the database, ended by destroy(). */
  pool(): pg.Pool;
  /** End every pool and drop the database. */
  destroy(): Promise<void>;
}

export async function createMigratedDatabase(): Promise<MigratedDatabase> {
  const db = await createTestDatabase();
  const pools: pg.Pool[] = [];
  const pool = (): pg.Pool => {
    const made = createStorePool(db.url, { max: 4 });
    pools.push(made);
    return made;
  };
  await migrateStore(pool(), await loadMigrations(), { codeVersion: 'test', appliedBy: 'test' });
  return {
    ...db,
    pool,
    destroy: async () => {
      await Promise.all(pools.splice(0).map((made) => made.end()));
      await db.drop();
    },
  };
}
