import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  parseCalendarTime,
  registerCalendarCommand,
  renderCalendar,
} from '../../src/cli/commands/calendar.js';
import {
  buildCalendar,
  findSelfOverlap,
  selectTypicalDuration,
  type CalendarSchedule,
} from '../../src/cli/commands/calendar-model.js';
import { compileSchedule } from '../../src/cron/compile.js';
import { createLowdbHistoryStore } from '../../src/history/lowdb-store.js';
import type { RunRecord } from '../../src/history/store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { runCommand } from './run-command.js';

function schedule(
  name: string,
  expression: string,
  extra: Partial<CalendarSchedule> = {},
): CalendarSchedule {
  const compiled = compileSchedule(expression);
  if (!compiled.ok) throw new Error(`bad test expression ${expression}`);
  return {
    name,
    compiled: compiled.schedule,
    timeZone: 'UTC',
    suspended: false,
    concurrencyPolicy: 'Forbid',
    ...extra,
  };
}

const DAY = {
  from: new Date('2026-03-10T00:00:00.000Z'),
  to: new Date('2026-03-11T00:00:00.000Z'),
};

function succeeded(id: string, durationMs: number): RunRecord {
  return {
    id,
    schedule: 's',
    trigger: 'schedule',
    scheduledAt: '2026-03-01T00:00:00.000Z',
    status: 'succeeded',
    durationMs,
    attempts: [],
    specHash: 'h',
  };
}

