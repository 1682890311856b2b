// Which store schema a cronops build can run against: pure rules over the migrations applied and known.

/** One versioned SQL migration shipped with cronops (src/store/pg/migrations/NNNN_name.sql). */
export interface Migration {
  /** 1, 2, … (the NNNN of the file name). */
  version: number;
  /** The rest of the file name, without the extension. */
  name: string;
  sql: string;
  /**
   * The oldest code schema version that still works once this migration is applied: from the file's
   * `-- compatible-since: N` line. An additive migration keeps the previous migration's value; one that
   * drops or changes what older code uses raises it.
   */
  compatibleSince: number;
  /** sha256 of the SQL, to notice a shipped migration edited after it was applied. */
  checksum: string;
}

/** A migration as recorded in cronops.schema_migration. */
export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  compatibleSince: number;
}

/** Whether this build may use the store, and what migrating would do. */
export type SchemaVerdict =
  | {
      ok: true;
      /** The migrations this build knows that the database does not have yet, in order. */
      pending: Migration[];
      /** The schema version in the database after they are applied. */
      version: number;
    }
  | { ok: false; reason: string };

/**
 * The verdict for code that knows `known` against a database that has `applied`. The database may be
 * ahead (a newer replica migrated it during a rolling update): fine while every applied migration is
 * compatible with this build's schema version; a contracting one makes this build refuse to start.
 */
export function checkSchemaVersion(
  known: readonly Migration[],
  applied: readonly AppliedMigration[],
  codeVersion: string,
): SchemaVerdict {
  const codeSchema = known.reduce((max, migration) => Math.max(max, migration.version), 0);
  const byVersion = new Map(known.map((migration) => [migration.version, migration]));
  for (const row of applied) {
    const mine = byVersion.get(row.version);
    if (mine !== undefined && mine.checksum !== row.checksum) {
      return {
        ok: false,
        reason: `store migration ${row.version} (${row.name}) in the database differs from the one shipped with cronops ${codeVersion} (checksum ${row.checksum.slice(0, 12)} vs ${mine.checksum.slice(0, 12)}): migrations must never be edited once released`,
      };
    }
  }
  const newest = applied.reduce((max, row) => Math.max(max, row.version), 0);
  const needed = applied.reduce((max, row) => Math.max(max, row.compatibleSince), 0);
  if (needed > codeSchema) {
    const blocker = applied.find((row) => row.compatibleSince === needed);
    return {
      ok: false,
      reason: `the store schema is at version ${newest} and needs cronops with store schema ${needed} or newer (migration ${blocker?.version ?? needed} "${blocker?.name ?? '?'}" removed what older versions use); cronops ${codeVersion} has store schema ${codeSchema}: upgrade cronops`,
    };
  }
  const have = new Set(applied.map((row) => row.version));
  const pending = known
    .filter((migration) => !have.has(migration.version))
    .sort((a, b) => a.version - b.version);
  return { ok: true, pending, version: Math.max(newest, codeSchema) };
}

/** A migration from its file name (`0001_history.sql`) and text; throws with the file named for a bad one. */
export function parseMigration(file: string, sql: string, checksum: string): Migration {
  const match = /^(\d{4})_([a-z0-9_-]+)\.sql$/.exec(file);
  if (match === null) {
    throw new Error(`${file}: expected a migration file name like 0001_name.sql`);
  }
  const since = /^--\s*compatible-since:\s*(\d+)\s*$/m.exec(sql);
  if (since === null) {
    throw new Error(`${file}: expected a line "-- compatible-since: N" in the header`);
  }
  const version = Number(match[1]);
  const compatibleSince = Number(since[1]);
  if (version < 1 || compatibleSince < 1 || compatibleSince > version) {
    throw new Error(
      `${file}: expected 1 <= compatible-since <= ${version}, got ${compatibleSince}`,
    );
  }
  return { version, name: match[2] as string, sql, compatibleSince, checksum };
}
