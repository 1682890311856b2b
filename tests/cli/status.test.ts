import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  formatRelativeTime,
  registerStatusCommand,
  renderStatus,
} from '../../src/cli/commands/status.js';
import { SchedulerError } from '../../src/shared/errors.js';
import { startStatusServer, type StatusServer } from '../../src/status/http.js';
import { buildStatusSnapshot, type StatusSnapshot } from '../../src/status/snapshot.js';
import { runCommand } from './run-command.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');

function snapshot(): StatusSnapshot {
  const base = {
    file: 'a.yaml',
    suspended: false,
    degraded: false,
    labels: {},
    concurrencyPolicy: 'Forbid',
    queued: 0,
    running: [],
  };
  return buildStatusSnapshot({
    now: NOW,
    daemon: {
      version: '0.1.0',
      pid: 4242,
      startedAt: new Date('2026-03-09T06:00:00.000Z'),
      configDir: 'd',
      stateDir: 's',
      watchMode: 'auto',
      listen: null,
      maxConcurrentRuns: null,
      shuttingDown: false,
    },
    lastReconcile: {
      at: NOW,
      ok: false,
      created: 3,
      updated: 0,
      removed: 0,
      unchanged: 0,
      errors: 1,
      trigger: 'startup',
    },
    files: [
      {
        file: 'bad.yaml',
        ok: false,
        schedules: [],
        issues: [
          {
            file: 'bad.yaml',
            line: 4,
            col: 3,
            path: 'spec.timeout',
            message: 'expected a duration like "5m", got "5 minutes"',
          },
        ],
      },
    ],
    schedules: [
      {
        ...base,
        name: 'nightly-db-backup',
        schedule: '30 2 * * *',
        humanSchedule: 'At 02:30 AM',
        timezone: 'Europe/Berlin',
        nextFires: [new Date('2026-03-11T01:30:00.000Z')],
        runs: [
          {
            id: '01JP0000000000000000000001',
            schedule: 'nightly-db-backup',
            trigger: 'schedule',
            scheduledAt: '2026-03-10T01:30:00.000Z',
            startedAt: '2026-03-10T01:30:00.004Z',
            finishedAt: '2026-03-10T01:42:13.550Z',
            durationMs: 733_546,
            status: 'succeeded',
            attempts: [],
            specHash: 'h',
          },
        ],
      },
      {
        ...base,
        name: 'cache-warmer',
        schedule: '*/15 * * * *',
        humanSchedule: 'Every 15 minutes',
        timezone: 'UTC',
        nextFires: [new Date('2026-03-10T12:15:00.000Z')],
        running: [
          {
            runId: '01JP0000000000000000000003',
            startedAt: new Date('2026-03-10T11:59:40.000Z'),
            attempt: 1,
          },
        ],
        runs: [
          {
            id: '01JP0000000000000000000002',
            schedule: 'cache-warmer',
            trigger: 'schedule',
            scheduledAt: '2026-03-10T11:45:00.000Z',
            startedAt: '2026-03-10T11:45:00.002Z',
            finishedAt: '2026-03-10T11:45:31.120Z',
            durationMs: 31_118,
            status: 'failed',
            attempts: [],
            specHash: 'h',
          },
        ],
      },
      {
        ...base,
        name: 'paused',
        schedule: '@daily',
        humanSchedule: 'At 12:00 AM',
        timezone: 'UTC',
        suspended: true,
        nextFires: [],
        runs: [],
      },
    ],
    history: { writable: true, pendingWrites: 0, corrupt: [] },
  });
}

