import { createTestDatabase } from '../../pg/database.js';
import { describe, expect, it } from 'vitest';
import {
  createStorePool,
  isPostgresUrl,
  redactSecrets,
  redactStoreUrl,
  toStoreError,
} from '../../../src/store/pg/connection.js';

describe('store/pg/connection', () => {
  it.each([
    ['postgres://cronops:s3cret@db:5432/cronops', 'postgres://cronops:***@db:5432/cronops'],
    ['postgresql://u:p%40ss@db/x?sslmode=require', 'postgresql://u:***@db/x?sslmode=require'],
    [
      'postgres://u@db/x?password=hunter2&sslmode=verify-full',
      'postgres://u@db/x?password=***&sslmode=verify-full',
    ],
    ['postgres://db/x', 'postgres://db/x'],
    ['postgres://', 'postgres://'],
  ])('shows %s as %s', (url, shown) => {
    expect(redactStoreUrl(url)).toBe(shown);
  });

  it('removes the password, raw or percent-decoded, from any message', () => {
    const url = 'postgres://u:p%40ss@db/x';
    expect(redactSecrets('auth with p@ss and p%40ss failed', url)).toBe(
      'auth with *** and *** failed',
    );
  });

  it('wraps a driver error in one line naming the store without its password', () => {
    const url = 'postgres://u:hunter2@db:5432/x';
    const error = toStoreError(
      'cannot read history',
      Object.assign(new Error('boom hunter2'), { code: '57P01' }),
      url,
    );
    expect(error).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: 'cannot read history (postgres://u:***@db:5432/x): boom *** (57P01)',
    });
    expect(error.cause).toBeUndefined();
  });

  it.each([
    ['postgres://x', true],
    ['postgresql://x', true],
    ['POSTGRES://x', true],
    ['mysql://x', false],
    ['/var/lib/cronops', false],
  ])('%s is a PostgreSQL URL: %s', (value, expected) => {
    expect(isPostgresUrl(value)).toBe(expected);
  });
});

describe('store/pg/connection: a checked-out client whose server goes away', () => {
  it('does not end the process: its next statement fails instead', async () => {
    const db = await createTestDatabase();
    const pool = createStorePool(db.url, { max: 2 });
    try {
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      // What a server shutdown does to every connection: "terminating connection due to administrator command".
      await pool.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await expect(client.query('select 1')).rejects.toThrow();
      client.release(true);
      expect((await pool.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
      await db.drop();
    }
  });
});
