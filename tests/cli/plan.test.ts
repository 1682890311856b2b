// `cronops plan`: the built CLI against a real status.json (written by the daemon) and a real HTTP endpoint.
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { diffValues } from '../../src/cli/commands/plan.js';
import { Daemon } from '../../src/daemon/daemon.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const roots: string[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((done) => server.close(done));
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

function schedule(name: string, cron: string, extra = ''): string {
  return `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: ${name}
${extra}spec:
  schedule: "${cron}"
  task:
    command: ["pg_dump", "-f", "/backups/{{ date }}.dump"]
    env:
      PGHOST: db-old.internal
      PGPASSWORD: { fromEnv: PGPASSWORD }
`;
}

/** The manifests the daemon runs. */
const RUNNING = {
  'backup.yaml': schedule('nightly-db-backup', '0 2 * * *'),
  'misc.yaml': [
    schedule('cache-warmer', '*/15 * * * *'),
    schedule('old-cleanup', '0 4 * * 0'),
  ].join('---\n'),
};

/** A deploy: one changed (schedule and a literal env value), one deleted, one new, one unchanged. */
const DEPLOY = {
  'backup.yaml': schedule('nightly-db-backup', '30 2 * * *').replace(
    'db-old.internal',
    'db-new.internal',
  ),
  'misc.yaml': schedule('cache-warmer', '*/15 * * * *'),
  'digest.yaml': schedule('weekly-digest', '0 8 * * 1'),
};

async function makeRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'cronops-plan-'));
  roots.push(root);
  return root;
}

async function writeDir(dir: string, files: Record<string, string>): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/** Run the real daemon once on `files` and return its state directory, holding its status.json. */
async function runDaemonOnce(root: string, files: Record<string, string>): Promise<string> {
  const dir = await writeDir(join(root, 'running'), files);
  const stateDir = join(root, 'state');
  const daemon = new Daemon({
    configDir: dir,
    stateDir,
    listen: null,
    watch: 'off',
    logger: pino({ level: 'silent' }),
    version: '0.0.0-test',
  });
  await daemon.start();
  await daemon.stop();
  return stateDir;
}

/** The environment without the variables that would stand in for flags. */
const { CRONOPS_URL: _url, CRONOPS_DIR: _dir, ...ENV } = process.env;

function plan(...args: string[]) {
  return execa(process.execPath, [CLI, 'plan', ...args], {
    reject: false,
    env: ENV,
    extendEnv: false,
  });
}

const EXPECTED_TEXT = [
  '+ create  weekly-digest      (digest.yaml)',
  '~ update  nightly-db-backup  (backup.yaml)',
  '    spec.schedule: "0 2 * * *" → "30 2 * * *"',
  /^ {4}spec\.task\.env\.PGHOST: "sha256:[0-9a-f]{12}" → "sha256:[0-9a-f]{12}"$/,
  '- delete  old-cleanup        (misc.yaml)',
  '',
  'Plan: 1 to create, 1 to update, 1 to delete, 1 unchanged.',
];

function expectPlanText(stdout: string): void {
  const lines = stdout.split('\n');
  expect(lines).toHaveLength(EXPECTED_TEXT.length);
  EXPECTED_TEXT.forEach((want, i) => {
    if (typeof want === 'string') expect(lines[i]).toBe(want);
    else expect(lines[i]).toMatch(want);
  });
  expect(stdout).not.toContain('db-new.internal');
  expect(stdout).not.toContain('db-old.internal');
}

