import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/cron/compile.js';
import { mapCronSchedule } from '../../src/render/cron-schedule.js';

function map(expression: string, timezone = 'Europe/Berlin') {
  const compiled = compileSchedule(expression);
  if (!compiled.ok) throw new Error(`${expression}: ${JSON.stringify(compiled.errors)}`);
  return mapCronSchedule(compiled.schedule, timezone);
}

describe('render/cron-schedule', () => {
  it.each([
    ['30 2 * * *', '30 2 * * *'],
    ['*/15 * * * *', '*/15 * * * *'],
    ['0 9 1,15 * 5', '0 9 1,15 * 5'],
    ['0 9-17/2 * * 1-5', '0 9-17/2 * * 1-5'],
    ['0 0 ? * 0', '0 0 ? * 0'],
    // Names and Sunday as 7 are written out as numbers robfig/cron reads the same way.
    ['0 6 * JAN-MAR MON', '0 6 * 1-3 1'],
    ['0 6 * * 7', '0 6 * * 0'],
    ['0 6 * * 1,3,5,7', '0 6 * * 0,1,3,5'],
    ['@daily', '@daily'],
    ['@HOURLY', '@hourly'],
    ['@annually', '@annually'],
  ])('maps %s to %s in the schedule zone', (expression, schedule) => {
    expect(map(expression)).toEqual({
      ok: true,
      schedule,
      timeZone: 'Europe/Berlin',
      warnings: [],
    });
  });

  it.each([
    ['@every 1m', '* * * * *', 'hour'],
    ['@every 15m', '*/15 * * * *', 'hour'],
    ['@every 1h', '0 * * * *', 'hour'],
    ['@every 2h', '0 */2 * * *', 'day'],
    ['@every 1d', '0 0 * * *', 'day'],
    ['@every 24h', '0 0 * * *', 'day'],
  ])(
    'maps %s to "%s" in Etc/UTC with a warning that the phase is now the clock\'s',
    (every, schedule, unit) => {
      const mapped = map(every);
      expect(mapped).toMatchObject({ ok: true, schedule, timeZone: 'Etc/UTC' });
      expect(mapped.ok && mapped.warnings).toEqual([
        expect.stringMatching(new RegExp(`phase is now set by the clock.*divides the ${unit}`)),
      ]);
    },
  );

  it.each([
    ['0 30 2 * * *', /seconds field.*write it as "30 2 \* \* \*"/],
    ['*/10 * * * * *', /has a seconds field; CronJob schedules have exactly 5 fields/],
    ['0 0 L * *', /"L" .* has no equivalent/],
    ['0 0 15W * *', /"15W"/],
    ['0 0 * * 5L', /"5L"/],
    ['0 0 * * 1#2', /"1#2"/],
    ['@every 30s', /more often than once a minute/],
    ['@every 90s', /not a whole number of minutes/],
    ['@every 7m', /divides neither the hour nor the day/],
    ['@every 90m', /divides the day but is not a whole number of hours/],
    ['@every 5h', /divides neither the hour nor the day/],
    ['@every 2d', /divides neither the hour nor the day/],
  ])('refuses %s', (expression, reason) => {
    const mapped = map(expression);
    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.reason).toMatch(reason);
  });
});
