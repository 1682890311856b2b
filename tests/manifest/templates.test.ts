import { describe, expect, it } from 'vitest';
import {
  buildTemplateContext,
  findTemplateProblems,
  renderTemplate,
} from '../../src/manifest/templates.js';

const params = {
  retentionDays: 30,
  databases: ['app', 'auth'],
  target: { host: 'db', port: 5432 },
  flag: false,
  nothing: null,
};

function contextAt(scheduledTime: string, timeZone: string) {
  return buildTemplateContext({
    name: 'nightly-db-backup',
    runId: '01JABCDEF0123456789ABCDEFG',
    attempt: 2,
    trigger: 'schedule',
    scheduledTime: new Date(scheduledTime),
    timeZone,
    params,
  });
}

describe('manifest/templates', () => {
  it.each([
    // instant, zone, date, time, datetime, weekday, week, monthName, timestamp
    [
      '2026-03-08T07:00:00.000Z',
      'Europe/Berlin',
      '2026-03-08',
      '08:00',
      '2026-03-08T08:00:00+01:00',
      'Sunday',
      '10',
      'March',
      '1772953200',
    ],
    [
      '2026-07-15T10:05:09.000Z',
      'Europe/Berlin',
      '2026-07-15',
      '12:05',
      '2026-07-15T12:05:09+02:00',
      'Wednesday',
      '29',
      'July',
      '1784109909',
    ],
    // New Year's night in Berlin is still 2026 in UTC; 1 January 2027 is a Friday in ISO week 53 of 2026.
    [
      '2026-12-31T23:30:00.000Z',
      'Europe/Berlin',
      '2027-01-01',
      '00:30',
      '2027-01-01T00:30:00+01:00',
      'Friday',
      '53',
      'January',
      '1798759800',
    ],
    // 30 December 2024 is a Monday in ISO week 1 of 2025.
    [
      '2024-12-30T12:00:00.000Z',
      'UTC',
      '2024-12-30',
      '12:00',
      '2024-12-30T12:00:00+00:00',
      'Monday',
      '01',
      'December',
      '1735560000',
    ],
    [
      '2026-01-05T03:00:00.000Z',
      'America/New_York',
      '2026-01-04',
      '22:00',
      '2026-01-04T22:00:00-05:00',
      'Sunday',
      '01',
      'January',
      '1767582000',
    ],
    [
      '2026-06-01T00:00:00.000Z',
      'Asia/Kolkata',
      '2026-06-01',
      '05:30',
      '2026-06-01T05:30:00+05:30',
      'Monday',
      '23',
      'June',
      '1780272000',
    ],
  ])(
    'at %s in %s: %s %s',
    (instant, zone, date, time, datetime, weekday, week, monthName, timestamp) => {
      const { values } = contextAt(instant, zone);
      expect(values).toEqual({
        name: 'nightly-db-backup',
        runId: '01JABCDEF0123456789ABCDEFG',
        attempt: '2',
        trigger: 'schedule',
        scheduledTime: instant,
        date,
        time,
        datetime,
        year: date.slice(0, 4),
        month: date.slice(5, 7),
        monthName,
        day: date.slice(8, 10),
        weekday,
        week,
        timestamp,
        logicalTime: instant,
        'upstream.schedule': '',
        'upstream.runId': '',
        'upstream.status': '',
      });
    },
  );

  it.each([
    ['/backups/{{ date }}-{{ params.databases.0 }}.dump', '/backups/2026-03-08-app.dump'],
    ['{{name}} attempt {{ attempt }} ({{ trigger }})', 'nightly-db-backup attempt 2 (schedule)'],
    ['keep {{ params.retentionDays }} days', 'keep 30 days'],
    ['{{ params.target }}', '{"host":"db","port":5432}'],
    ['{{ params.databases }}', '["app","auth"]'],
    ['{{ params.flag }}/{{ params.nothing }}', 'false/'],
    ['{{ year }}/{{ month }}/{{ day }} {{ monthName }} W{{ week }}', '2026/03/08 March W10'],
    ['at {{ scheduledTime }} = {{ timestamp }}', 'at 2026-03-08T07:00:00.000Z = 1772953200'],
    ['docker ps --format \\{{.Names}}', 'docker ps --format {{.Names}}'],
    ['no templates here }}', 'no templates here }}'],
  ])('renders %j', (text, expected) => {
    expect(renderTemplate(text, contextAt('2026-03-08T07:00:00.000Z', 'Europe/Berlin'))).toBe(
      expected,
    );
  });

  it('throws on a variable that validation would have refused', () => {
    expect(() =>
      renderTemplate('{{ nope }}', contextAt('2026-03-08T07:00:00.000Z', 'UTC')),
    ).toThrow('unknown template variable "{{ nope }}"');
  });

  it('reads the wall clock of each second and zone, however the fires of a second interleave', () => {
    const at = (instant: string, zone: string) => contextAt(instant, zone).values.datetime;
    // The same second twice in a row, then the next second, then another zone, then back: each answer is
    // the one for its own instant and zone, not the last one read.
    expect(at('2026-03-29T00:59:59.001Z', 'Europe/Berlin')).toBe('2026-03-29T01:59:59+01:00');
    expect(at('2026-03-29T00:59:59.999Z', 'Europe/Berlin')).toBe('2026-03-29T01:59:59+01:00');
    expect(at('2026-03-29T01:00:00.000Z', 'Europe/Berlin')).toBe('2026-03-29T03:00:00+02:00');
    expect(at('2026-03-29T01:00:00.000Z', 'America/New_York')).toBe('2026-03-28T21:00:00-04:00');
    expect(at('2026-03-29T01:00:00.500Z', 'Europe/Berlin')).toBe('2026-03-29T03:00:00+02:00');
    expect(at('2026-03-29T00:59:59.000Z', 'Europe/Berlin')).toBe('2026-03-29T01:59:59+01:00');
  });

  it.each([
    ['{{ date }}-{{ params.databases.1 }}', []],
    ['\\{{ literal }}', []],
    ['{{ dat }}', ['unknown template variable "{{ dat }}" (did you mean "{{ date }}"?)']],
    [
      '{{ param.retentionDays }}',
      [
        'unknown template variable "{{ param.retentionDays }}" (did you mean "{{ params.retentionDays }}"?)',
      ],
    ],
    [
      '{{ .Names }}',
      [
        'unknown template variable "{{ .Names }}" (known: name, runId, attempt, trigger, scheduledTime, date, time, datetime, year, month, monthName, day, weekday, week, timestamp, logicalTime, upstream.schedule, upstream.runId, upstream.status, params.PATH; write \\{{ for a literal "{{")',
      ],
    ],
    [
      '{{ params.retentionDay }}',
      [
        'template "{{ params.retentionDay }}" refers to a missing param: params has no "retentionDay" (did you mean "retentionDays"?)',
      ],
    ],
    [
      '{{ params.target.user }}',
      [
        'template "{{ params.target.user }}" refers to a missing param: params.target has no "user" (it has "host", "port")',
      ],
    ],
    [
      '{{ params.databases.2 }}',
      [
        'template "{{ params.databases.2 }}" refers to a missing param: params.databases is a list of 2 items, it has no item "2"',
      ],
    ],
    [
      '{{ params.retentionDays.x }}',
      [
        'template "{{ params.retentionDays.x }}" refers to a missing param: params.retentionDays is a number, it has no "x"',
      ],
    ],
    ['{{ params }}', ['template "{{ params }}" needs a path, like "{{ params.retentionDays }}"']],
    ['a {{ date', ['unclosed "{{" in "a {{ date" (write \\{{ for a literal "{{")']],
    [
      '{{ dat }} {{ params.x }}',
      [
        'unknown template variable "{{ dat }}" (did you mean "{{ date }}"?)',
        'template "{{ params.x }}" refers to a missing param: params has no "x" (it has "retentionDays", "databases", "target", "flag", "nothing")',
      ],
    ],
  ])('findTemplateProblems(%j)', (text, expected) => {
    expect(findTemplateProblems(text, params)).toEqual(expected);
  });
});
