import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  formatDuration,
  parseTimeBound,
  registerHistoryCommand,
} from '../../src/cli/commands/history.js';
import { registerLogsCommand } from '../../src/cli/commands/logs.js';
import { createLowdbHistoryStore } from '../../src/history/lowdb-store.js';
import type { RunRecord } from '../../src/history/store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { SchedulerError, exitCodeFor } from '../../src/shared/errors.js';
import { runCommand } from './run-command.js';

const FAILED: RunRecord = {
  id: '01JNQ6Z5S8M2W4X7Y9A1B3C5D7',
  schedule: 'nightly-db-backup',
  trigger: 'schedule',
  scheduledAt: '2026-03-08T02:30:00.000Z',
  startedAt: '2026-03-08T02:30:00.120Z',
  finishedAt: '2026-03-08T02:31:12.620Z',
  durationMs: 72_500,
  status: 'failed',
  reason: 'exit code 3 after 2 attempts',
  attempts: [
    {
      attempt: 1,
      startedAt: '2026-03-08T02:30:00.120Z',
      finishedAt: '2026-03-08T02:30:30.120Z',
      exitCode: 3,
      signal: null,
      outputTail: 'dumping app\npg_dump: error: connection refused\n',
    },
    {
      attempt: 2,
      startedAt: '2026-03-08T02:31:00.120Z',
      finishedAt: '2026-03-08T02:31:12.620Z',
      exitCode: 3,
      signal: null,
      outputTail: '',
    },
  ],
  specHash: 'sha256:4f2a',
};

const SUCCEEDED: RunRecord = {
  id: '01JNQ6Z5S8M2W4X7Y9A1B3C5D8',
  schedule: 'catalog-sync',
  trigger: 'manual',
  scheduledAt: '2026-03-08T03:00:00.000Z',
  startedAt: '2026-03-08T03:00:00.010Z',
  finishedAt: '2026-03-08T03:00:00.860Z',
  durationMs: 850,
  status: 'succeeded',
  attempts: [
    {
      attempt: 1,
      startedAt: '2026-03-08T03:00:00.010Z',
      finishedAt: '2026-03-08T03:00:00.860Z',
      exitCode: 0,
    },
  ],
  specHash: 'sha256:9c1e',
};

const TIMED_OUT: RunRecord = {
  id: '01JNQ6Z5S8M2W4X7Y9A1B3C5D9',
  schedule: 'nightly-db-backup',
  trigger: 'retry',
  scheduledAt: '2026-03-09T02:30:00.000Z',
  startedAt: '2026-03-09T02:30:00.000Z',
  finishedAt: '2026-03-09T03:00:10.000Z',
  durationMs: 1_810_000,
  status: 'timedOut',
  attempts: [
    {
      attempt: 1,
      startedAt: '2026-03-09T02:30:00.000Z',
      finishedAt: '2026-03-09T03:00:10.000Z',
      exitCode: null,
      signal: 'SIGTERM',
    },
  ],
  specHash: 'sha256:4f2a',
};

const MISSED: RunRecord = {
  id: '01JNQ6Z5S8M2W4X7Y9A1B3C5DA',
  schedule: 'catalog-sync',
  trigger: 'catchup',
  scheduledAt: '2026-03-09T04:00:00.000Z',
  status: 'missed',
  reason: 'daemon was down',
  attempts: [],
  specHash: 'sha256:9c1e',
  missed: { count: 3, first: '2026-03-09T04:00:00.000Z', last: '2026-03-09T06:00:00.000Z' },
};

const runCli = (args: string[]) => runCommand([registerHistoryCommand, registerLogsCommand], args);

