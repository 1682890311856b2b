import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerCalendarCommand, renderCalendar } from '../../src/cli/commands/calendar.js';
import {
  listChain,
  placeRuns,
  type PlacedSchedule,
} from '../../src/cli/commands/calendar-after.js';
import { buildCalendar, type CalendarSchedule } from '../../src/cli/commands/calendar-model.js';
import { compileSchedule } from '../../src/cron/compile.js';
import { createLowdbHistoryStore } from '../../src/history/lowdb-store.js';
import type { RunRecord } from '../../src/history/store.js';
import type { AfterSpec } from '../../src/manifest/after-schema.js';
import { ManualClock } from '../../src/shared/clock.js';
import { runCommand } from './run-command.js';

const MIN = 60_000;

/** A schedule with times (`expression`) or, with `expression` undefined, one that runs only after others. */
function schedule(
  name: string,
  expression: string | undefined,
  extra: Partial<CalendarSchedule> = {},
): CalendarSchedule {
  let compiled: CalendarSchedule['compiled'] = { kind: 'after', source: 'after' };
  if (expression !== undefined) {
    const result = compileSchedule(expression);
    if (!result.ok) throw new Error(`bad test expression ${expression}`);
    compiled = result.schedule;
  }
  return {
    name,
    compiled,
    timeZone: 'UTC',
    suspended: false,
    concurrencyPolicy: 'Forbid',
    ...extra,
  };
}

const after = (name: string, when: AfterSpec['when'] = 'succeeded'): AfterSpec[] => [
  { schedule: name, when },
];

const iso = (ms: number) => new Date(ms).toISOString();
const at = (text: string) => new Date(text).getTime();

/** The runs of `name` placed in [from, to), each with the chain that leads to it. */
function place(schedules: PlacedSchedule[], name: string, from: string, to: string) {
  const placed = placeRuns(schedules, [name], { startMs: at(from), endMs: at(to), limit: 100 });
  return (placed.get(name)?.runs ?? [])
    .filter((run) => run.atMs >= at(from))
    .map((run) => ({
      at: iso(run.atMs),
      path: listChain(run)
        .map((step) => `${step.schedule}@${iso(step.atMs).slice(11, 16)}`)
        .join(' '),
      conditions: run.conditions,
      unknown: run.unknownDurations,
    }));
}

