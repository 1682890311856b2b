// `--store URL` / CRONOPS_STORE, shared by the commands that can use the PostgreSQL store.
import { Option } from 'commander';
import { isPostgresUrl } from '../store/pg/store-url.js';
import { createUsageError } from './output.js';

export function createStoreOption(description?: string): Option {
  return new Option(
    '--store <url>',
    description ??
      'PostgreSQL store (postgres://USER@HOST:PORT/DB; PG* variables fill in the rest) instead of --state-dir',
  ).env('CRONOPS_STORE');
}

/** The --store value, checked; undefined when not given (or given empty). */
export function selectStoreUrl(store: string | undefined): string | undefined {
  if (store === undefined || store === '') return undefined;
  if (!isPostgresUrl(store)) {
    throw createUsageError(
      '--store: expected a PostgreSQL connection string like "postgres://cronops@db:5432/cronops"',
    );
  }
  return store;
}
