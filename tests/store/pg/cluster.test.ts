// The test harness itself: the private cluster answers, and each test gets a database of its own.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../pg/database.js';

describe('tests/pg harness', () => {
  const made: TestDatabase[] = [];
  afterEach(async () => {
    for (const db of made.splice(0)) await db.drop();
  });

  it('gives each test its own empty database on the private cluster', async () => {
    const [a, b] = [await createTestDatabase(), await createTestDatabase()];
    made.push(a, b);
    expect(a.name).not.toBe(b.name);
    const client = new pg.Client({ connectionString: a.url });
    await client.connect();
    try {
      const result = await client.query<{ db: string; tables: string }>(
        "select current_database() as db, (select count(*) from pg_tables where schemaname = 'public') as tables",
      );
      expect(result.rows).toEqual([{ db: a.name, tables: '0' }]);
    } finally {
      await client.end();
    }
  });
});
