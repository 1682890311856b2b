import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { interpretTriggerAnswer, registerTriggerCommand } from '../../src/cli/commands/trigger.js';
import { startStatusServer, type StatusServer } from '../../src/status/http.js';
import { buildStatusSnapshot } from '../../src/status/snapshot.js';
import type { TriggerResult } from '../../src/status/route-types.js';
import { runCommand } from './run-command.js';

const TOKEN = 'cli-trigger-token-0123456789';

const ANSWERS: Record<string, TriggerResult> = {
  backup: { runId: '01JP0000000000000000000001', outcome: 'started' },
  queued: {
    runId: '01JP0000000000000000000002',
    outcome: 'waiting',
    reason: 'queued behind run 01JP0000000000000000000000',
  },
  busy: {
    runId: '01JP0000000000000000000003',
    outcome: 'skipped',
    reason: 'previous run 01JP0000000000000000000000 is still running (concurrencyPolicy Forbid)',
  },
};

const snapshot = () =>
  buildStatusSnapshot({
    now: new Date('2026-03-10T12:00:00.000Z'),
    daemon: {
      version: '0.1.0',
      pid: 1,
      startedAt: new Date('2026-03-10T11:00:00.000Z'),
      configDir: 'd',
      stateDir: 's',
      watchMode: 'off',
      listen: null,
      maxConcurrentRuns: null,
      shuttingDown: false,
    },
    files: [],
    schedules: [],
    history: { writable: true, pendingWrites: 0, corrupt: [] },
  });

const servers: StatusServer[] = [];
const savedToken = process.env['CRONOPS_TRIGGER_TOKEN'];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  if (savedToken === undefined) delete process.env['CRONOPS_TRIGGER_TOKEN'];
  else process.env['CRONOPS_TRIGGER_TOKEN'] = savedToken;
  process.exitCode = undefined;
});

async function daemonUrl(withToken = true): Promise<string> {
  const server = await startStatusServer({
    listen: '127.0.0.1:0',
    getSnapshot: snapshot,
    dashboard: null,
    defaultMetrics: false,
    ...(withToken ? { trigger: { token: TOKEN, start: (name: string) => ANSWERS[name] } } : {}),
  });
  servers.push(server);
  return server.url;
}

const runCli = (args: string[]) => runCommand([registerTriggerCommand], args);

describe('cli/trigger', () => {
  it.each([
    { status: 202, body: { runId: 'R1', outcome: 'started' }, outcome: { ok: true, runId: 'R1' } },
    {
      status: 202,
      body: { runId: 'R2', outcome: 'waiting', reason: 'queued behind run R0' },
      outcome: { ok: true, runId: 'R2', note: 'run R2 of "x" is waiting: queued behind run R0' },
    },
    {
      status: 202,
      body: {},
      outcome: { ok: false, message: 'the daemon accepted the run but sent no run id' },
    },
    {
      status: 409,
      body: { reason: 'still running' },
      outcome: { ok: false, message: '"x" was not started: still running' },
    },
    {
      status: 401,
      body: {},
      outcome: {
        ok: false,
        message: 'the daemon needs a trigger token: pass --token or set CRONOPS_TRIGGER_TOKEN',
      },
    },
    {
      status: 403,
      body: {},
      outcome: {
        ok: false,
        message: 'the daemon refused the trigger token (not the one it was started with)',
      },
    },
    {
      status: 404,
      body: {},
      outcome: { ok: false, message: 'the daemon has no schedule named "x"' },
    },
    {
      status: 405,
      body: {},
      outcome: {
        ok: false,
        message:
          'run now is disabled on this daemon: start it with --trigger-token or CRONOPS_TRIGGER_TOKEN',
      },
    },
    {
      status: 500,
      body: { error: 'internal error' },
      outcome: { ok: false, message: 'the daemon answered 500: internal error' },
    },
    { status: 502, body: undefined, outcome: { ok: false, message: 'the daemon answered 502' } },
  ])('interpretTriggerAnswer($status)', ({ status, body, outcome }) => {
    expect(interpretTriggerAnswer('x', status, body)).toEqual(outcome);
  });

  it('prints the run id of a started run', async () => {
    const url = await daemonUrl();
    const result = await runCli(['trigger', 'backup', '--url', url, '--token', TOKEN]);
    expect(result).toEqual({
      stdout: '01JP0000000000000000000001\n',
      stderr: '',
      error: undefined,
      exitCode: undefined,
    });
  });

  it('takes the token from CRONOPS_TRIGGER_TOKEN and notes a waiting run on stderr', async () => {
    const url = await daemonUrl();
    process.env['CRONOPS_TRIGGER_TOKEN'] = TOKEN;
    const result = await runCli(['trigger', 'queued', '--url', url]);
    expect(result.stdout).toBe('01JP0000000000000000000002\n');
    expect(result.stderr).toBe(
      'cronops: run 01JP0000000000000000000002 of "queued" is waiting: queued behind run 01JP0000000000000000000000\n',
    );
    expect(result.exitCode).toBeUndefined();
  });

  it.each([
    {
      name: 'busy',
      token: TOKEN,
      withToken: true,
      stderr:
        'cronops: "busy" was not started: previous run 01JP0000000000000000000000 is still running (concurrencyPolicy Forbid)\n',
    },
    {
      name: 'backup',
      token: undefined,
      withToken: true,
      stderr:
        'cronops: the daemon needs a trigger token: pass --token or set CRONOPS_TRIGGER_TOKEN\n',
    },
    {
      name: 'backup',
      token: 'wrong-token',
      withToken: true,
      stderr: 'cronops: the daemon refused the trigger token (not the one it was started with)\n',
    },
    {
      name: 'nope',
      token: TOKEN,
      withToken: true,
      stderr: 'cronops: the daemon has no schedule named "nope"\n',
    },
    {
      name: 'backup',
      token: TOKEN,
      withToken: false,
      stderr:
        'cronops: run now is disabled on this daemon: start it with --trigger-token or CRONOPS_TRIGGER_TOKEN\n',
    },
  ])(
    'exits 1 with one line for $name (token $token)',
    async ({ name, token, withToken, stderr }) => {
      delete process.env['CRONOPS_TRIGGER_TOKEN'];
      const url = await daemonUrl(withToken);
      const result = await runCli([
        'trigger',
        name,
        '--url',
        url,
        ...(token ? ['--token', token] : []),
      ]);
      expect(result).toEqual({ stdout: '', stderr, error: undefined, exitCode: 1 });
    },
  );

  it('fails with DAEMON_UNREACHABLE when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const result = await runCli([
      'trigger',
      'backup',
      '--url',
      `http://127.0.0.1:${port}`,
      '--token',
      TOKEN,
    ]);
    expect(result.error).toMatchObject({
      code: 'DAEMON_UNREACHABLE',
      message: `cannot reach the daemon at http://127.0.0.1:${port} (connection refused)`,
    });
  });
});
