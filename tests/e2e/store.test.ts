// The real daemon and CLI on the real PostgreSQL cluster: `run --store`, history/logs/status --store,
// `store migrate` and `store import`; the password never shows.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../pg/database.js';
import {
  CLI,
  makeDirs,
  manifest,
  startDaemon,
  stopDaemon,
  waitFor,
  writeManifest,
  readRuns,
  type RunningDaemon,
} from './daemon-harness.js';

const run = promisify(execFile);
const SECRET = 'Sup3r-Secret_pw';

/** The connection string with a password (trust authentication ignores it). */
function secretUrl(db: TestDatabase): string {
  return `postgres://postgres:${SECRET}@127.0.0.1:${db.cluster.port}/${db.name}`;
}

async function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('e2e: cronops on the PostgreSQL store', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningDaemon> {
    const daemon = startDaemon(args, env);
    cleanup.push(() => stopDaemon(daemon));
    return daemon;
  }

  it('runs with CRONOPS_STORE, serves every view of the shared history, and never shows the password', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const { root, dir, state } = await makeDirs();
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    await writeManifest(
      dir,
      'tick.yaml',
      manifest('tick', {
        schedule: '*/1 * * * * *',
        task: { shell: 'echo "store=${CRONOPS_STORE:-unset} pw=${PGPASSWORD:-unset}"' },
      }),
    );
    const url = secretUrl(db);
    const daemon = await start(['--dir', dir, '--state-dir', state, '--listen', '127.0.0.1:0'], {
      CRONOPS_STORE: url,
    });
    const endpoint = await waitFor(
      'the endpoint',
      () => {
        const line = daemon
          .output()
          .split('\n')
          .find((l) => l.includes('"status endpoint listening"'));
        return line ? (JSON.parse(line) as { url: string }).url : undefined;
      },
      20_000,
    );
    const plain = `postgres://postgres@127.0.0.1:${db.cluster.port}/${db.name}`;
    const rows = await waitFor(
      'two finished runs in PostgreSQL',
      async () => {
        const found = await query<{ id: string; replica: string; status: string }>(
          plain,
          "select id, replica, status from cronops.run where status = 'succeeded' order by id",
        );
        return found.length >= 2 ? found : undefined;
      },
      20_000,
    );
    expect(rows[0]?.replica).toMatch(/^.+:\d+:[0-9a-z]{8}$/);

    const history = await cli(['history', 'tick', '--json', '--store', url]);
    expect(history.code).toBe(0);
    const listed = JSON.parse(history.stdout) as { id: string; replica: string; status: string }[];
    expect(listed.map((r) => r.id)).toEqual(expect.arrayContaining(rows.map((r) => r.id)));
    expect(listed.every((r) => r.replica === rows[0]?.replica)).toBe(true);

    // libpq's PG* variables fill in what the connection string leaves out.
    const fromEnv = await cli(['history', '--json', '--store', 'postgres://'], {
      PGHOST: '127.0.0.1',
      PGPORT: String(db.cluster.port),
      PGUSER: 'postgres',
      PGDATABASE: db.name,
    });
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: rows[0]!.id })]),
    );

    const logs = await cli(['logs', rows[0]!.id], { CRONOPS_STORE: url });
    expect(logs.code).toBe(0);
    // The job does not inherit the connection string.
    expect(logs.stdout).toContain('store=unset');
    expect(logs.stdout).toContain(`replica:   ${rows[0]!.replica}`);

    const status = await cli(['status', '--store', url]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^tick {2}\d{4}-.* {2}succeeded {2}/m);
    expect(status.stdout).toContain(
      `store postgres://postgres:***@127.0.0.1:${db.cluster.port}/${db.name}`,
    );

    const snapshot = await (await fetch(`${endpoint}/status`)).text();
    const apiRuns = await (await fetch(`${endpoint}/api/v1/runs?schedule=tick`)).text();
    expect(apiRuns).toContain(rows[0]!.id);
    expect((await stopDaemon(daemon)).code).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const statusFile = await readFile(`${state}/status.json`, 'utf8');
    for (const text of [
      daemon.output(),
      snapshot,
      apiRuns,
      statusFile,
      history.stdout + history.stderr,
      logs.stdout + logs.stderr,
      status.stdout + status.stderr,
    ]) {
      expect(text).not.toContain(SECRET);
    }
    expect(daemon.output()).toContain('"store connected"');
    // The history stays in PostgreSQL: nothing under the state directory.
    expect(await readRuns(state, 'tick')).toEqual([]);
  }, 90_000);

  it('fails with one line naming the store without its password when it cannot be reached', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const { root, dir, state } = await makeDirs();
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const unreachable = `postgres://postgres:${SECRET}@127.0.0.1:1/${db.name}`;
    const history = await cli(['history', '--store', unreachable]);
    expect(history.code).toBe(1);
    expect(history.stderr).toMatch(
      /^cronops: cannot read the store \(postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/t_\w+\): connect ECONNREFUSED 127\.0\.0\.1:1/,
    );
    const daemon = await start([
      '--dir',
      dir,
      '--state-dir',
      state,
      '--listen',
      'off',
      '--store',
      unreachable,
    ]);
    const exited = await daemon.exited;
    expect(exited.code).toBe(1);
    expect(daemon.output()).toContain('cannot use the store');
    const usage = await cli(['history', '--store', `mysql://root:${SECRET}@db/x`]);
    expect(usage.code).toBe(2);
    for (const text of [history.stderr, daemon.output(), usage.stderr])
      expect(text).not.toContain(SECRET);
  }, 60_000);

  it('imports a single-node history idempotently, and catch-up continues from its watermark', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const { root, dir, state } = await makeDirs();
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    await writeManifest(
      dir,
      'tick.yaml',
      manifest('tick', { schedule: '*/1 * * * * *', task: { shell: 'true' }, catchUp: 'none' }),
    );
    const single = await start(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    await waitFor(
      'two runs on the single node',
      async () => (await readRuns(state, 'tick')).length >= 2,
      20_000,
    );
    expect((await stopDaemon(single)).code).toBe(0);
    const local = await readRuns(state, 'tick');

    const url = db.url;
    const migrated = await cli(['store', 'migrate', '--store', url]);
    expect(migrated).toMatchObject({
      code: 0,
      stdout: 'applied migration(s) 1, 2, 3; store schema is at version 3\n',
    });
    expect((await cli(['store', 'migrate', '--store', url])).stdout).toBe(
      'store schema is at version 3; nothing to apply\n',
    );
    const first = await cli(['store', 'import', '--state-dir', state, '--store', url, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      inserted: local.length,
      present: 0,
      watermarks: 1,
    });
    const again = await cli(['store', 'import', '--state-dir', state, '--store', url, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0, present: local.length });
    const [imported] = await query<{ watermark: Date }>(
      url,
      'select watermark from cronops.schedule_state',
    );
    const watermark = imported!.watermark.getTime();
    expect(watermark).toBe(Math.max(...local.map((r) => Date.parse(r.scheduledAt))));

    // Down for a while, then the PostgreSQL daemon: the gap since the watermark is one missed record.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const replica = await start([
      '--dir',
      dir,
      '--state-dir',
      `${state}-pg`,
      '--listen',
      'off',
      '--store',
      url,
    ]);
    const missed = await waitFor(
      'the missed record of the gap',
      async () => {
        const found = await query<{ record: { missed?: { first: string }; scheduledAt: string } }>(
          url,
          "select record from cronops.run where status = 'missed'",
        );
        return found[0];
      },
      20_000,
    );
    expect(Date.parse(missed.record.missed!.first)).toBe(watermark + 1000);
    await waitFor(
      'a run by the new daemon',
      async () =>
        (
          await query(
            url,
            "select 1 from cronops.run where replica is not null and status = 'succeeded'",
          )
        ).length > 0,
      20_000,
    );
    expect((await stopDaemon(replica)).code).toBe(0);
    const runs = await query<{ scheduled_at: Date; n: number }>(
      url,
      "select scheduled_at, count(*)::int as n from cronops.run where status <> 'missed' group by 1 having count(*) > 1",
    );
    expect(runs).toEqual([]);
  }, 90_000);
});
