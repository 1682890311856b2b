import { describe, expect, it } from 'vitest';
import type { HistoryHealth, RunRecord } from '../../src/history/store.js';
import { summarizeRuns } from '../../src/history/summary.js';
import {
  buildStatusSnapshot,
  selectNotReadyReasons,
  type StatusInput,
  type StatusScheduleMemo,
} from '../../src/status/snapshot.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const HOUR = 3_600_000;

const healthyHistory: HistoryHealth = { writable: true, pendingWrites: 0, corrupt: [] };

type ScheduleInput = StatusInput['schedules'][number];

function schedule(name: string, extra: Partial<ScheduleInput> = {}): ScheduleInput {
  return {
    name,
    file: 'schedules.d/main.yaml',
    schedule: '0 * * * *',
    humanSchedule: 'Every hour',
    timezone: 'UTC',
    suspended: false,
    degraded: false,
    labels: {},
    concurrencyPolicy: 'Forbid',
    nextFires: [],
    running: [],
    queued: 0,
    runs: [],
    ...extra,
  };
}

function input(extra: Partial<StatusInput> = {}): StatusInput {
  return {
    now: NOW,
    daemon: {
      version: '0.1.0',
      pid: 4242,
      startedAt: new Date('2026-03-10T08:00:00.000Z'),
      configDir: 'schedules.d',
      stateDir: '.cronops',
      watchMode: 'auto',
      listen: '127.0.0.1:8787',
      maxConcurrentRuns: null,
      shuttingDown: false,
    },
    lastReconcile: {
      at: new Date('2026-03-10T08:00:01.000Z'),
      ok: true,
      created: 2,
      updated: 0,
      removed: 0,
      unchanged: 0,
      errors: 0,
      trigger: 'startup',
    },
    files: [{ file: 'schedules.d/main.yaml', ok: true, issues: [], schedules: ['backup'] }],
    schedules: [],
    history: healthyHistory,
    ...extra,
  };
}

function run(
  id: string,
  status: RunRecord['status'],
  scheduledAt: string,
  extra: Partial<RunRecord> = {},
): RunRecord {
  return {
    id,
    schedule: 'backup',
    trigger: 'schedule',
    scheduledAt,
    status,
    attempts: [],
    specHash: 'h1',
    ...extra,
  };
}

const succeeded = run('01A', 'succeeded', '2026-03-10T10:00:00.000Z', {
  startedAt: '2026-03-10T10:00:00.100Z',
  finishedAt: '2026-03-10T10:00:05.100Z',
  durationMs: 5000,
  attempts: [
    {
      attempt: 1,
      startedAt: '2026-03-10T10:00:00.100Z',
      finishedAt: '2026-03-10T10:00:05.100Z',
      exitCode: 0,
      outputTail: 'SECRET-LOOKING OUTPUT that must not appear',
      pid: 100,
    },
  ],
});
const failed = run('01B', 'failed', '2026-03-10T11:00:00.000Z', {
  trigger: 'retry',
  startedAt: '2026-03-10T11:00:00.050Z',
  finishedAt: '2026-03-10T11:00:40.050Z',
  durationMs: 40_000,
  reason: 'exit code 3',
  attempts: [
    {
      attempt: 1,
      startedAt: '2026-03-10T11:00:00.050Z',
      finishedAt: '2026-03-10T11:00:10.050Z',
      exitCode: 3,
      outputTail: 'x',
    },
    {
      attempt: 2,
      startedAt: '2026-03-10T11:00:30.050Z',
      finishedAt: '2026-03-10T11:00:40.050Z',
      exitCode: 3,
      outputTail: 'y',
    },
  ],
});
const missed = run('01C', 'missed', '2026-03-10T11:30:00.000Z', {
  trigger: 'catchup',
  reason: 'daemon was down',
  missed: { count: 3, first: '2026-03-10T11:10:00.000Z', last: '2026-03-10T11:30:00.000Z' },
});