describe('cli/plan', () => {
  it('lists what a deploy would create, update (field by field) and delete, from a status.json', async () => {
    const root = await makeRoot();
    const stateDir = await runDaemonOnce(root, RUNNING);
    const deploy = await writeDir(join(root, 'deploy'), DEPLOY);
    const result = await plan('--dir', deploy, '--state-dir', stateDir);
    expect(result.exitCode).toBe(0);
    expectPlanText(result.stdout);
    const withGate = await plan('--dir', deploy, '--state-dir', stateDir, '--exit-code');
    expect(withGate.exitCode).toBe(3);
    expect(withGate.stdout).toBe(result.stdout);
  });

  it('reports no changes for the running directory itself (exit 0 with --exit-code)', async () => {
    const root = await makeRoot();
    const stateDir = await runDaemonOnce(root, RUNNING);
    const result = await plan(
      '--dir',
      join(root, 'running'),
      '--state-dir',
      stateDir,
      '--exit-code',
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('No changes: 3 schedules unchanged.');
  });

  it('a schedule moved to another file is no change, and is listed as moved', async () => {
    const root = await makeRoot();
    const stateDir = await runDaemonOnce(root, RUNNING);
    const deploy = await writeDir(join(root, 'deploy'), {
      'backup.yaml': [RUNNING['backup.yaml'], schedule('old-cleanup', '0 4 * * 0')].join('---\n'),
      'misc.yaml': schedule('cache-warmer', '*/15 * * * *'),
    });
    const result = await plan('--dir', deploy, '--state-dir', stateDir, '--exit-code', '--json');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      changed: false,
      create: [],
      update: [],
      delete: [],
      moved: [{ name: 'old-cleanup', from: 'misc.yaml', to: 'backup.yaml' }],
      unchanged: ['cache-warmer', 'nightly-db-backup', 'old-cleanup'],
    });
  });

  it('status.json holds no definitions: they are in definitions.json, masked, by fingerprint', async () => {
    const root = await makeRoot();
    const stateDir = await runDaemonOnce(root, RUNNING);
    const status = JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')) as {
      schedules: Record<string, unknown>[];
    };
    expect(status.schedules).toHaveLength(3);
    for (const entry of status.schedules) {
      expect(entry).not.toHaveProperty('definition');
      expect(entry.specHash).toMatch(/^[0-9a-f]{16}$/);
    }
    const text = await readFile(join(stateDir, 'definitions.json'), 'utf8');
    // Literal env values masked, secret references as written.
    expect(text).not.toContain('db-old.internal');
    const definitions = JSON.parse(text) as {
      definitionsFormat: number;
      schedules: { name: string; specHash: string; definition: { task: { env: unknown } } }[];
    };
    expect(definitions.definitionsFormat).toBe(1);
    expect(definitions.schedules.map((d) => [d.name, d.specHash])).toEqual(
      status.schedules.map((entry) => [entry.name, entry.specHash]),
    );
    expect(definitions.schedules[0]?.definition.task.env).toEqual({
      PGHOST: expect.stringMatching(/^sha256:[0-9a-f]{12}$/),
      PGPASSWORD: { fromEnv: 'PGPASSWORD' },
    });
  });

  it('--url asks the daemon endpoint for its status, and for the definitions only when something is updated', async () => {
    const root = await makeRoot();
    const stateDir = await runDaemonOnce(root, RUNNING);
    const bodies: Record<string, string> = {
      '/status': await readFile(join(stateDir, 'status.json'), 'utf8'),
      '/api/v1/definitions': await readFile(join(stateDir, 'definitions.json'), 'utf8'),
    };
    const requests: string[] = [];
    const server = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      const body = bodies[request.url ?? ''];
      response.statusCode = body === undefined ? 404 : 200;
      response.setHeader('content-type', 'application/json');
      response.end(body ?? '{"error":"not found"}');
    });
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const deploy = await writeDir(join(root, 'deploy'), DEPLOY);
    const text = await plan('--dir', deploy, '--url', url, '--exit-code');
    expect(text.exitCode).toBe(3);
    expectPlanText(text.stdout);
    const json = await plan('--dir', deploy, '--url', `${url}/`, '--json');
    expect(json.exitCode).toBe(0);
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      source: `${url}/status`,
      changed: true,
      create: [{ name: 'weekly-digest', file: join(deploy, 'digest.yaml') }],
      update: [
        {
          name: 'nightly-db-backup',
          changes: [
            { path: 'spec.schedule', from: '0 2 * * *', to: '30 2 * * *' },
            {
              path: 'spec.task.env.PGHOST',
              from: expect.stringMatching(/^sha256:/),
              to: expect.stringMatching(/^sha256:/),
            },
          ],
        },
      ],
      delete: [{ name: 'old-cleanup' }],
      unchanged: ['cache-warmer'],
    });
    const none = await plan('--dir', join(root, 'running'), '--url', url);
    expect(none.stdout).toBe('No changes: 3 schedules unchanged.');
    expect(requests).toEqual([
      'GET /status',
      'GET /api/v1/definitions',
      'GET /status',
      'GET /api/v1/definitions',
      'GET /status',
    ]);
  });

  it('--url against the real daemon endpoint shows field-level changes', async () => {
    const root = await makeRoot();
    const dir = await writeDir(join(root, 'running'), RUNNING);
    const daemon = new Daemon({
      configDir: dir,
      stateDir: join(root, 'state'),
      listen: '127.0.0.1:0',
      watch: 'off',
      logger: pino({ level: 'silent' }),
      version: '0.0.0-test',
    });
    await daemon.start();
    try {
      const status = await (await fetch(`${daemon.url}/status`)).text();
      expect(status).not.toContain('"definition"');
      const deploy = await writeDir(join(root, 'deploy'), DEPLOY);
      const result = await plan('--dir', deploy, '--url', daemon.url ?? '', '--exit-code');
      expect(result.exitCode).toBe(3);
      expectPlanText(result.stdout);
    } finally {
      await daemon.stop();
    }
  });

  it('reads a status.json of an older daemon, with the definitions in it', async () => {
    const root = await makeRoot();
    const stateDir = await runDaemonOnce(root, RUNNING);
    const status = JSON.parse(await readFile(join(stateDir, 'status.json'), 'utf8')) as {
      schedules: { name: string; definition?: unknown }[];
    };
    const definitions = JSON.parse(await readFile(join(stateDir, 'definitions.json'), 'utf8')) as {
      schedules: { name: string; definition: unknown }[];
    };
    for (const entry of status.schedules)
      entry.definition = definitions.schedules.find((d) => d.name === entry.name)?.definition;
    const old = join(root, 'old-state');
    await mkdir(old);
    await writeFile(join(old, 'status.json'), JSON.stringify(status));
    const deploy = await writeDir(join(root, 'deploy'), DEPLOY);
    const result = await plan('--dir', deploy, '--state-dir', old);
    expectPlanText(result.stdout);
  });

  it('without definitions of the running version, an update is listed without its fields', async () => {
    const root = await makeRoot();
    const stateDir = await runDaemonOnce(root, RUNNING);
    const path = join(stateDir, 'definitions.json');
    // Definitions written for another version (a reload between the two files) are not used.
    await writeFile(
      path,
      (await readFile(path, 'utf8')).replaceAll(/"specHash":"[0-9a-f]+"/g, '"specHash":"0"'),
    );
    const deploy = await writeDir(join(root, 'deploy'), DEPLOY);
    const stale = await plan('--dir', deploy, '--state-dir', stateDir);
    expect(stale.stdout.split('\n').slice(1, 3)).toEqual([
      '~ update  nightly-db-backup  (backup.yaml)',
      '    (the daemon does not show its definition; its fingerprint differs)',
    ]);
    await rm(path);
    const missing = await plan('--dir', deploy, '--state-dir', stateDir);
    expect(missing.exitCode).toBe(0);
    expect(missing.stdout).toBe(stale.stdout);
  });

  it('an invalid directory is reported as validate does and exits 1', async () => {
    const root = await makeRoot();
    const stateDir = await runDaemonOnce(root, RUNNING);
    const deploy = await writeDir(join(root, 'deploy'), {
      'backup.yaml': schedule('nightly-db-backup', '0 2 * * *').replace(
        '  task:',
        '  timout: 5m\n  task:',
      ),
    });
    const result = await plan('--dir', deploy, '--state-dir', stateDir, '--exit-code');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(`^${join(deploy, 'backup.yaml')}:7:3: spec\\.timout: `),
    );
    expect(result.stderr).toBe('1 error in 1 file; no plan made');
  });

  it.each([
    { args: ['--dir', 'no/such/dir'], message: /no such file or directory: no\/such\/dir/ },
    {
      args: ['--url', 'http://127.0.0.1:1', '--state-dir', '.'],
      message: /either --url or --state-dir/,
    },
    { args: ['--url', 'ftp://example'], message: /--url: expected an http/ },
  ])('usage errors exit 2: $args', async ({ args, message }) => {
    const root = await makeRoot();
    const deploy = await writeDir(join(root, 'deploy'), DEPLOY);
    const result = await plan('--dir', deploy, ...args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('an unreachable daemon or a missing status.json exits 1 with one line', async () => {
    const root = await makeRoot();
    const deploy = await writeDir(join(root, 'deploy'), DEPLOY);
    const unreachable = await plan('--dir', deploy, '--url', 'http://127.0.0.1:1');
    expect(unreachable.exitCode).toBe(1);
    expect(unreachable.stderr).toMatch(
      /^cronops: cannot reach the daemon at http:\/\/127\.0\.0\.1:1\/status: [^\n]+$/,
    );
    const missing = await plan('--dir', deploy, '--state-dir', join(root, 'nowhere'));
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^cronops: cannot read .*status\.json: ENOENT/);
  });

  it.each([
    { from: { a: 1 }, to: { a: 1 }, changes: [] },
    { from: { a: 1 }, to: { a: 2 }, changes: [{ path: 'a', from: 1, to: 2 }] },
    {
      from: { a: { b: 'x' } },
      to: { a: {} },
      changes: [{ path: 'a.b', from: 'x', to: undefined }],
    },
    {
      from: { l: ['a', 'b'] },
      to: { l: ['a', 'c'] },
      changes: [{ path: 'l[1]', from: 'b', to: 'c' }],
    },
    {
      from: { l: ['a'] },
      to: { l: ['a', 'b'] },
      changes: [{ path: 'l', from: ['a'], to: ['a', 'b'] }],
    },
    {
      from: { labels: { 'a.b/c': 'p' } },
      to: { labels: { 'a.b/c': 'q' } },
      changes: [{ path: 'labels["a.b/c"]', from: 'p', to: 'q' }],
    },
    {
      from: { v: { fromEnv: 'A' } },
      to: { v: 'sha256:0123456789ab' },
      changes: [{ path: 'v', from: { fromEnv: 'A' }, to: 'sha256:0123456789ab' }],
    },
  ])('diffValues($from, $to)', ({ from, to, changes }) => {
    expect(diffValues(from, to)).toEqual(changes);
  });
});