describe('cli/calendar', () => {
  it.each([
    { name: 'every 6 hours', expression: '0 */6 * * *', width: 4, marks: '||||', count: 4 },
    { name: 'hourly', expression: '0 * * * *', width: 4, marks: '####', count: 24 },
    { name: 'daily at 02:30', expression: '30 2 * * *', width: 8, marks: '|.......', count: 1 },
    { name: 'every 90 minutes', expression: '@every 90m', width: 2, marks: '##', count: 16 },
    { name: 'never in the window', expression: '0 0 1 1 *', width: 3, marks: '...', count: 0 },
    {
      name: 'Berlin 02:30 is 01:30Z',
      expression: '30 2 * * *',
      width: 24,
      marks: '.|......................',
      count: 1,
      zone: 'Europe/Berlin',
    },
  ])('$name: $marks ($count fires)', ({ expression, width, marks, count, zone }) => {
    const calendar = buildCalendar([schedule('s', expression, zone ? { timeZone: zone } : {})], {
      ...DAY,
      width,
    });
    expect(calendar.rows).toEqual([{ name: 's', marks, count, conditionalCount: 0, suspended: false }]);
  });

  it('clips to the active window and never fires suspended schedules', () => {
    const calendar = buildCalendar(
      [
        schedule('clipped', '0 * * * *', {
          activeFrom: new Date('2026-03-10T06:00:00.000Z'),
          activeUntil: new Date('2026-03-10T11:00:00.000Z'),
        }),
        schedule('paused', '0 * * * *', { suspended: true }),
      ],
      { ...DAY, width: 4 },
    );
    expect(calendar.rows).toEqual([
      { name: 'clipped', marks: '.#..', count: 6, conditionalCount: 0, suspended: false },
      { name: 'paused', marks: '....', count: 0, conditionalCount: 0, suspended: true },
    ]);
  });

  it('flags only schedules whose typical duration exceeds their own period, not schedules firing together', () => {
    const calendar = buildCalendar(
      [
        // 45 min once a day: long, but over long before its next fire.
        schedule('backup', '0 2 * * *', { typicalMs: 45 * 60_000 }),
        // Fires while backup runs, and with sync at 02:30: neither is an overlap.
        schedule('report', '30 2 * * *'),
        // 15 min every 10 min: every fire but the first comes while the previous run still goes.
        schedule('sync', '*/10 * * * *', { typicalMs: 15 * 60_000, concurrencyPolicy: 'Queue' }),
        // 40 s every 30 s.
        schedule('poll', '*/30 * * * * *', { typicalMs: 40_000 }),
        // Exactly its period: the run ends as the next fire comes, no overlap.
        schedule('exact', '*/10 * * * *', { typicalMs: 10 * 60_000 }),
      ],
      { ...DAY, width: 24 },
    );
    expect(
      calendar.overlaps.map((o) => [
        o.at.toISOString(),
        o.name,
        o.count,
        o.runningSince.toISOString(),
        o.periodMs,
        o.concurrencyPolicy,
      ]),
    ).toEqual([
      // The runs started before the window are still going at 00:00.
      ['2026-03-10T00:00:00.000Z', 'poll', 2880, '2026-03-09T23:59:30.000Z', 30_000, 'Forbid'],
      ['2026-03-10T00:00:00.000Z', 'sync', 144, '2026-03-09T23:50:00.000Z', 600_000, 'Queue'],
    ]);
    expect(calendar.truncated).toEqual([]);
  });

  it.each([
    // fires (UTC seconds after 00:00), typical ms, window start (s): [first overlap at (s), since (s), count, period]
    { fires: [0, 10, 20], typicalMs: 12_000, from: 0, expected: [10, 0, 2, 10_000] },
    { fires: [0, 10, 20], typicalMs: 10_000, from: 0, expected: undefined },
    { fires: [0, 10, 20], typicalMs: 9_000, from: 0, expected: undefined },
    // An irregular schedule: only the short gap overlaps; the period is the shortest gap.
    { fires: [0, 60, 65, 120], typicalMs: 30_000, from: 0, expected: [65, 60, 1, 5_000] },
    // A fire before the window counts as the previous run, but is not counted itself.
    { fires: [-5, 0, 10], typicalMs: 8_000, from: 0, expected: [0, -5, 1, 5_000] },
    { fires: [0], typicalMs: 60_000, from: 0, expected: undefined },
  ])('findSelfOverlap $fires with typical $typicalMs', ({ fires, typicalMs, from, expected }) => {
    const base = Date.parse('2026-03-10T00:00:00.000Z');
    const overlap = findSelfOverlap(
      { name: 's', concurrencyPolicy: 'Forbid' },
      typicalMs,
      fires.map((s) => base + s * 1000),
      base + from * 1000,
    );
    expect(
      overlap === undefined
        ? undefined
        : [
            (overlap.at.getTime() - base) / 1000,
            (overlap.runningSince.getTime() - base) / 1000,
            overlap.count,
            overlap.periodMs,
          ],
    ).toEqual(expected);
  });

  it.each([
    { runs: [], typical: undefined },
    { runs: [succeeded('1', 500)], typical: 500 },
    { runs: [succeeded('1', 100), succeeded('2', 300), succeeded('3', 200)], typical: 200 },
    {
      runs: [succeeded('1', 100), succeeded('2', 400), succeeded('3', 300), succeeded('4', 200)],
      typical: 300,
    },
    {
      runs: [
        succeeded('1', 9_999),
        { ...succeeded('2', 1), status: 'failed' as const },
        succeeded('3', 10),
        succeeded('4', 20),
      ],
      typical: 20,
    },
  ])('selectTypicalDuration → $typical', ({ runs, typical }) => {
    expect(selectTypicalDuration(runs, 3)).toBe(typical);
  });

  it.each([
    { flag: '--from', text: '2026-03-10', base: undefined, at: '2026-03-10T00:00:00.000Z' },
    { flag: '--from', text: '2026-03-10T06:30', base: undefined, at: '2026-03-10T06:30:00.000Z' },
    {
      flag: '--to',
      text: '2026-03-10T06:30:00+02:00',
      base: new Date('2026-03-09T00:00:00Z'),
      at: '2026-03-10T04:30:00.000Z',
    },
    {
      flag: '--to',
      text: '7d',
      base: new Date('2026-03-09T00:00:00Z'),
      at: '2026-03-16T00:00:00.000Z',
    },
    {
      flag: '--to',
      text: '1d12h',
      base: new Date('2026-03-09T00:00:00Z'),
      at: '2026-03-10T12:00:00.000Z',
    },
  ])('parseCalendarTime($flag $text)', ({ flag, text, base, at }) => {
    expect(parseCalendarTime(flag, text, base).toISOString()).toBe(at);
  });

  it.each([
    {
      flag: '--from',
      text: 'tomorrow',
      base: undefined,
      message: '--from: expected an ISO 8601 time like "2026-03-10T00:00:00Z", got "tomorrow"',
    },
    {
      flag: '--from',
      text: '7d',
      base: undefined,
      message: '--from: expected an ISO 8601 time like "2026-03-10T00:00:00Z", got "7d"',
    },
    {
      flag: '--to',
      text: '7 days',
      base: new Date(0),
      message:
        '--to: expected an ISO 8601 time like "2026-03-10T00:00:00Z" or a duration after --from like "7d", got "7 days"',
    },
  ])('parseCalendarTime refuses $text', ({ flag, text, base, message }) => {
    expect(() => parseCalendarTime(flag, text, base)).toThrow(message);
  });

  it('renders the axis, the rows and the overlaps', () => {
    const calendar = buildCalendar(
      [
        schedule('backup', '0 */6 * * *', { typicalMs: 7 * 3_600_000 }),
        schedule('report', '30 2 * * *'),
        schedule('off', '@hourly', { suspended: true }),
      ],
      { ...DAY, width: 24 },
    );
    expect(renderCalendar(calendar, { durations: 'test durations' })).toEqual([
      'Fires from 2026-03-10 00:00Z to 2026-03-11 00:00Z (UTC), one column = 1h00m',
      '',
      '        00:00 06:00 12:00 18:00',
      '        +-----+-----+-----+-----  FIRES  TYPICAL',
      'backup  |.....|.....|.....|.....      4  7h00m',
      'off     (suspended)                   0  unknown',
      'report  ..|.....................      1  unknown',
      '',
      '. no fire   | one fire   # several fires in a column',
      '',
      'Overlaps (test durations):',
      '  2026-03-10 00:00Z  backup typically runs 7h00m, longer than its period of 6h00m: it fires while its run from 18:00Z is still going, 4 times in the window (concurrencyPolicy Forbid: those fires are skipped)',
    ]);
  });
});

