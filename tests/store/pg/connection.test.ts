import { describe, expect, it } from 'vitest';
import {
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