describe('status/snapshot', () => {
  it('builds the whole document for one schedule', () => {
    const snapshot = buildStatusSnapshot(
      input({
        schedules: [
          schedule('backup', {
            description: 'Nightly backup',
            labels: { tier: 'critical', team: 'data' },
            maxSuccessAge: 26 * HOUR,
            nextFires: [new Date('2026-03-10T13:00:00.000Z'), new Date('2026-03-10T14:00:00.000Z')],
            running: [
              { runId: '01D', startedAt: new Date('2026-03-10T11:59:30.000Z'), attempt: 1 },
            ],
            queued: 1,
            runs: [succeeded, failed, missed],
          }),
        ],
      }),
    );
    expect(snapshot).toEqual({
      statusFormat: 1,
      version: '0.1.0',
      pid: 4242,
      startedAt: '2026-03-10T08:00:00.000Z',
      generatedAt: '2026-03-10T12:00:00.000Z',
      uptimeMs: 4 * HOUR,
      configDir: 'schedules.d',
      stateDir: '.cronops',
      watch: 'auto',
      listen: '127.0.0.1:8787',
      maxConcurrentRuns: null,
      shuttingDown: false,
      clock: { anomalies: 0, lastAnomaly: null },
      ready: true,
      notReadyReasons: [],
      lastReconcile: {
        at: '2026-03-10T08:00:01.000Z',
        ok: true,
        trigger: 'startup',
        created: 2,
        updated: 0,
        removed: 0,
        unchanged: 0,
        errors: 0,
      },
      history: { writable: true, lastError: null, pendingWrites: 0, corrupt: [] },
      files: [{ file: 'schedules.d/main.yaml', ok: true, schedules: ['backup'], errors: [] }],
      summary: {
        schedules: 1,
        byHealth: {
          degraded: 0,
          suspended: 0,
          inactive: 0,
          'clock-anomaly': 0,
          failing: 1,
          stale: 0,
          ok: 0,
        },
        running: 1,
        queued: 1,
        files: 1,
        invalidFiles: 0,
      },
      schedules: [
        {
          name: 'backup',
          file: 'schedules.d/main.yaml',
          description: 'Nightly backup',
          schedule: '0 * * * *',
          humanSchedule: 'Every hour',
          timezone: 'UTC',
          suspended: false,
          degraded: false,
          labels: { team: 'data', tier: 'critical' },
          concurrencyPolicy: 'Forbid',
          activeFrom: null,
          activeUntil: null,
          window: 'active',
          maxSuccessAgeMs: 26 * HOUR,
          health: 'failing',
          nextFires: ['2026-03-10T13:00:00.000Z', '2026-03-10T14:00:00.000Z'],
          clockWaitUntil: null,
          running: [
            { runId: '01D', startedAt: '2026-03-10T11:59:30.000Z', attempt: 1, elapsedMs: 30_000 },
          ],
          queued: 1,
          lastRun: {
            id: '01B',
            status: 'failed',
            trigger: 'retry',
            scheduledAt: '2026-03-10T11:00:00.000Z',
            startedAt: '2026-03-10T11:00:00.050Z',
            finishedAt: '2026-03-10T11:00:40.050Z',
            durationMs: 40_000,
            attempts: 2,
            exitCode: 3,
            signal: null,
            reason: 'exit code 3',
            missed: null,
          },
          lastEvent: {
            id: '01C',
            status: 'missed',
            trigger: 'catchup',
            scheduledAt: '2026-03-10T11:30:00.000Z',
            startedAt: null,
            finishedAt: null,
            durationMs: null,
            attempts: 0,
            exitCode: null,
            signal: null,
            reason: 'daemon was down',
            missed: {
              count: 3,
              first: '2026-03-10T11:10:00.000Z',
              last: '2026-03-10T11:30:00.000Z',
            },
          },
          lastSuccess: { id: '01A', finishedAt: '2026-03-10T10:00:05.100Z', durationMs: 5000 },
          counts: {
            pending: 0,
            running: 0,
            succeeded: 1,
            failed: 1,
            timedOut: 0,
            skipped: 0,
            missed: 1,
            interrupted: 0,
            cancelled: 0,
          },
        },
      ],
      cluster: null,
    });
    expect(JSON.stringify(snapshot)).not.toContain('outputTail');
    expect(JSON.stringify(snapshot)).not.toContain('SECRET-LOOKING');
    expect(Object.keys(snapshot.schedules[0]?.labels ?? {})).toEqual(['team', 'tier']);
  });

  it('is JSON-ready: a JSON round trip changes nothing', () => {
    const snapshot = buildStatusSnapshot(
      input({ schedules: [schedule('a', { runs: [succeeded, failed] })] }),
    );
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it.each([
    { title: 'ok', extra: { runs: [failed, succeeded] }, health: 'ok' },
    { title: 'failing', extra: { runs: [succeeded, failed] }, health: 'failing' },
    { title: 'stale', extra: { maxSuccessAge: HOUR, runs: [succeeded, missed] }, health: 'stale' },
    {
      title: 'suspended over failing',
      extra: { suspended: true, runs: [failed] },
      health: 'suspended',
    },
    {
      title: 'degraded over suspended',
      extra: { degraded: true, suspended: true },
      health: 'degraded',
    },
  ])('health word: $title', ({ extra, health }) => {
    const snapshot = buildStatusSnapshot(input({ schedules: [schedule('a', extra)] }));
    expect(snapshot.schedules[0]?.health).toBe(health);
    expect(snapshot.summary.byHealth[health as 'ok']).toBe(1);
  });

  it('sorts schedules by name and files by path, and counts health words and running runs', () => {
    const snapshot = buildStatusSnapshot(
      input({
        files: [
          { file: 'schedules.d/z.yaml', ok: true, issues: [], schedules: ['zeta', 'alpha'] },
          { file: 'schedules.d/a.yaml', ok: true, issues: [], schedules: ['beta'] },
        ],
        schedules: [
          schedule('zeta', { runs: [failed] }),
          schedule('alpha', {
            running: [
              { runId: 'r1', startedAt: new Date('2026-03-10T11:00:00.000Z'), attempt: 1 },
              { runId: 'r2', startedAt: new Date('2026-03-10T11:30:00.000Z'), attempt: 2 },
            ],
          }),
          schedule('beta', { suspended: true, queued: 2 }),
          schedule('Beta-upper'),
        ],
      }),
    );
    expect(snapshot.schedules.map((s) => s.name)).toEqual(['Beta-upper', 'alpha', 'beta', 'zeta']);
    expect(snapshot.files.map((f) => [f.file, f.schedules])).toEqual([
      ['schedules.d/a.yaml', ['beta']],
      ['schedules.d/z.yaml', ['alpha', 'zeta']],
    ]);
    expect(snapshot.summary).toEqual({
      schedules: 4,
      byHealth: {
        degraded: 0,
        suspended: 1,
        inactive: 0,
        'clock-anomaly': 0,
        failing: 1,
        stale: 0,
        ok: 2,
      },
      running: 2,
      queued: 2,
      files: 2,
      invalidFiles: 0,
    });
    expect(snapshot.schedules[1]?.running.map((r) => r.elapsedMs)).toEqual([HOUR, HOUR / 2]);
  });

  it('shows a file with errors, each with line, col and the formatted text', () => {
    const snapshot = buildStatusSnapshot(
      input({
        files: [
          {
            file: 'schedules.d/backup.yaml',
            ok: false,
            schedules: ['backup'],
            issues: [
              {
                file: 'schedules.d/backup.yaml',
                line: 14,
                col: 15,
                path: 'spec.timezone',
                message: 'unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)',
              },
              {
                file: 'schedules.d/backup.yaml',
                line: 3,
                col: 1,
                path: '',
                message: 'duplicate key "spec"',
              },
            ],
          },
          { file: 'schedules.d/main.yaml', ok: true, issues: [], schedules: [] },
        ],
        schedules: [schedule('backup', { degraded: true, file: 'schedules.d/backup.yaml' })],
      }),
    );
    expect(snapshot.files[0]).toEqual({
      file: 'schedules.d/backup.yaml',
      ok: false,
      schedules: ['backup'],
      errors: [
        {
          line: 14,
          col: 15,
          path: 'spec.timezone',
          message: 'unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)',
          text: 'schedules.d/backup.yaml:14:15: spec.timezone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)',
        },
        {
          line: 3,
          col: 1,
          path: '',
          message: 'duplicate key "spec"',
          text: 'schedules.d/backup.yaml:3:1: duplicate key "spec"',
        },
      ],
    });
    expect(snapshot.summary.invalidFiles).toBe(1);
    expect(snapshot.schedules[0]?.health).toBe('degraded');
    expect(snapshot.ready).toBe(true);
  });

  it.each([
    { title: 'healthy', extra: {}, reasons: [] },
    { title: 'empty config directory is ready', extra: { files: [] }, reasons: [] },
    {
      title: 'history not writable',
      extra: {
        history: { ...healthyHistory, writable: false, lastError: 'EROFS: read-only file system' },
      },
      reasons: ['history not writable: EROFS: read-only file system'],
    },
    {
      title: 'history not writable, no message',
      extra: { history: { ...healthyHistory, writable: false } },
      reasons: ['history not writable'],
    },
    {
      title: 'the only file is invalid',
      extra: { files: [{ file: 'a.yaml', ok: false, issues: [], schedules: [] }] },
      reasons: ['no manifest file loaded: the only file is invalid'],
    },
    {
      title: 'every file is invalid',
      extra: {
        files: [
          { file: 'a.yaml', ok: false, issues: [], schedules: [] },
          { file: 'b.yaml', ok: false, issues: [], schedules: [] },
        ],
      },
      reasons: ['no manifest file loaded: all 2 files are invalid'],
    },
    {
      title: 'one good file among bad ones is ready',
      extra: {
        files: [
          { file: 'a.yaml', ok: false, issues: [], schedules: [] },
          { file: 'b.yaml', ok: true, issues: [], schedules: [] },
        ],
      },
      reasons: [],
    },
    {
      title: 'before the first reconcile',
      extra: { lastReconcile: undefined },
      reasons: ['manifests not loaded yet'],
    },
    {
      title: 'shutting down, and several reasons in order',
      extra: {
        daemon: { ...input().daemon, shuttingDown: true },
        history: { ...healthyHistory, writable: false, lastError: 'ENOSPC' },
      },
      reasons: ['shutting down', 'history not writable: ENOSPC'],
    },
  ])('readiness: $title', ({ extra, reasons }) => {
    const whole = { ...input(), ...extra } as StatusInput;
    if ('lastReconcile' in extra && extra.lastReconcile === undefined) delete whole.lastReconcile;
    expect(selectNotReadyReasons(whole)).toEqual(reasons);
    const snapshot = buildStatusSnapshot(whole);
    expect(snapshot.ready).toBe(reasons.length === 0);
    expect(snapshot.notReadyReasons).toEqual(reasons);
  });

  it('shows history problems and corrupt files', () => {
    const snapshot = buildStatusSnapshot(
      input({
        history: {
          writable: false,
          lastError: 'ENOSPC: no space left on device',
          pendingWrites: 3,
          corrupt: [
            {
              file: '.cronops/history/backup.json',
              movedTo: '.cronops/history/backup.json.corrupt-20260310T080000Z',
              error: 'not valid JSON (empty file)',
              at: '2026-03-10T08:00:00.500Z',
            },
          ],
        },
      }),
    );
    expect(snapshot.history).toEqual({
      writable: false,
      lastError: 'ENOSPC: no space left on device',
      pendingWrites: 3,
      corrupt: [
        {
          file: '.cronops/history/backup.json',
          movedTo: '.cronops/history/backup.json.corrupt-20260310T080000Z',
          error: 'not valid JSON (empty file)',
          at: '2026-03-10T08:00:00.500Z',
        },
      ],
    });
  });

  it.each([
    {
      title: 'no runs',
      runs: [],
      lastRun: null,
      lastEvent: null,
      lastSuccess: null,
    },
    {
      title: 'only a running run',
      runs: [
        run('01A', 'running', '2026-03-10T11:00:00.000Z', {
          startedAt: '2026-03-10T11:00:00.000Z',
        }),
      ],
      lastRun: null,
      lastEvent: '01A running',
      lastSuccess: null,
    },
    {
      title: 'skipped after success',
      runs: [
        succeeded,
        run('01B', 'skipped', '2026-03-10T11:00:00.000Z', { reason: 'still running' }),
      ],
      lastRun: '01A succeeded',
      lastEvent: '01B skipped',
      lastSuccess: '01A 2026-03-10T10:00:05.100Z',
    },
    {
      title: 'cancelled by Replace is the last run',
      runs: [
        succeeded,
        run('01B', 'cancelled', '2026-03-10T11:00:00.000Z', {
          finishedAt: '2026-03-10T11:05:00.000Z',
        }),
        run('01C', 'running', '2026-03-10T11:05:00.000Z'),
      ],
      lastRun: '01B cancelled',
      lastEvent: '01C running',
      lastSuccess: '01A 2026-03-10T10:00:05.100Z',
    },
    {
      title: 'success without finishedAt falls back to startedAt',
      runs: [
        run('01A', 'succeeded', '2026-03-10T10:00:00.000Z', {
          startedAt: '2026-03-10T10:00:01.000Z',
        }),
      ],
      lastRun: '01A succeeded',
      lastEvent: '01A succeeded',
      lastSuccess: '01A 2026-03-10T10:00:01.000Z',
    },
  ])('lastRun, lastEvent, lastSuccess: $title', ({ runs, lastRun, lastEvent, lastSuccess }) => {
    const [shown] = buildStatusSnapshot(input({ schedules: [schedule('a', { runs })] })).schedules;
    expect(shown?.lastRun ? `${shown.lastRun.id} ${shown.lastRun.status}` : null).toBe(lastRun);
    expect(shown?.lastEvent ? `${shown.lastEvent.id} ${shown.lastEvent.status}` : null).toBe(
      lastEvent,
    );
    expect(
      shown?.lastSuccess ? `${shown.lastSuccess.id} ${shown.lastSuccess.finishedAt}` : null,
    ).toBe(lastSuccess);
  });

  it('exit code and signal come from the last attempt', () => {
    const killed = run('01A', 'timedOut', '2026-03-10T10:00:00.000Z', {
      finishedAt: '2026-03-10T10:30:00.000Z',
      attempts: [
        { attempt: 1, startedAt: '2026-03-10T10:00:00.000Z', exitCode: 1 },
        { attempt: 2, startedAt: '2026-03-10T10:10:00.000Z', exitCode: null, signal: 'SIGKILL' },
      ],
    });
    const [shown] = buildStatusSnapshot(
      input({ schedules: [schedule('a', { runs: [killed] })] }),
    ).schedules;
    expect(shown?.lastRun).toMatchObject({
      attempts: 2,
      exitCode: null,
      signal: 'SIGKILL',
      status: 'timedOut',
    });
  });

  it('counts every status over the retained runs', () => {
    const runs = [
      run('1', 'succeeded', '2026-03-10T01:00:00.000Z'),
      run('2', 'succeeded', '2026-03-10T02:00:00.000Z'),
      run('3', 'failed', '2026-03-10T03:00:00.000Z'),
      run('4', 'skipped', '2026-03-10T04:00:00.000Z'),
      run('5', 'skipped', '2026-03-10T05:00:00.000Z'),
      run('6', 'skipped', '2026-03-10T06:00:00.000Z'),
      run('7', 'interrupted', '2026-03-10T07:00:00.000Z'),
      run('8', 'pending', '2026-03-10T08:00:00.000Z'),
    ];
    const [shown] = buildStatusSnapshot(input({ schedules: [schedule('a', { runs })] })).schedules;
    expect(shown?.counts).toEqual({
      pending: 1,
      running: 0,
      succeeded: 2,
      failed: 1,
      timedOut: 0,
      skipped: 3,
      missed: 0,
      interrupted: 1,
      cancelled: 0,
    });
  });

  it.each<{ name: string; statuses: RunRecord['status'][]; maxSuccessAge?: number }>([
    { name: 'successes', statuses: ['succeeded', 'succeeded', 'succeeded', 'succeeded'] },
    {
      name: 'a failure after skips and misses',
      statuses: ['succeeded', 'failed', 'skipped', 'missed', 'skipped', 'skipped', 'cancelled'],
    },
    {
      name: 'an old success (stale)',
      statuses: ['succeeded', 'failed', 'failed', 'failed', 'skipped', 'running'],
      maxSuccessAge: 2 * HOUR,
    },
    {
      name: 'no success at all (stale from the oldest run)',
      statuses: ['failed', 'failed', 'failed', 'failed', 'timedOut', 'failed', 'missed', 'pending'],
      maxSuccessAge: 5 * HOUR,
    },
  ])('shows the same from the history summary as from the whole history: $name', (example) => {
    const runs = example.statuses.map((status, index) =>
      run(`0${index}`, status, `2026-03-10T0${index}:00:00.000Z`, {
        attempts: [{ attempt: 1, startedAt: '2026-03-10T00:00:00.000Z', outputTail: 'tail' }],
      }),
    );
    const summary = summarizeRuns(runs);
    expect(summary.runs.length).toBeLessThan(runs.length);
    const extra =
      example.maxSuccessAge !== undefined ? { maxSuccessAge: example.maxSuccessAge } : {};
    const whole = buildStatusSnapshot(input({ schedules: [schedule('a', { runs, ...extra })] }));
    const fromSummary = buildStatusSnapshot(
      input({
        schedules: [schedule('a', { runs: summary.runs, counts: summary.counts, ...extra })],
      }),
    );
    expect(fromSummary).toEqual(whole);
  });

  it.each([
    {
      issue: { file: 'a.yaml', line: 1, col: 2, path: 'spec.schedule', message: 'bad' },
      text: 'a.yaml:1:2: spec.schedule: bad',
    },
    {
      issue: { file: 'a.yaml', line: 5, col: 1, path: '', message: 'YAML syntax error' },
      text: 'a.yaml:5:1: YAML syntax error',
    },
    {
      issue: { file: 'a.yaml', line: 0, col: 0, path: '', message: 'file larger than 1 MiB' },
      text: 'a.yaml: file larger than 1 MiB',
    },
  ])('shows an issue as $text', ({ issue, text }) => {
    const files = [{ file: 'a.yaml', ok: false, issues: [issue], schedules: [] }];
    const { file: _file, ...located } = issue;
    expect(buildStatusSnapshot(input({ files })).files[0]?.errors).toEqual([{ ...located, text }]);
  });

  it('does not change its input', () => {
    const runs = [succeeded, failed];
    const labels = { b: '2', a: '1' };
    const whole = input({ schedules: [schedule('a', { runs, labels })] });
    const before = JSON.stringify(whole);
    buildStatusSnapshot(whole);
    expect(JSON.stringify(whole)).toBe(before);
  });
});

describe('status/snapshot memo', () => {
  it('rebuilds an entry when the schedule starts waiting out a clock step back', () => {
    const memo: StatusScheduleMemo = new Map();
    const first = buildStatusSnapshot(input({ schedules: [schedule('a')] }), memo);
    const until = new Date('2026-03-11T02:30:00Z');
    const second = buildStatusSnapshot(
      input({ schedules: [schedule('a', { clockWaitUntil: until })] }),
      memo,
    );
    expect(first.schedules[0]?.health).toBe('ok');
    expect(second.schedules[0]).toMatchObject({
      health: 'clock-anomaly',
      clockWaitUntil: '2026-03-11T02:30:00.000Z',
    });
    expect(second.summary.byHealth['clock-anomaly']).toBe(1);
  });

  it('reuses the entries of unchanged schedules and rebuilds changed, running and removed ones', () => {
    const memo: StatusScheduleMemo = new Map();
    const runs: RunRecord[] = [succeeded];
    const first = buildStatusSnapshot(
      input({
        schedules: [
          schedule('a', { runs }),
          schedule('b'),
          schedule('busy', {
            running: [{ runId: '01R', startedAt: new Date(NOW.getTime() - 5000), attempt: 1 }],
          }),
        ],
      }),
      memo,
    );
    runs.push(
      run('01B', 'failed', '2026-03-10T11:00:00.000Z', { finishedAt: '2026-03-10T11:00:01.000Z' }),
    );
    const later = new Date(NOW.getTime() + 1000);
    const second = buildStatusSnapshot(
      input({
        now: later,
        schedules: [
          schedule('a', { runs }),
          schedule('b'),
          schedule('busy', {
            running: [{ runId: '01R', startedAt: new Date(NOW.getTime() - 5000), attempt: 1 }],
          }),
        ],
      }),
      memo,
    );
    const [a1, b1, busy1] = first.schedules;
    const [a2, b2, busy2] = second.schedules;
    expect(b2).toBe(b1); // unchanged: the same entry
    expect(a2).not.toBe(a1);
    expect(a2?.health).toBe('failing');
    expect(busy2?.running[0]?.elapsedMs).toBe((busy1?.running[0]?.elapsedMs ?? 0) + 1000);
    // The same snapshot as without a memo.
    expect(second).toEqual(
      buildStatusSnapshot(
        input({
          now: later,
          schedules: [
            schedule('a', { runs }),
            schedule('b'),
            schedule('busy', {
              running: [{ runId: '01R', startedAt: new Date(NOW.getTime() - 5000), attempt: 1 }],
            }),
          ],
        }),
      ),
    );
    buildStatusSnapshot(input({ schedules: [schedule('b')] }), memo);
    expect([...memo.keys()]).toEqual(['b']);
  });

  it('takes the same input object as the same entry without comparing its fields, unless it can go stale', () => {
    const memo: StatusScheduleMemo = new Map();
    const plain = schedule('plain');
    const watched = schedule('watched', { maxSuccessAge: 3 * HOUR, runs: [succeeded] });
    const first = buildStatusSnapshot(input({ schedules: [plain, watched] }), memo);
    // Inputs are immutable: an entry changed behind the builder's back is not looked at again…
    (plain as { queued: number }).queued = 7;
    const muchLater = new Date(NOW.getTime() + 2 * HOUR);
    const second = buildStatusSnapshot(
      input({ now: muchLater, schedules: [plain, watched] }),
      memo,
    );
    expect(second.schedules[0]).toBe(first.schedules[0]);
    expect(second.schedules[0]?.queued).toBe(0);
    // …but one whose health moves with the clock is.
    expect(first.schedules[1]?.health).toBe('ok');
    expect(second.schedules[1]?.health).toBe('stale');
  });
});
