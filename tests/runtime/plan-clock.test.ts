import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/cron/compile.js';
import { iterateFires } from '../../src/cron/fires.js';
import { detectClockStep, isWildcardSchedule, planResume } from '../../src/runtime/plan-clock.js';

function compiled(expression: string) {
  const result = compileSchedule(expression);
  if (!result.ok) throw new Error(`bad test schedule ${expression}`);
  return result.schedule;
}

const HOUR = 3_600_000;
const YEAR_STEP = Date.parse('2027-12-06T19:55:15Z') - Date.parse('2026-12-06T21:00:00Z');

describe('runtime/plan-clock', () => {
  it.each([
    {
      rule: 'no watermark: scheduling begins now, and that is remembered',
      schedule: '*/10 * * * * *',
      watermark: undefined,
      now: '2026-12-06T21:00:00Z',
      reason: 'startup' as const,
      plan: { afterMs: '2026-12-06T21:00:00.000Z', watermark: '2026-12-06T21:00:00.000Z' },
    },
    {
      rule: 'a watermark in the past at start-up: the fires since are a catch-up gap',
      schedule: '*/10 * * * * *',
      watermark: '2026-12-06T20:59:00Z',
      now: '2026-12-06T21:00:05Z',
      reason: 'startup' as const,
      plan: {
        afterMs: '2026-12-06T21:00:05.000Z',
        gap: { first: '2026-12-06T20:59:10.000Z', last: '2026-12-06T21:00:00.000Z', count: 6 },
        nextMs: '2026-12-06T21:00:10.000Z',
      },
    },
    {
      rule: 'a watermark in the past at start-up, nothing missed: the loop resumes at the instant counting stopped at',
      schedule: '0 2 * * *',
      watermark: '2026-12-06T20:00:00Z',
      now: '2026-12-06T21:00:00Z',
      reason: 'startup' as const,
      plan: { afterMs: '2026-12-06T21:00:00.000Z', nextMs: '2026-12-07T02:00:00.000Z' },
    },
    {
      rule: 'a watermark in the past on reload: no gap (the fire loop had it)',
      schedule: '*/10 * * * * *',
      watermark: '2026-12-06T20:59:00Z',
      now: '2026-12-06T21:00:05Z',
      reason: 'reload' as const,
      plan: { afterMs: '2026-12-06T21:00:05.000Z' },
    },
    {
      rule: 'a watermark at most 1 s ahead: no anomaly, the fire loop resumes after it',
      schedule: '0 2 * * *',
      watermark: '2026-12-06T21:00:01Z',
      now: '2026-12-06T21:00:00.200Z',
      reason: 'startup' as const,
      plan: { afterMs: '2026-12-06T21:00:01.000Z' },
    },
    {
      rule: 'a watermark a year ahead, wildcard schedule: keeps its cadence on the new clock at once',
      schedule: '*/10 * * * * *',
      watermark: '2027-12-06T19:55:15Z',
      now: '2026-12-06T21:00:00Z',
      reason: 'startup' as const,
      plan: {
        afterMs: '2026-12-06T21:00:00.000Z',
        watermark: '2026-12-06T21:00:00.000Z',
        anomaly: { stepMs: YEAR_STEP, rule: 'keep-cadence' },
      },
    },
    {
      rule: 'a watermark a year ahead, fixed-time schedule: the watermark is discarded',
      schedule: '30 2 * * *',
      watermark: '2027-12-06T02:30:00Z',
      now: '2026-12-06T21:00:00Z',
      reason: 'startup' as const,
      plan: {
        afterMs: '2026-12-06T21:00:00.000Z',
        watermark: '2026-12-06T21:00:00.000Z',
        anomaly: {
          stepMs: Date.parse('2027-12-06T02:30:00Z') - Date.parse('2026-12-06T21:00:00Z'),
          rule: 'discard',
        },
      },
    },
    {
      rule: 'a step back of 1 h while running, fixed-time schedule: waits, the 02:30 instant is not run again',
      schedule: '30 2 * * *',
      watermark: '2026-12-07T02:30:00Z',
      now: '2026-12-07T01:30:00.500Z',
      reason: 'clock-step' as const,
      plan: {
        afterMs: '2026-12-07T02:30:00.000Z',
        anomaly: { stepMs: HOUR - 500, rule: 'wait', waitUntil: '2026-12-08T02:30:00.000Z' },
      },
    },
    {
      rule: 'an NTP correction of 1.5 s at 02:30:00.5 does not run the 02:30 backup twice',
      schedule: '30 2 * * *',
      watermark: '2026-12-07T02:30:00Z',
      now: '2026-12-07T02:29:58.500Z',
      reason: 'clock-step' as const,
      plan: {
        afterMs: '2026-12-07T02:30:00.000Z',
        anomaly: { stepMs: 1_500, rule: 'wait', waitUntil: '2026-12-08T02:30:00.000Z' },
      },
    },
    {
      rule: 'a step back of exactly 3 h: still waits',
      schedule: '0 12 * * *',
      watermark: '2026-12-07T12:00:00Z',
      now: '2026-12-07T09:00:00Z',
      reason: 'clock-step' as const,
      plan: {
        afterMs: '2026-12-07T12:00:00.000Z',
        anomaly: { stepMs: 3 * HOUR, rule: 'wait', waitUntil: '2026-12-08T12:00:00.000Z' },
      },
    },
    {
      rule: 'a step back of more than 3 h: the watermark is discarded',
      schedule: '0 12 * * *',
      watermark: '2026-12-07T12:00:00Z',
      now: '2026-12-07T08:59:59Z',
      reason: 'clock-step' as const,
      plan: {
        afterMs: '2026-12-07T08:59:59.000Z',
        watermark: '2026-12-07T08:59:59.000Z',
        anomaly: { stepMs: 3 * HOUR + 1_000, rule: 'discard' },
      },
    },
    {
      rule: 'a step back while running, @every schedule: keeps its cadence',
      schedule: '@every 5s',
      watermark: '2026-12-07T12:00:00Z',
      now: '2026-12-07T11:00:00Z',
      reason: 'clock-step' as const,
      plan: {
        afterMs: '2026-12-07T11:00:00.000Z',
        watermark: '2026-12-07T11:00:00.000Z',
        anomaly: { stepMs: HOUR, rule: 'keep-cadence' },
      },
    },
    {
      rule: 'an hourly schedule (minute fixed, hour wildcard) is a wildcard schedule',
      schedule: '0 * * * *',
      watermark: '2026-12-07T12:00:00Z',
      now: '2026-12-07T11:30:00Z',
      reason: 'reload' as const,
      plan: {
        afterMs: '2026-12-07T11:30:00.000Z',
        watermark: '2026-12-07T11:30:00.000Z',
        anomaly: { stepMs: HOUR / 2, rule: 'keep-cadence' },
      },
    },
  ])('$rule', ({ schedule, watermark, now, reason, plan }) => {
    const result = planResume({
      compiled: compiled(schedule),
      timezone: 'UTC',
      watermark: watermark === undefined ? undefined : new Date(watermark),
      now: new Date(now),
      reason,
    });
    expect({
      afterMs: new Date(result.afterMs).toISOString(),
      ...(result.watermark ? { watermark: result.watermark.toISOString() } : {}),
      ...(result.gap
        ? {
            gap: {
              first: result.gap.first.toISOString(),
              last: result.gap.last.toISOString(),
              count: result.gap.count,
            },
          }
        : {}),
      ...(result.anomaly
        ? {
            anomaly: {
              ...result.anomaly,
              ...(result.anomaly.waitUntil
                ? { waitUntil: result.anomaly.waitUntil.toISOString() }
                : {}),
            },
          }
        : {}),
      ...(result.nextMs !== undefined ? { nextMs: new Date(result.nextMs).toISOString() } : {}),
    }).toEqual(plan);
    // The instant the fire loop resumes at, when the plan names it, is the one it would have found.
    if (result.nextMs !== undefined)
      expect(result.nextMs).toBe(
        iterateFires(compiled(schedule), 'UTC', new Date(result.afterMs)).next().value?.getTime(),
      );
  });

  it.each([
    { schedule: '*/10 * * * * *', wildcard: true },
    { schedule: '0 * * * *', wildcard: true },
    { schedule: '@every 1m', wildcard: true },
    { schedule: '@daily', wildcard: false },
    { schedule: '30 2 * * *', wildcard: false },
  ])('isWildcardSchedule($schedule) is $wildcard', ({ schedule, wildcard }) => {
    expect(isWildcardSchedule(compiled(schedule))).toBe(wildcard);
  });

  it.each([
    { why: 'steady clock', prev: [0, 0], cur: [30_000, 30_000], step: undefined },
    { why: 'slewing within 1 s', prev: [0, 0], cur: [30_900, 30_000], step: undefined },
    {
      why: 'a step back of an hour',
      prev: [1_000_000, 5],
      cur: [1_000_000 - 3_600_000 + 1_000, 1_005],
      step: -3_600_000,
    },
    { why: 'a step forward of 10 minutes', prev: [0, 0], cur: [601_000, 1_000], step: 600_000 },
  ])('detectClockStep: $why', ({ prev, cur, step }) => {
    expect(
      detectClockStep(
        { wallMs: prev[0]!, monotonicMs: prev[1]! },
        { wallMs: cur[0]!, monotonicMs: cur[1]! },
      ),
    ).toBe(step);
  });
});
