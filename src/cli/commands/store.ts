// `cronops store migrate` and `cronops store import`: preparing the PostgreSQL store for replicas.
import { Option, type Command } from 'commander';
import { redactStoreUrl } from '../../store/pg/connection.js';
import { importStateDir } from '../../store/pg/import-state-dir.js';
import { connectStore, createReplicaId } from '../../store/pg/open-store.js';
import { writeErr, writeJson, writeOut, createUsageError } from '../output.js';
import { createStoreOption, selectStoreUrl } from '../store-option.js';
import { readVersion } from '../version.js';

interface StoreFlags {
  store?: string;
  stateDir?: string;
  json?: boolean;
}

function requireStore(flags: StoreFlags): string {
  const url = selectStoreUrl(flags.store);
  if (url === undefined) throw createUsageError('--store (or CRONOPS_STORE) is required');
  return url;
}

export function registerStoreCommand(program: Command): Command {
  const store = program
    .command('store')
    .summary('prepare the PostgreSQL store: migrate its schema, import a single-node history')
    .description(
      'Commands for the PostgreSQL store that several replicas share (docs/replicas.md).',
    );
  store
    .command('migrate')
    .description(
      'apply the schema migrations this version ships (daemons started with --store do it too); ' +
        'refuses a schema this version cannot use',
    )
    .addOption(createStoreOption('PostgreSQL store (postgres://USER@HOST:PORT/DB)'))
    .option('--json', 'print the result as JSON')
    .action(async (flags: StoreFlags) => {
      const url = requireStore(flags);
      const { pool, migration } = await connectStore(url, {
        version: readVersion(),
        appliedBy: `cli:${createReplicaId()}`,
        poolSize: 1,
      });
      await pool.end();
      if (flags.json === true) writeJson(migration, 2);
      else if (migration.applied.length === 0)
        writeOut(`store schema is at version ${migration.version}; nothing to apply`);
      else
        writeOut(
          `applied migration(s) ${migration.applied.join(', ')}; store schema is at version ${migration.version}`,
        );
    });
  store
    .command('import')
    .description(
      "copy a single node's history and watermarks (--state-dir) into the store; safe to run again",
    )
    .addOption(
      new Option('--state-dir <dir>', 'state directory of the single-node daemon')
        .env('CRONOPS_STATE_DIR')
        .makeOptionMandatory(),
    )
    .addOption(createStoreOption('PostgreSQL store (postgres://USER@HOST:PORT/DB)'))
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Cut-over: stop the single daemon (SIGTERM: its history is flushed), import, then start the replicas
with --store; catch-up continues from the imported watermarks.

Example:
  $ cronops store import --state-dir /var/lib/cronops --store postgres://cronops@db:5432/cronops`,
    )
    .action(async (flags: StoreFlags) => {
      const url = requireStore(flags);
      const { pool } = await connectStore(url, {
        version: readVersion(),
        appliedBy: `cli:${createReplicaId()}`,
        poolSize: 1,
      });
      try {
        const result = await importStateDir(pool, flags.stateDir as string);
        for (const warning of result.warnings) writeErr(`cronops: warning: ${warning}`);
        if (flags.json === true) {
          writeJson(result, 2);
          return;
        }
        writeOut(
          `imported ${result.inserted} run(s) of ${result.schedules} schedule(s) into ${redactStoreUrl(url)} ` +
            `(${result.present} already there; ${result.watermarks} watermark(s); ` +
            `${result.recoveredFromJournal} fire(s) from the journal recorded interrupted)`,
        );
      } finally {
        await pool.end();
      }
    });
  return store;
}
