// A rolling update between cronops versions on one PostgreSQL store, with real daemons: a newer build
// expands the schema while this build keeps firing beside it (no instant twice), and once a later build
// contracts the schema, this build refuses to start with the reason.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../pg/database.js';
import { type RunningDaemon, stopDaemon, useCleanup, waitFor } from './daemon-harness.js';
import {
  findDoubles,
  readTruth,
  startReplica,
  waitForReplica,
  writeTicks,
} from './replicas-harness.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * Another build of cronops: this dist/ with `version` in its package.json and `extra` migrations beside
 * the shipped ones (a later release). node_modules is linked, so it runs the same dependencies.
 */
async function makeBuild(
  root: string,
  version: string,
  extra: Record<string, string>,
): Promise<{ cli: string }> {
  await mkdir(root, { recursive: true });
  await cp(resolve('dist'), join(root, 'dist'), { recursive: true });
  const pkg = JSON.parse(await readFile(resolve('package.json'), 'utf8')) as { version: string };
  await writeFile(join(root, 'package.json'), JSON.stringify({ ...pkg, version }));
  await symlink(resolve('node_modules'), join(root, 'node_modules'));
  for (const [file, sql] of Object.entries(extra))
    await writeFile(join(root, 'dist/store/pg/migrations', file), sql);
  return { cli: join(root, 'dist/cli/main.js') };
}

/** The newest shipped migration's version. */
async function shippedSchema(): Promise<number> {
  const files = await readdir(resolve('src/store/pg/migrations'));
  return Math.max(...files.map((file) => Number(file.slice(0, 4))));
}

describe('e2e: replicas of two versions on PostgreSQL', () => {
  const cleanup = useCleanup();

  it('runs this build beside a newer one on the expanded schema, then refuses after a contraction', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const root = await mkdtemp(join(tmpdir(), 'cronops-versions-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const shipped = await shippedSchema();
    const pad = (n: number): string => String(n).padStart(4, '0');
    const expand = {
      [`${pad(shipped + 1)}_next_note.sql`]: `-- compatible-since: 1\nalter table cronops.run add column next_note text;\n`,
    };
    const next = await makeBuild(join(root, 'next'), '99.1.0', expand);
    const truth = join(root, 'truth.log');
    const dir = join(root, 'schedules.d');
    await writeTicks(dir, truth, 3);
    const launch = (name: string, cli?: string): RunningDaemon => {
      const daemon = startReplica(name, {
        dir,
        state: join(root, `state-${name}`),
        url: db.url,
        ...(cli === undefined ? {} : { cli }),
      });
      cleanup.push(() => stopDaemon(daemon));
      return daemon;
    };

    // This build first (it migrates to the shipped schema), then the newer one expands it while both run.
    const current = launch('current');
    await waitForReplica(current);
    const newer = launch('newer', next.cli);
    await waitForReplica(newer);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanup.push(() => client.end());
    const versions = await client.query<{ version: number }>(
      'select max(version)::int as version from cronops.schema_migration',
    );
    expect(versions.rows[0]?.version).toBe(shipped + 1);
    const bothFrom = Date.now();
    await sleep(5000);
    const replicas = await client.query<{ version: string }>(
      'select distinct version from cronops.replica order by version',
    );
    const ownVersion = (
      JSON.parse(await readFile(resolve('package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(replicas.rows.map((row) => row.version).sort()).toEqual([ownVersion, '99.1.0'].sort());
    expect((await stopDaemon(newer, 30_000)).code).toBe(0);
    expect((await stopDaemon(current, 30_000)).code).toBe(0);

    const lines = await readTruth(truth);
    expect(findDoubles(lines)).toEqual([]);
    // Both versions fired while side by side: the current build was not shut out by the newer schema.
    const side = lines.filter((line) => line.startedMs >= bothFrom);
    expect(new Set(side.map((line) => line.replica))).toEqual(new Set(['current', 'newer']));

    // A later release contracts what this build uses: migrated explicitly, then this build refuses.
    const contracted = await makeBuild(join(root, 'later'), '100.0.0', {
      ...expand,
      [`${pad(shipped + 2)}_drop_replica_pid.sql`]: `-- compatible-since: ${shipped + 2}\nalter table cronops.replica drop column pid;\n`,
    });
    await run(process.execPath, [contracted.cli, 'store', 'migrate', '--store', db.url]);
    const refused = launch('current-again');
    const exit = await waitFor('the refusal', () => refused.exited, 30_000);
    expect(exit.code).not.toBe(0);
    expect(refused.output()).toContain(
      `needs cronops with store schema ${shipped + 2} or newer (migration ${shipped + 2} "drop_replica_pid" removed what older versions use); cronops ${ownVersion} has store schema ${shipped}: upgrade cronops`,
    );
  }, 120_000);
});
