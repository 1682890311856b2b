import { describe, expect, it } from 'vitest';
import {
  canEverMatchDay,
  createCalendarMatcher,
  daysInMonth,
  findNextWallTime,
  weekdayOf,
} from '../../src/cron/calendar.js';
import type { WallTime } from '../../src/cron/calendar.js';
import type { CronFields } from '../../src/cron/types.js';

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

function fields(overrides: Partial<CronFields>): CronFields {
  return {
    second: [0],
    minute: [0],
    hour: [0],
    dayOfMonth: range(1, 31),
    month: range(1, 12),
    dayOfWeek: range(0, 6),
    ...overrides,
  };
}

function wall(text: string): WallTime {
  const [year, month, day, hour, minute, second] = text.split(/[-T:]/).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { year, month, day, hour, minute, second };
}

function show(at: WallTime): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${at.year}-${p(at.month)}-${p(at.day)}T${p(at.hour)}:${p(at.minute)}:${p(at.second)}`;
}

describe('cron/calendar', () => {
  it.each([
    { date: [2026, 1, 1], weekday: 4 },
    { date: [2026, 3, 8], weekday: 0 },
    { date: [2028, 2, 29], weekday: 2 },
    { date: [2000, 1, 1], weekday: 6 },
    { date: [1900, 3, 1], weekday: 4 },
  ])('weekdayOf $date is $weekday', ({ date, weekday }) => {
    const [y, m, d] = date as [number, number, number];
    expect(weekdayOf(y, m, d)).toBe(weekday);
  });

  it.each([
    { year: 2026, month: 2, days: 28 },
    { year: 2028, month: 2, days: 29 },
    { year: 2100, month: 2, days: 28 },
    { year: 2000, month: 2, days: 29 },
    { year: 2026, month: 4, days: 30 },
    { year: 2026, month: 12, days: 31 },
  ])('daysInMonth $year-$month is $days', ({ year, month, days }) => {
    expect(daysInMonth(year, month)).toBe(days);
  });

  describe('findNextWallTime (inclusive)', () => {
    it.each([
      {
        name: 'the same instant when it matches',
        f: fields({ hour: [2], minute: [30] }),
        from: '2026-03-08T02:30:00',
        want: '2026-03-08T02:30:00',
      },
      {
        name: 'later the same day',
        f: fields({ hour: [2], minute: [30] }),
        from: '2026-03-08T02:30:01',
        want: '2026-03-09T02:30:00',
      },
      {
        name: 'across the end of a year',
        f: fields({ hour: [0, 12], minute: [0] }),
        from: '2026-12-31T12:00:01',
        want: '2027-01-01T00:00:00',
      },
      {
        name: 'skipping to a leap day',
        f: fields({ dayOfMonth: [29], month: [2] }),
        from: '2026-03-01T00:00:00',
        want: '2028-02-29T00:00:00',
      },
      {
        name: 'the Vixie OR of both day fields',
        f: { ...fields({ dayOfMonth: [13], dayOfWeek: [5] }) },
        from: '2026-01-01T00:00:01',
        want: '2026-01-02T00:00:00',
      },
      {
        name: 'the last day of the month',
        f: fields({ dayOfMonth: ['L'] }),
        from: '2026-02-01T00:00:00',
        want: '2026-02-28T00:00:00',
      },
      {
        name: 'every second',
        f: fields({ second: range(0, 59), minute: range(0, 59), hour: range(0, 23) }),
        from: '2026-12-31T23:59:59',
        want: '2026-12-31T23:59:59',
      },
    ])('$name', ({ f, from, want }) => {
      const matcher = createCalendarMatcher(f, f.dayOfMonth.length < 31 && f.dayOfWeek.length < 7);
      const at = wall(from);
      expect(findNextWallTime(matcher, at, 2100)).toBe(true);
      expect(show(at)).toBe(want);
    });

    it('gives up past the last year', () => {
      const matcher = createCalendarMatcher(fields({ dayOfMonth: [29], month: [2] }), false);
      expect(findNextWallTime(matcher, wall('2029-03-01T00:00:00'), 2031)).toBe(false);
    });
  });

  describe('canEverMatchDay', () => {
    it.each([
      {
        name: '31 February',
        f: fields({ dayOfMonth: [31], month: [2] }),
        dayOr: false,
        want: false,
      },
      {
        name: '29 February',
        f: fields({ dayOfMonth: [29], month: [2] }),
        dayOr: false,
        want: true,
      },
      {
        name: '30 February or Monday',
        f: fields({ dayOfMonth: [30], month: [2], dayOfWeek: [1] }),
        dayOr: true,
        want: true,
      },
      {
        name: 'the 5th Friday of February',
        f: fields({ month: [2], dayOfWeek: ['5#5'] }),
        dayOr: false,
        want: true,
      },
      {
        name: 'the nearest weekday to the 30th of February',
        f: fields({ dayOfMonth: ['30W'], month: [2] }),
        dayOr: false,
        want: false,
      },
    ])('$name: $want', ({ f, dayOr, want }) => {
      expect(canEverMatchDay(f, dayOr)).toBe(want);
    });
  });
});