describe('cli/calendar-after', () => {
  const extract = schedule('extract', '0 2 * * *', { typicalMs: 30 * MIN });
  const transform = schedule('transform', undefined, {
    typicalMs: 15 * MIN,
    after: after('extract'),
  });
  const load = schedule('load', undefined, { after: after('transform') });

  it.each([
    {
      name: 'one step: the upstream fire + its typical duration',
      schedules: [extract, transform],
      target: 'transform',
      runs: [
        {
          at: '2026-03-10T02:30:00.000Z',
          path: 'extract@02:00 transform@02:30',
          conditions: [],
          unknown: [],
        },
      ],
    },
    {
      name: 'a chain adds its steps up',
      schedules: [extract, transform, load],
      target: 'load',
      runs: [
        {
          at: '2026-03-10T02:45:00.000Z',
          path: 'extract@02:00 transform@02:30 load@02:45',
          conditions: [],
          unknown: [],
        },
      ],
    },
    {
      name: 'an unknown duration places it at the upstream start and says so',
      schedules: [schedule('extract', '0 2 * * *'), transform],
      target: 'transform',
      runs: [
        {
          at: '2026-03-10T02:00:00.000Z',
          path: 'extract@02:00 transform@02:00',
          conditions: [],
          unknown: ['extract'],
        },
      ],
    },
    {
      name: 'when: failed is conditional, and stays so down the chain',
      schedules: [
        extract,
        schedule('alert', undefined, { typicalMs: MIN, after: after('extract', 'failed') }),
        schedule('page', undefined, { after: after('alert', 'finished') }),
      ],
      target: 'page',
      runs: [
        {
          at: '2026-03-10T02:31:00.000Z',
          path: 'extract@02:00 alert@02:30 page@02:31',
          conditions: ['extract'],
          unknown: [],
        },
      ],
    },
    {
      name: 'both times and after: both, in time order',
      schedules: [extract, schedule('report', '0 1 * * *', { after: after('extract') })],
      target: 'report',
      runs: [
        { at: '2026-03-10T01:00:00.000Z', path: 'report@01:00', conditions: [], unknown: [] },
        {
          at: '2026-03-10T02:30:00.000Z',
          path: 'extract@02:00 report@02:30',
          conditions: [],
          unknown: [],
        },
      ],
    },
    {
      name: 'an upstream fire before the window ends inside it',
      schedules: [schedule('extract', '50 23 * * *', { typicalMs: 30 * MIN }), transform],
      target: 'transform',
      runs: [
        {
          at: '2026-03-10T00:20:00.000Z',
          path: 'extract@23:50 transform@00:20',
          conditions: [],
          unknown: [],
        },
      ],
    },
    {
      name: 'a suspended upstream starts nothing',
      schedules: [{ ...extract, suspended: true }, transform],
      target: 'transform',
      runs: [],
    },
    {
      name: 'a suspended middle step starts nothing further',
      schedules: [extract, { ...transform, suspended: true }, load],
      target: 'load',
      runs: [],
    },
    {
      name: 'outside its active window a downstream is skipped',
      schedules: [extract, { ...transform, activeFrom: new Date('2026-03-10T03:00:00Z') }],
      target: 'transform',
      runs: [],
    },
    {
      name: 'an upstream that is not loaded never runs',
      schedules: [transform],
      target: 'transform',
      runs: [],
    },
    {
      name: 'after any of several upstreams: one run per upstream run',
      schedules: [
        extract,
        schedule('fetch', '0 3 * * *', { typicalMs: 5 * MIN }),
        schedule('index', undefined, {
          after: [
            { schedule: 'extract', when: 'succeeded' },
            { schedule: 'fetch', when: 'succeeded' },
          ],
        }),
      ],
      target: 'index',
      runs: [
        {
          at: '2026-03-10T02:30:00.000Z',
          path: 'extract@02:00 index@02:30',
          conditions: [],
          unknown: [],
        },
        {
          at: '2026-03-10T03:05:00.000Z',
          path: 'fetch@03:00 index@03:05',
          conditions: [],
          unknown: [],
        },
      ],
    },
  ])('$name', ({ schedules, target, runs }) => {
    expect(place(schedules, target, '2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z')).toEqual(runs);
  });

  it('lays the chain out in the rows, marks runs that need a failure, and explains them', () => {
    const calendar = buildCalendar(
      [
        extract,
        transform,
        load,
        schedule('alert', undefined, { after: after('extract', 'failed') }),
        schedule('orphan', undefined, { after: after('gone') }),
      ],
      {
        from: new Date('2026-03-10T00:00:00Z'),
        to: new Date('2026-03-10T06:00:00Z'),
        width: 12,
      },
    );
    expect(
      calendar.rows.map((row) => [row.name, row.marks, row.count, row.conditionalCount]),
    ).toEqual([
      ['alert', '.....?......', 0, 1],
      ['extract', '....|.......', 1, 0],
      ['load', '.....|......', 1, 0],
      ['orphan', '............', 0, 0],
      ['transform', '.....|......', 1, 0],
    ]);
    const lines = renderCalendar(calendar, { durations: 'test durations' });
    expect(lines.slice(3, 9)).toEqual([
      '           +-----+-----  FIRES  TYPICAL',
      'alert      .....?......     1?  unknown',
      'extract    ....|.......      1  30m00s',
      'load       .....|......      1  unknown',
      'orphan     ............      0  unknown',
      'transform  .....|......      1  15m00s',
    ]);
    const from = lines.indexOf(
      '. no fire   | one fire   # several fires in a column   ? only if an upstream fails',
    );
    expect(lines.slice(from + 2, from + 7)).toEqual([
      "After (placed at the upstream's start + the upstream's typical duration):",
      '  alert      after extract (failed): only if extract fails; first 2026-03-10 02:30Z (extract 02:00Z +30m00s alert)',
      '  load       after transform (succeeded): first 2026-03-10 02:45Z (extract 02:00Z +30m00s transform +15m00s load)',
      '  orphan     after gone (succeeded): gone is not a loaded schedule: it starts nothing; no run after an upstream in the window',
      '  transform  after extract (succeeded): first 2026-03-10 02:30Z (extract 02:00Z +30m00s transform)',
    ]);
  });

  it('names a chain of failures, and every step whose duration is unknown, once', () => {
    const calendar = buildCalendar(
      [
        schedule('extract', '0 2 * * *'),
        schedule('retry', undefined, { after: after('extract', 'failed') }),
        schedule('page', undefined, { after: after('retry', 'failed') }),
      ],
      { from: new Date('2026-03-10T00:00:00Z'), to: new Date('2026-03-11T00:00:00Z'), width: 4 },
    );
    const lines = renderCalendar(calendar, { durations: 'none' });
    expect(lines.filter((line) => line.startsWith('  page '))).toEqual([
      "  page     after retry (failed): only if extract and retry fail; durations of extract and retry unknown: each step placed at its upstream's start; first 2026-03-10 02:00Z (extract 02:00Z +? retry +? page)",
    ]);
  });

  it('flags a downstream that outlasts the period of the runs that start it', () => {
    const calendar = buildCalendar(
      [
        schedule('poll', '*/10 * * * *', { typicalMs: MIN }),
        schedule('crunch', undefined, { typicalMs: 12 * MIN, after: after('poll') }),
      ],
      { from: new Date('2026-03-10T00:00:00Z'), to: new Date('2026-03-10T01:00:00Z'), width: 6 },
    );
    expect(calendar.overlaps.map((o) => [o.name, iso(o.at.getTime()), o.count])).toEqual([
      ['crunch', '2026-03-10T00:01:00.000Z', 6],
    ]);
  });
});