const runCli = (args: string[]) => runCommand([registerStatusCommand], args);

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('cli/status', () => {
  let stateDir: string;
  const servers: StatusServer[] = [];
  const savedStateDir = process.env['CRONOPS_STATE_DIR'];
  const savedUrl = process.env['CRONOPS_URL'];

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cronops-cli-status-'));
    delete process.env['CRONOPS_URL'];
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await rm(stateDir, { recursive: true, force: true });
    if (savedStateDir === undefined) delete process.env['CRONOPS_STATE_DIR'];
    else process.env['CRONOPS_STATE_DIR'] = savedStateDir;
    if (savedUrl !== undefined) process.env['CRONOPS_URL'] = savedUrl;
  });

  it.each([
    { at: '2026-03-10T12:00:00.400Z', text: 'now' },
    { at: '2026-03-10T12:00:45.000Z', text: 'in 45s' },
    { at: '2026-03-10T12:01:05.900Z', text: 'in 1m 5s' },
    { at: '2026-03-10T14:15:00.000Z', text: 'in 2h 15m' },
    { at: '2026-03-10T14:00:30.000Z', text: 'in 2h' },
    { at: '2026-03-13T16:00:00.000Z', text: 'in 3d 4h' },
    { at: '2026-03-10T11:55:00.000Z', text: '5m ago' },
    { at: '2026-03-09T06:00:00.000Z', text: '1d 6h ago' },
  ])('formatRelativeTime($at) → $text', ({ at, text }) => {
    expect(formatRelativeTime(Date.parse(at), NOW.getTime())).toBe(text);
  });

  it('renders the table, the summary, the daemon line and the file errors', () => {
    expect(renderStatus(snapshot(), new Date('2026-03-10T12:00:20.000Z'))).toEqual([
      'NAME               SCHEDULE                     NEXT RUN    LAST RUN     STATUS     DURATION  HEALTH',
      'cache-warmer       Every 15 minutes             in 14m 40s  40s ago      running    40.0s     failing',
      'nightly-db-backup  At 02:30 AM (Europe/Berlin)  in 13h 29m  10h 30m ago  succeeded  12m13s    ok',
      'paused             At 12:00 AM                  suspended   -            -          -         suspended',
      '',
      '3 schedules (1 suspended, 1 failing, 1 ok), 1 running, 0 queued',
      'cronops 0.1.0, pid 4242, started 1d 6h ago, not ready: no manifest file loaded: the only file is invalid',
      'error: bad.yaml:4:3: spec.timeout: expected a duration like "5m", got "5 minutes"',
    ]);
  });

  it('reads <state-dir>/status.json with --state-dir and says so on stderr', async () => {
    await writeFile(join(stateDir, 'status.json'), JSON.stringify(snapshot()));
    const result = await runCli(['status', '--state-dir', stateDir]);
    expect(result.error).toBeUndefined();
    expect(result.stderr).toMatch(
      new RegExp(`^cronops: status from ${join(stateDir, 'status.json')} \\(written .+ ago\\)\\n$`),
    );
    expect(result.stdout.split('\n')[0]).toMatch(
      /^NAME +SCHEDULE +NEXT RUN +LAST RUN +STATUS +DURATION +HEALTH$/,
    );
    expect(result.stdout).toContain('nightly-db-backup');
  });

  it('asks the endpoint, and prints JSON with --json', async () => {
    const server = await startStatusServer({
      listen: '127.0.0.1:0',
      getSnapshot: snapshot,
      dashboard: null,
      defaultMetrics: false,
    });
    servers.push(server);
    const result = await runCli(['status', '--url', `${server.url}/`, '--json']);
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe(`cronops: status from ${server.url}/status\n`);
    expect(JSON.parse(result.stdout)).toEqual(snapshot());
  });

  it('falls back to the state directory when the endpoint is unreachable', async () => {
    await writeFile(join(stateDir, 'status.json'), JSON.stringify(snapshot()));
    process.env['CRONOPS_STATE_DIR'] = stateDir;
    const port = await closedPort();
    const result = await runCli(['status', '--url', `http://127.0.0.1:${port}`]);
    expect(result.error).toBeUndefined();
    expect(result.stderr).toMatch(
      new RegExp(
        `^cronops: status from ${join(stateDir, 'status.json')} \\(written .+\\); http://127\\.0\\.0\\.1:${port} is unreachable \\(connection refused\\)\\n$`,
      ),
    );
    expect(result.stdout).toContain('cache-warmer');
  });

  it.each([
    {
      args: ['--url', 'http://127.0.0.1:1', '--state-dir', '/x'],
      code: 'USAGE',
      message: 'give either --url or --state-dir, not both',
    },
    {
      args: ['--url', 'ftp://example.com'],
      code: 'USAGE',
      message: '--url: expected an http:// or https:// URL, got "ftp://example.com"',
    },
    {
      args: ['--state-dir', '/nonexistent-cronops'],
      code: 'STATE_DIR_UNAVAILABLE',
      message:
        'no status file at /nonexistent-cronops/status.json (is --state-dir right? the daemon writes it while running)',
    },
  ])('fails with one line: $message', async ({ args, code, message }) => {
    const result = await runCli(['status', ...args]);
    expect(result.error).toBeInstanceOf(SchedulerError);
    expect(result.error).toMatchObject({ code, message });
  });

  it('names both sources when neither answers', async () => {
    process.env['CRONOPS_STATE_DIR'] = join(stateDir, 'missing');
    const port = await closedPort();
    const result = await runCli(['status', '--url', `http://127.0.0.1:${port}`]);
    expect(result.error).toMatchObject({
      code: 'DAEMON_UNREACHABLE',
      message: `cannot reach the daemon at http://127.0.0.1:${port} (connection refused), and no status file at ${join(stateDir, 'missing', 'status.json')} (is --state-dir right? the daemon writes it while running)`,
    });
  });
});
