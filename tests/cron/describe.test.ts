import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/cron/compile.js';
import { describeSchedule } from '../../src/cron/describe.js';

function describeExpression(expression: string): string {
  const result = compileSchedule(expression);
  if (!result.ok) throw new Error(`${expression}: ${JSON.stringify(result.errors)}`);
  return describeSchedule(result.schedule);
}

describe('cron/describe', () => {
  it.each([
    { expr: '30 2 * * *', text: 'At 02:30' },
    { expr: '*/15 * * * *', text: 'Every 15 minutes' },
    { expr: '*/10 * * * * *', text: 'Every 10 seconds' },
    { expr: '0  2   * * *', text: 'At 02:00' },
    { expr: '0 22-2 * * *', text: 'Every hour, between 22:00 and 02:00' },
    { expr: '0 0 L * *', text: 'At 00:00, on the last day of the month' },
    { expr: '0 0 15W * *', text: 'At 00:00, on the weekday nearest day 15 of the month' },
    { expr: '0 0 * * 5#2', text: 'At 00:00, on the second Friday of the month' },
    { expr: '0 0 ? * 1', text: 'At 00:00, only on Monday' },
  ])('describes cron $expr', ({ expr, text }) => {
    expect(describeExpression(expr)).toBe(text);
  });

  describe('says "or" where the Vixie rule ORs the day fields, never "and"', () => {
    it.each([
      { expr: '0 0 1,15 * 5', text: 'At 00:00, on day 1 and 15 of the month, or on Friday' },
      {
        expr: '0 0 1,15 * MON-FRI',
        text: 'At 00:00, on day 1 and 15 of the month, or Monday through Friday',
      },
      {
        expr: '0 0 1 * 5#2',
        text: 'At 00:00, on day 1 of the month, or on the second Friday of the month',
      },
      {
        expr: '0 0 L * 5L',
        text: 'At 00:00, on the last day of the month, or on the last Friday of the month',
      },
      {
        expr: '0 0 29 2 1',
        text: 'At 00:00, on day 29 of the month, or on Monday, only in February',
      },
    ])('$expr', ({ expr, text }) => {
      expect(describeExpression(expr)).toBe(text);
    });

    it('says "only on" where both fields must match', () => {
      expect(describeExpression('0 0 */2 * 5')).toBe(
        'At 00:00, every 2 days in a month, only on Friday',
      );
    });
  });

  it.each([
    { expr: '@daily', text: 'At 00:00' },
    { expr: '@midnight', text: 'At 00:00' },
    { expr: '@hourly', text: 'Every hour' },
    { expr: '@weekly', text: 'At 00:00, only on Sunday' },
    { expr: '@monthly', text: 'At 00:00, on day 1 of the month' },
    { expr: '@yearly', text: 'At 00:00, on day 1 of the month, only in January' },
    { expr: '@ANNUALLY', text: 'At 00:00, on day 1 of the month, only in January' },
  ])('describes the expansion of $expr', ({ expr, text }) => {
    expect(describeExpression(expr)).toBe(text);
  });

  it.each([
    { expr: '@every 90s', text: 'Every 90 seconds' },
    { expr: '@every 1s', text: 'Every second' },
    { expr: '@every 1h', text: 'Every hour' },
    { expr: '@every 15m', text: 'Every 15 minutes' },
    { expr: '@every 1h30m', text: 'Every 1 hour and 30 minutes' },
    { expr: '@every 2d', text: 'Every 2 days' },
    { expr: '@every 1m30s500ms', text: 'Every 1 minute, 30 seconds and 500 milliseconds' },
    { expr: '@every 3600', text: 'Every 3600 seconds' },
  ])('describes $expr in the units it was written in', ({ expr, text }) => {
    expect(describeExpression(expr)).toBe(text);
  });
});