describe('cli/calendar (command)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cronops-cli-calendar-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const runCli = (args: string[]) => runCommand([registerCalendarCommand], args);

  const manifest = (name: string, expression: string) =>
    `apiVersion: cronops/v1\nkind: Schedule\nmetadata: { name: ${name} }\nspec: { schedule: "${expression}", task: { shell: "true" } }\n`;

  it('uses the median of the recorded successful runs to flag a schedule that outlasts its period, and not two schedules firing together', async () => {
    const dir = join(root, 'schedules.d');
    const state = join(root, 'state');
    await mkdir(dir);
    await writeFile(
      join(dir, 'a.yaml'),
      [
        manifest('backup', '0 2 * * *'),
        manifest('report', '30 2 * * *'),
        manifest('sync', '*/10 * * * *'),
      ].join('---\n'),
    );
    await writeFile(join(dir, 'broken.yaml'), 'kind: Nope\n');
    const store = createLowdbHistoryStore({
      stateDir: state,
      clock: new ManualClock('2026-03-09T00:00:00Z'),
    });
    await store.open();
    for (const [index, minutes] of [40, 50, 45].entries()) {
      await store.recordRun({
        ...succeeded(`01JP000000000000000000000${index}`, minutes * 60_000),
        schedule: 'backup',
      });
    }
    // A failed run does not count: the median of 12, 15 and 13 minutes is 13 minutes, over the 10-minute period.
    for (const [index, minutes] of [12, 15, 1, 13].entries()) {
      await store.recordRun({
        ...succeeded(`01JP000000000000000000001${index}`, minutes * 60_000),
        ...(minutes === 1 ? { status: 'failed' as const } : {}),
        schedule: 'sync',
      });
    }
    await store.flush();
    await store.close();
    const result = await runCli([
      'calendar',
      '--dir',
      dir,
      '--state-dir',
      state,
      '--from',
      '2026-03-10',
      '--to',
      '1d',
      '--width',
      '24',
    ]);
    expect(result.error).toBeUndefined();
    expect(result.stderr).toMatch(/^cronops: warning: skipped: .*broken\.yaml:1:1: /);
    expect(result.stdout).toContain('backup  ..|.....................      1  45m00s');
    expect(result.stdout).toContain('report  ..|.....................      1  unknown');
    const overlaps = result.stdout.slice(result.stdout.indexOf('Overlaps'));
    expect(overlaps.split('\n')).toEqual([
      `Overlaps (typical duration = median of the last 20 successful runs in ${state}; known for 2 of 3 schedules):`,
      '  2026-03-10 00:00Z  sync typically runs 13m00s, longer than its period of 10m00s: it fires while its run from 23:50Z is still going, 144 times in the window (concurrencyPolicy Forbid: those fires are skipped)',
      '',
    ]);
  });

  it('says when there is no history, and refuses a window that ends before it starts', async () => {
    const dir = join(root, 'schedules.d');
    await mkdir(dir);
    await writeFile(join(dir, 'a.yaml'), manifest('backup', '0 2 * * *'));
    const result = await runCli([
      'calendar',
      '--dir',
      dir,
      '--state-dir',
      join(root, 'none'),
      '--from',
      '2026-03-10T00:00:00Z',
      '--width',
      '8',
    ]);
    expect(result.stdout).toContain(
      `Overlaps (no history in ${join(root, 'none')}: typical durations unknown, pass --state-dir):`,
    );
    expect(result.stdout).toContain('  none found');
    const backwards = await runCli([
      'calendar',
      '--dir',
      dir,
      '--from',
      '2026-03-10',
      '--to',
      '2026-03-09',
    ]);
    expect(backwards.error).toMatchObject({
      code: 'USAGE',
      message: '--to (2026-03-09T00:00:00.000Z) must be after --from (2026-03-10T00:00:00.000Z)',
    });
  });
});
