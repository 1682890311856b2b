import { describe, expect, it } from 'vitest';
import {
  checkSchemaVersion,
  parseMigration,
  type AppliedMigration,
  type Migration,
} from '../../../src/store/pg/schema-version.js';

const m = (version: number, compatibleSince: number): Migration => ({
  version,
  name: `m${version}`,
  sql: '',
  compatibleSince,
  checksum: `c${version}`,
});
const applied = (
  version: number,
  compatibleSince: number,
  checksum = `c${version}`,
): AppliedMigration => ({
  version,
  name: `m${version}`,
  checksum,
  compatibleSince,
});

describe('store/pg/schema-version', () => {
  it.each([
    { case: 'empty database', known: [m(1, 1), m(2, 1)], db: [], pending: [1, 2], version: 2 },
    {
      case: 'up to date',
      known: [m(1, 1), m(2, 1)],
      db: [applied(1, 1), applied(2, 1)],
      pending: [],
      version: 2,
    },
    {
      case: 'one behind',
      known: [m(1, 1), m(2, 1)],
      db: [applied(1, 1)],
      pending: [2],
      version: 2,
    },
    {
      case: 'database ahead by an additive migration (old replica in a rolling update)',
      known: [m(1, 1)],
      db: [applied(1, 1), applied(2, 1)],
      pending: [],
      version: 2,
    },
  ])('$case: migrates $pending', ({ known, db, pending, version }) => {
    const verdict = checkSchemaVersion(known, db, '1.0.0');
    expect(verdict).toEqual({
      ok: true,
      pending: known.filter((k) => pending.includes(k.version)),
      version,
    });
  });

  it.each([
    {
      case: 'a contracting migration this build predates',
      known: [m(1, 1), m(2, 1)],
      db: [applied(1, 1), applied(2, 1), applied(3, 3)],
      reason:
        'the store schema is at version 3 and needs cronops with store schema 3 or newer (migration 3 "m3" removed what older versions use); cronops 1.0.0 has store schema 2: upgrade cronops',
    },
    {
      case: 'a shipped migration edited after it was applied',
      known: [m(1, 1)],
      db: [applied(1, 1, 'other')],
      reason:
        'store migration 1 (m1) in the database differs from the one shipped with cronops 1.0.0 (checksum other vs c1): migrations must never be edited once released',
    },
  ])('refuses: $case', ({ known, db, reason }) => {
    expect(checkSchemaVersion(known, db, '1.0.0')).toEqual({ ok: false, reason });
  });

  it('reads the version from the file name and compatibility from the header', () => {
    expect(parseMigration('0002_add_x.sql', '-- compatible-since: 1\nselect 1;', 'h')).toEqual({
      version: 2,
      name: 'add_x',
      sql: '-- compatible-since: 1\nselect 1;',
      compatibleSince: 1,
      checksum: 'h',
    });
  });

  it.each([
    [
      '2_x.sql',
      '-- compatible-since: 1',
      '2_x.sql: expected a migration file name like 0001_name.sql',
    ],
    [
      '0002_x.sql',
      'select 1',
      '0002_x.sql: expected a line "-- compatible-since: N" in the header',
    ],
    [
      '0002_x.sql',
      '-- compatible-since: 3',
      '0002_x.sql: expected 1 <= compatible-since <= 2, got 3',
    ],
  ])('rejects %s with one clear line', (file, sql, message) => {
    expect(() => parseMigration(file, sql, 'h')).toThrow(message);
  });
});