describe('cli/calendar-after (command)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cronops-cli-calendar-after-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const doc = (name: string, spec: string) =>
    `apiVersion: cronops/v1\nkind: Schedule\nmetadata: { name: ${name} }\nspec: { ${spec}, task: { shell: "true" } }\n`;

  function run(id: string, schedule: string, minutes: number): RunRecord {
    return {
      id,
      schedule,
      trigger: 'schedule',
      scheduledAt: '2026-03-01T00:00:00.000Z',
      status: 'succeeded',
      durationMs: minutes * MIN,
      attempts: [],
      specHash: 'h',
    };
  }

  it('places a three-step chain by the median durations in the history, and says which are unknown', async () => {
    const dir = join(root, 'schedules.d');
    const state = join(root, 'state');
    await mkdir(dir);
    await writeFile(
      join(dir, 'pipeline.yaml'),
      [
        doc('dump', 'schedule: "0 2 * * *"'),
        doc('verify', 'after: [{ schedule: dump }]'),
        doc('prune', 'after: [{ schedule: verify }]'),
        doc('notify', 'after: [{ schedule: dump, when: failed }]'),
      ].join('---\n'),
    );
    const store = createLowdbHistoryStore({
      stateDir: state,
      clock: new ManualClock('2026-03-09T00:00:00Z'),
    });
    await store.open();
    // dump: median of 20, 40 and 30 minutes is 30; verify: 5 minutes; prune has no runs yet.
    for (const [index, minutes] of [20, 40, 30].entries())
      await store.recordRun(run(`01JP00000000000000000000D${index}`, 'dump', minutes));
    await store.recordRun(run('01JP00000000000000000000V0', 'verify', 5));
    await store.flush();
    await store.close();
    const result = await runCommand(
      [registerCalendarCommand],
      [
        'calendar',
        '--dir',
        dir,
        '--state-dir',
        state,
        '--from',
        '2026-03-10',
        '--to',
        '6h',
        '--width',
        '12',
      ],
    );
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines.filter((line) => /^(dump|verify|prune|notify) /.test(line))).toEqual([
      'dump    ....|.......      1  30m00s',
      'notify  .....?......     1?  unknown',
      'prune   .....|......      1  unknown',
      'verify  .....|......      1  5m00s',
    ]);
    const section = lines.slice(lines.findIndex((line) => line.startsWith('After (')));
    expect(section.slice(0, 4)).toEqual([
      "After (placed at the upstream's start + the upstream's typical duration):",
      '  notify  after dump (failed): only if dump fails; first 2026-03-10 02:30Z (dump 02:00Z +30m00s notify)',
      '  prune   after verify (succeeded): first 2026-03-10 02:35Z (dump 02:00Z +30m00s verify +5m00s prune)',
      '  verify  after dump (succeeded): first 2026-03-10 02:30Z (dump 02:00Z +30m00s verify)',
    ]);
  });

  it('without history places each step at its upstream start and says the duration is unknown', async () => {
    const dir = join(root, 'schedules.d');
    await mkdir(dir);
    await writeFile(
      join(dir, 'pipeline.yaml'),
      [doc('dump', 'schedule: "0 2 * * *"'), doc('verify', 'after: [{ schedule: dump }]')].join(
        '---\n',
      ),
    );
    const result = await runCommand(
      [registerCalendarCommand],
      [
        'calendar',
        '--dir',
        dir,
        '--state-dir',
        join(root, 'none'),
        '--from',
        '2026-03-10',
        '--width',
        '8',
      ],
    );
    expect(result.error).toBeUndefined();
    expect(result.stdout).toContain(
      "  verify  after dump (succeeded): dump's duration unknown: placed at its start; first 2026-03-10 02:00Z (dump 02:00Z +? verify)",
    );
  });
});