describe('cli/history', () => {
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cronops-cli-history-'));
    const store = createLowdbHistoryStore({
      stateDir,
      clock: new ManualClock('2026-03-10T00:00:00.000Z'),
    });
    await store.open();
    for (const run of [FAILED, SUCCEEDED, TIMED_OUT, MISSED]) await store.recordRun(run);
    await store.close();
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await rm(stateDir, { recursive: true, force: true });
  });

  describe('cronops history', () => {
    it('prints a table, newest first', async () => {
      const result = await runCli(['history', '--state-dir', stateDir]);
      expect(result.error).toBeUndefined();
      expect(result.stdout.split('\n')).toEqual([
        'ID                          SCHEDULE           TRIGGER   SCHEDULED             STATUS      DURATION  EXIT',
        '01JNQ6Z5S8M2W4X7Y9A1B3C5DA  catalog-sync       catchup   2026-03-09T04:00:00Z  missed (3)  -         -',
        '01JNQ6Z5S8M2W4X7Y9A1B3C5D9  nightly-db-backup  retry     2026-03-09T02:30:00Z  timedOut    30m10s    SIGTERM',
        '01JNQ6Z5S8M2W4X7Y9A1B3C5D8  catalog-sync       manual    2026-03-08T03:00:00Z  succeeded   850ms     0',
        '01JNQ6Z5S8M2W4X7Y9A1B3C5D7  nightly-db-backup  schedule  2026-03-08T02:30:00Z  failed      1m12s     3',
        '',
      ]);
      expect(result.stderr).toBe('');
    });

    it('--json prints only a JSON array of run records', async () => {
      const result = await runCli(['history', '--json', '--state-dir', stateDir]);
      expect(JSON.parse(result.stdout)).toEqual([MISSED, TIMED_OUT, SUCCEEDED, FAILED]);
    });

    it.each<{ args: string[]; ids: string[] }>([
      { args: ['nightly-db-backup'], ids: [TIMED_OUT.id, FAILED.id] },
      { args: ['--status', 'failed,timedOut'], ids: [TIMED_OUT.id, FAILED.id] },
      { args: ['--status', 'succeeded', '--status', 'missed'], ids: [MISSED.id, SUCCEEDED.id] },
      { args: ['--since', '2026-03-09T00:00:00Z'], ids: [MISSED.id, TIMED_OUT.id] },
      { args: ['--until', '2026-03-09'], ids: [SUCCEEDED.id, FAILED.id] },
      { args: ['--limit', '1'], ids: [MISSED.id] },
      { args: ['--limit', '0'], ids: [MISSED.id, TIMED_OUT.id, SUCCEEDED.id, FAILED.id] },
      { args: ['catalog-sync', '--status', 'succeeded'], ids: [SUCCEEDED.id] },
      { args: ['unknown-schedule'], ids: [] },
    ])('filters with $args', async ({ args, ids }) => {
      const result = await runCli(['history', ...args, '--json', '--state-dir', stateDir]);
      expect(result.error).toBeUndefined();
      expect((JSON.parse(result.stdout) as RunRecord[]).map((run) => run.id)).toEqual(ids);
    });

    it('shows the newest 20 runs by default', async () => {
      const store = createLowdbHistoryStore({
        stateDir,
        clock: new ManualClock('2026-03-10T00:00:00.000Z'),
      });
      await store.open();
      for (let n = 0; n < 30; n += 1) {
        await store.recordRun({ ...SUCCEEDED, id: `01JP${String(n).padStart(22, '0')}` });
      }
      await store.close();
      const result = await runCli(['history', '--state-dir', stateDir]);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(21);
      expect(lines[1]).toMatch(/^01JP0+29 /);
    });

    it('reads the state directory from CRONOPS_STATE_DIR', async () => {
      vi.stubEnv('CRONOPS_STATE_DIR', stateDir);
      const result = await runCli(['history', '--json']);
      expect(JSON.parse(result.stdout)).toHaveLength(4);
    });

    it('says so when nothing matches', async () => {
      const result = await runCli(['history', 'unknown-schedule', '--state-dir', stateDir]);
      expect(result.stdout).toBe(`no runs of "unknown-schedule" match in ${stateDir}\n`);
    });

    it('warns about a corrupt file on stderr, lists the rest, and leaves the file alone', async () => {
      const broken = join(stateDir, 'history', 'broken.json');
      await writeFile(broken, '{"version":1,');
      const result = await runCli(['history', '--json', '--state-dir', stateDir]);
      expect(JSON.parse(result.stdout)).toHaveLength(4);
      expect(result.stderr).toMatch(
        /^cronops: warning: skipped .*broken\.json: not valid JSON .*\n$/,
      );
      expect(await readFile(broken, 'utf8')).toBe('{"version":1,');
    });

    it.each<{ args: string[]; message: string }>([
      { args: ['--status', 'done'], message: '--status: unknown status "done"' },
      { args: ['--since', 'yesterday'], message: '--since: expected an ISO 8601 time' },
      { args: ['--until', '2026-13-45T00:00:00Z'], message: '--until: expected an ISO 8601 time' },
      { args: ['--limit', 'ten'], message: '--limit: expected a whole number, got "ten"' },
    ])('rejects $args as a usage error (exit 2)', async ({ args, message }) => {
      const { error, stdout } = await runCli(['history', ...args, '--state-dir', stateDir]);
      expect(error).toBeInstanceOf(SchedulerError);
      expect((error as SchedulerError).message).toContain(message);
      expect((error as SchedulerError).message).not.toContain('\n');
      expect(exitCodeFor((error as SchedulerError).code)).toBe(2);
      expect(stdout).toBe('');
    });

    it('fails with one line when the state directory has no history', async () => {
      const missing = join(stateDir, 'nope');
      const { error } = await runCli(['history', '--state-dir', missing]);
      expect(error).toBeInstanceOf(SchedulerError);
      expect((error as SchedulerError).message).toBe(
        `no history in ${missing} (${join(missing, 'history')} does not exist; is --state-dir right?)`,
      );
      expect(exitCodeFor((error as SchedulerError).code)).toBe(1);
    });
  });

  describe('cronops logs', () => {
    it("prints the run's header and each attempt's output tail", async () => {
      const result = await runCli(['logs', FAILED.id, '--state-dir', stateDir]);
      expect(result.error).toBeUndefined();
      expect(result.stdout.split('\n')).toEqual([
        'run:       01JNQ6Z5S8M2W4X7Y9A1B3C5D7',
        'schedule:  nightly-db-backup',
        'trigger:   schedule',
        'status:    failed (exit code 3)',
        'reason:    exit code 3 after 2 attempts',
        'scheduled: 2026-03-08T02:30:00Z',
        'started:   2026-03-08T02:30:00.120Z',
        'finished:  2026-03-08T02:31:12.620Z',
        'duration:  1m12s',
        'spec:      sha256:4f2a',
        '',
        '--- attempt 1 of 2, exit code 3, started 2026-03-08T02:30:00.120Z, took 30.0s',
        'dumping app',
        'pg_dump: error: connection refused',
        '',
        '--- attempt 2 of 2, exit code 3, started 2026-03-08T02:31:00.120Z, took 12.5s',
        '(no output)',
        '',
      ]);
    });

    it('shows signals and missed fires', async () => {
      const timedOut = await runCli(['logs', TIMED_OUT.id, '--state-dir', stateDir]);
      expect(timedOut.stdout).toContain('status:    timedOut (signal SIGTERM)\n');
      expect(timedOut.stdout).toContain(
        '--- attempt 1 of 1, killed by SIGTERM, started 2026-03-09T02:30:00Z, took 30m10s\n',
      );
      const missed = await runCli(['logs', MISSED.id, '--state-dir', stateDir]);
      expect(missed.stdout).toContain(
        'missed:    3 fire(s) from 2026-03-09T04:00:00Z to 2026-03-09T06:00:00Z\n',
      );
      expect(missed.stdout).toContain('no attempts (the run never started a process)\n');
    });

    it('--json prints only the run record', async () => {
      const result = await runCli(['logs', FAILED.id, '--json', '--state-dir', stateDir]);
      expect(JSON.parse(result.stdout)).toEqual(FAILED);
    });

    it('fails with one line for an unknown run id (exit 1)', async () => {
      const { error, stdout } = await runCli(['logs', '01NOPE', '--state-dir', stateDir]);
      expect(error).toBeInstanceOf(SchedulerError);
      expect((error as SchedulerError).code).toBe('RUN_NOT_FOUND');
      expect((error as SchedulerError).message).toBe(`run "01NOPE" not found in ${stateDir}`);
      expect(exitCodeFor((error as SchedulerError).code)).toBe(1);
      expect(stdout).toBe('');
    });

    it('reports an unknown run id the same way when the state directory is empty', async () => {
      const empty = join(stateDir, 'empty');
      await mkdir(empty);
      const { error } = await runCli(['logs', FAILED.id, '--state-dir', empty]);
      expect((error as SchedulerError).message).toBe(`run "${FAILED.id}" not found in ${empty}`);
    });
  });

  it.each<{ text: string; at: string }>([
    { text: '24h', at: '2026-03-09T12:00:00.000Z' },
    { text: '7d', at: '2026-03-03T12:00:00.000Z' },
    { text: '1h30m', at: '2026-03-10T10:30:00.000Z' },
    { text: '2w', at: '2026-02-24T12:00:00.000Z' },
    { text: '500ms', at: '2026-03-10T11:59:59.500Z' },
    { text: '2026-03-01', at: '2026-03-01T00:00:00.000Z' },
    { text: '2026-03-01T08:15:00Z', at: '2026-03-01T08:15:00.000Z' },
    { text: '2026-03-01T08:15', at: '2026-03-01T08:15:00.000Z' },
    { text: '2026-03-01T08:15:00+01:00', at: '2026-03-01T07:15:00.000Z' },
  ])('parseTimeBound($text) is $at at 2026-03-10T12:00:00Z', ({ text, at }) => {
    expect(
      parseTimeBound('--since', text, new Date('2026-03-10T12:00:00.000Z')).toISOString(),
    ).toBe(at);
  });

  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [12_345, '12.3s'],
    [65_000, '1m05s'],
    [3_599_999, '59m59s'],
    [7_380_000, '2h03m'],
  ])('formatDuration(%d) is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
