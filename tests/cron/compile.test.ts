import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/cron/compile.js';
import type { CompileResult } from '../../src/cron/types.js';

const ALL_DAYS = Array.from({ length: 31 }, (_, i) => i + 1);
const ALL_MONTHS = Array.from({ length: 12 }, (_, i) => i + 1);
const ALL_WEEKDAYS = [0, 1, 2, 3, 4, 5, 6];
const ALL_HOURS = Array.from({ length: 24 }, (_, i) => i);

function errorsOf(result: CompileResult): unknown {
  return result.ok ? 'compiled' : result.errors;
}

describe('cron/compile', () => {
  describe('expands the fields with node-cron', () => {
    it.each([
      {
        expr: '0 0 1,15 * 5',
        fields: {
          second: [0],
          minute: [0],
          hour: [0],
          dayOfMonth: [1, 15],
          month: ALL_MONTHS,
          dayOfWeek: [5],
        },
      },
      {
        expr: '*/20 30 2 * * *',
        fields: {
          second: [0, 20, 40],
          minute: [30],
          hour: [2],
          dayOfMonth: ALL_DAYS,
          month: ALL_MONTHS,
          dayOfWeek: ALL_WEEKDAYS,
        },
      },
      {
        // 7 is Sunday; names and numbers merge; the result is sorted and de-duplicated.
        expr: '0 12 * JAN-MAR sun,MON,7',
        fields: {
          second: [0],
          minute: [0],
          hour: [12],
          dayOfMonth: ALL_DAYS,
          month: [1, 2, 3],
          dayOfWeek: [0, 1],
        },
      },
      {
        // A range that wraps around the end of the field.
        expr: '0 22-2 * * *',
        fields: {
          second: [0],
          minute: [0],
          hour: [0, 1, 2, 22, 23],
          dayOfMonth: ALL_DAYS,
          month: ALL_MONTHS,
          dayOfWeek: ALL_WEEKDAYS,
        },
      },
      {
        expr: '0 0 LW,1,15W,L-3 * 5L,1#2',
        fields: {
          second: [0],
          minute: [0],
          hour: [0],
          dayOfMonth: [1, 'LW', '15W', 'L-3'],
          month: ALL_MONTHS,
          dayOfWeek: ['5L', '1#2'],
        },
      },
      {
        expr: '@hourly',
        fields: {
          second: [0],
          minute: [0],
          hour: ALL_HOURS,
          dayOfMonth: ALL_DAYS,
          month: ALL_MONTHS,
          dayOfWeek: ALL_WEEKDAYS,
        },
      },
      {
        // Extra spaces and tabs between fields are fine.
        expr: '  0\t2   * * *  ',
        fields: {
          second: [0],
          minute: [0],
          hour: [2],
          dayOfMonth: ALL_DAYS,
          month: ALL_MONTHS,
          dayOfWeek: ALL_WEEKDAYS,
        },
      },
    ])('$expr', ({ expr, fields }) => {
      const result = compileSchedule(expr);
      expect(
        result.ok && result.schedule.kind === 'cron' ? result.schedule.fields : result,
      ).toEqual(fields);
    });
  });

  describe('dayOr (Vixie) and fixedTime come from the raw text', () => {
    it.each([
      { expr: '0 0 1,15 * 5', dayOr: true, fixedTime: true },
      { expr: '0 0 L * 5L', dayOr: true, fixedTime: true },
      { expr: '0 0 * * 5', dayOr: false, fixedTime: true },
      { expr: '0 0 ? * 5', dayOr: false, fixedTime: true },
      { expr: '0 0 1 * ?', dayOr: false, fixedTime: true },
      { expr: '0 0 */2 * 5', dayOr: false, fixedTime: true },
      { expr: '0 0 1-31 * 5', dayOr: true, fixedTime: true },
      { expr: '30 2 * * *', dayOr: false, fixedTime: true },
      { expr: '0-59 2 * * *', dayOr: false, fixedTime: true },
      { expr: '*/10 30 2 * * *', dayOr: false, fixedTime: true },
      { expr: '0 */2 * * *', dayOr: false, fixedTime: false },
      { expr: '*/15 * * * *', dayOr: false, fixedTime: false },
      { expr: '0 * * * *', dayOr: false, fixedTime: false },
      { expr: '@hourly', dayOr: false, fixedTime: false },
      { expr: '@daily', dayOr: false, fixedTime: true },
      { expr: '@midnight', dayOr: false, fixedTime: true },
      { expr: '@weekly', dayOr: false, fixedTime: true },
      { expr: '@monthly', dayOr: false, fixedTime: true },
      { expr: '@yearly', dayOr: false, fixedTime: true },
      { expr: '@annually', dayOr: false, fixedTime: true },
    ])('$expr → dayOr $dayOr, fixedTime $fixedTime', ({ expr, dayOr, fixedTime }) => {
      const result = compileSchedule(expr);
      expect(
        result.ok && result.schedule.kind === 'cron'
          ? { dayOr: result.schedule.dayOr, fixedTime: result.schedule.fixedTime }
          : result,
      ).toEqual({ dayOr, fixedTime });
    });
  });

  it('keeps the expression as written as the source (trimmed), macros included', () => {
    expect(compileSchedule(' @Daily ')).toEqual({
      ok: true,
      schedule: {
        kind: 'cron',
        source: '@Daily',
        fields: {
          second: [0],
          minute: [0],
          hour: [0],
          dayOfMonth: ALL_DAYS,
          month: ALL_MONTHS,
          dayOfWeek: ALL_WEEKDAYS,
        },
        dayOr: false,
        fixedTime: true,
      },
    });
  });

  describe('@every', () => {
    it.each([
      { expr: '@every 500ms', ok: false },
      { expr: '@every 1s', everyMs: 1_000 },
      { expr: '@every 90s', everyMs: 90_000 },
      { expr: '@every 15m', everyMs: 900_000 },
      { expr: '@every 1h30m', everyMs: 5_400_000 },
      { expr: '@every 2d', everyMs: 172_800_000 },
      { expr: '@every 1500ms', everyMs: 1_500 },
      { expr: '@every 45', everyMs: 45_000 },
      { expr: '@EVERY 1h', everyMs: 3_600_000 },
    ])('$expr', ({ expr, everyMs }) => {
      const result = compileSchedule(expr);
      if (everyMs === undefined) expect(result.ok).toBe(false);
      else expect(result).toEqual({ ok: true, schedule: { kind: 'every', source: expr, everyMs } });
    });
  });

  describe('errors name the field and the value, in words a person can act on', () => {
    it.each([
      {
        expr: '61 * * * *',
        errors: [{ field: 'minute', value: '61', message: 'minute: "61" is out of range (0-59)' }],
      },
      {
        expr: '60 * * * * *',
        errors: [{ field: 'second', value: '60', message: 'second: "60" is out of range (0-59)' }],
      },
      {
        expr: '0 24 * * *',
        errors: [{ field: 'hour', value: '24', message: 'hour: "24" is out of range (0-23)' }],
      },
      {
        expr: '0 0 0 * *',
        errors: [
          {
            field: 'day of month',
            value: '0',
            message: 'day of month: "0" is out of range (1-31)',
          },
        ],
      },
      {
        expr: '0 0 * 13 *',
        errors: [{ field: 'month', value: '13', message: 'month: "13" is out of range (1-12)' }],
      },
      {
        expr: '0 0 * * 8',
        errors: [
          { field: 'day of week', value: '8', message: 'day of week: "8" is out of range (0-7)' },
        ],
      },
      {
        expr: '5,61 * * * *',
        errors: [
          {
            field: 'minute',
            value: '5,61',
            message: 'minute: "61" in "5,61" is out of range (0-59)',
          },
        ],
      },
      {
        expr: '0-70 * * * *',
        errors: [
          {
            field: 'minute',
            value: '0-70',
            message: 'minute: "70" in "0-70" is out of range (0-59)',
          },
        ],
      },
      {
        expr: '*/0 * * * *',
        errors: [
          {
            field: 'minute',
            value: '*/0',
            message: 'minute: step "0" in "*/0" must be at least 1',
          },
        ],
      },
      {
        expr: '5/15 * * * *',
        errors: [
          {
            field: 'minute',
            value: '5/15',
            message:
              'minute: "5/15": a step needs "*" or a range before it, e.g. "*/15" or "5-59/15"',
          },
        ],
      },
      {
        expr: '1,,2 * * * *',
        errors: [
          {
            field: 'minute',
            value: '1,,2',
            message: 'minute: "1,,2" has an empty item in its list',
          },
        ],
      },
      {
        expr: '1.5 * * * *',
        errors: [
          {
            field: 'minute',
            value: '1.5',
            message: 'minute: "1.5" contains ".", which cron fields do not use',
          },
        ],
      },
      {
        expr: '? * * * *',
        errors: [
          {
            field: 'minute',
            value: '?',
            message: 'minute: "?" is only allowed in day of month and day of week',
          },
        ],
      },
      {
        expr: '0 0 * FOO *',
        errors: [
          {
            field: 'month',
            value: 'FOO',
            message: 'month: "FOO" is not a month (1-12 or JAN-DEC)',
          },
        ],
      },
      {
        expr: '0 0 * * 5#6',
        errors: [
          {
            field: 'day of week',
            value: '5#6',
            message:
              'day of week: "5#6": the number after "#" must be 1-5 (the 1st to 5th such weekday of the month)',
          },
        ],
      },
      {
        expr: '0 0 32W * *',
        errors: [
          {
            field: 'day of month',
            value: '32W',
            message: 'day of month: day 32 in "32W" is out of range (1-31)',
          },
        ],
      },
      {
        expr: 'a b c d e',
        errors: [
          { field: 'minute', value: 'a', message: 'minute: "a" is not a number (0-59)' },
          { field: 'hour', value: 'b', message: 'hour: "b" is not a number (0-23)' },
          {
            field: 'day of month',
            value: 'c',
            message: 'day of month: "c" is not a number (1-31)',
          },
          { field: 'month', value: 'd', message: 'month: "d" is not a month (1-12 or JAN-DEC)' },
          {
            field: 'day of week',
            value: 'e',
            message: 'day of week: "e" is not a day of week (0-7 or SUN-SAT)',
          },
        ],
      },
      {
        expr: '* * * *',
        errors: [
          {
            field: 'schedule',
            value: '* * * *',
            message:
              'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got 4',
          },
        ],
      },
      {
        expr: '* * * * * * *',
        errors: [
          {
            field: 'schedule',
            value: '* * * * * * *',
            message:
              'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got 7',
          },
        ],
      },
      {
        expr: '',
        errors: [
          {
            field: 'schedule',
            value: '',
            message:
              'schedule is empty; expected an expression such as "30 2 * * *", "@daily" or "@every 15m"',
          },
        ],
      },
      {
        expr: '   ',
        errors: [
          {
            field: 'schedule',
            value: '   ',
            message:
              'schedule is empty; expected an expression such as "30 2 * * *", "@daily" or "@every 15m"',
          },
        ],
      },
      {
        expr: '@reboot',
        errors: [
          {
            field: 'schedule',
            value: '@reboot',
            message: '"@reboot" is not supported: cronops fires schedules by the clock only',
          },
        ],
      },
      {
        expr: '@fortnightly',
        errors: [
          {
            field: 'schedule',
            value: '@fortnightly',
            message:
              'unknown macro "@fortnightly"; expected one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or "@every <duration>"',
          },
        ],
      },
      {
        expr: '@daily 5',
        errors: [
          {
            field: 'schedule',
            value: '@daily 5',
            message: '"@daily" stands alone; remove "5" after it',
          },
        ],
      },
      {
        expr: '@every',
        errors: [
          {
            field: 'schedule',
            value: '@every',
            message: '"@every" takes exactly one duration, e.g. "@every 15m" or "@every 1h30m"',
          },
        ],
      },
      {
        expr: '@every 500ms',
        errors: [
          {
            field: 'schedule',
            value: '500ms',
            message: '@every: "500ms" is shorter than the minimum period of 1s',
          },
        ],
      },
      {
        expr: '@every 0',
        errors: [
          {
            field: 'schedule',
            value: '0',
            message: '@every: "0" is shorter than the minimum period of 1s',
          },
        ],
      },
      {
        expr: '@every 5 minutes',
        errors: [
          {
            field: 'schedule',
            value: '@every 5 minutes',
            message: '"@every" takes exactly one duration, e.g. "@every 15m" or "@every 1h30m"',
          },
        ],
      },
      {
        expr: '@every 30m1h',
        errors: [
          {
            field: 'schedule',
            value: '30m1h',
            message:
              '@every: "30m1h" is not a duration; write it like "90s", "15m", "1h30m", "2d" or a whole number of seconds',
          },
        ],
      },
    ])('$expr', ({ expr, errors }) => {
      expect(errorsOf(compileSchedule(expr))).toEqual(errors);
    });
  });

  describe('an expression that can never fire is an error', () => {
    it.each([
      {
        expr: '0 0 30 2 *',
        message: 'can never fire: no date matches day of month "30" in February',
      },
      { expr: '0 0 31 4 *', message: 'can never fire: no date matches day of month "31" in April' },
      {
        expr: '0 0 31 4,6,9,11 *',
        message:
          'can never fire: no date matches day of month "31" in April, June, September or November',
      },
      {
        expr: '0 0 L-30 2 *',
        message: 'can never fire: no date matches day of month "L-30" in February',
      },
      {
        expr: '0 0 30W 2 *',
        message: 'can never fire: no date matches day of month "30W" in February',
      },
      {
        expr: '0 0 */30 2 1#5',
        message:
          'can never fire: no date matches day of month "*/30" and day of week "1#5" in February',
      },
    ])('$expr', ({ expr, message }) => {
      expect(errorsOf(compileSchedule(expr))).toEqual([
        { field: 'schedule', value: expr, message },
      ]);
    });

    it.each(['0 0 30 2 1', '0 0 29 2 *', '0 0 31 2-4 *', '0 0 * 2 5#5', '0 0 */29 2 0'])(
      'but %s fires (OR rule, leap years, another month, a rare weekday)',
      (expr) => {
        expect(compileSchedule(expr).ok).toBe(true);
      },
    );
  });
});
