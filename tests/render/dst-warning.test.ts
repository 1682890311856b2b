import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/cron/compile.js';
import { describeDstOverlap, findDstWindows } from '../../src/render/dst-warning.js';

function compiled(expression: string) {
  const result = compileSchedule(expression);
  if (!result.ok) throw new Error(expression);
  return result.schedule;
}

describe('render/dst-warning', () => {
  it('finds the two transitions of a DST zone in the year after now, as local times of day', () => {
    expect(findDstWindows('Europe/Berlin', new Date('2026-12-06T21:00:00Z'))).toEqual([
      { at: new Date('2027-03-28T01:00:00Z'), kind: 'gap', fromMinute: 120, minutes: 60 },
      { at: new Date('2027-10-31T01:00:00Z'), kind: 'repeat', fromMinute: 120, minutes: 60 },
    ]);
    expect(findDstWindows('America/New_York', new Date('2026-12-06T21:00:00Z'))).toEqual([
      { at: new Date('2027-03-14T07:00:00Z'), kind: 'gap', fromMinute: 120, minutes: 60 },
      { at: new Date('2027-11-07T06:00:00Z'), kind: 'repeat', fromMinute: 60, minutes: 60 },
    ]);
    // Lord Howe moves by 30 minutes.
    expect(findDstWindows('Australia/Lord_Howe', new Date('2026-12-06T21:00:00Z'))).toEqual([
      { at: new Date('2027-04-03T15:00:00Z'), kind: 'repeat', fromMinute: 90, minutes: 30 },
      { at: new Date('2027-10-02T15:30:00Z'), kind: 'gap', fromMinute: 120, minutes: 30 },
    ]);
    expect(findDstWindows('UTC', new Date('2026-12-06T21:00:00Z'))).toEqual([]);
    expect(findDstWindows('Asia/Tokyo', new Date('2026-12-06T21:00:00Z'))).toEqual([]);
  });

  const now = new Date('2026-12-06T21:00:00Z');
  it.each([
    [
      '30 2 * * *',
      'Europe/Berlin',
      /fires at 02:30 Europe\/Berlin, inside the daylight-saving transition 02:00–03:00 \(skipped on 2027-03-28\)/,
    ],
    ['0 2 * * 0', 'Europe/Berlin', /fires at 02:00 .*skipped on 2027-03-28/],
    ['30 1 * * *', 'America/New_York', /fires at 01:30 .*01:00–02:00 \(repeated on 2027-11-07\)/],
    ['45 1 * * *', 'Australia/Lord_Howe', /01:45 .*01:30–02:00 \(repeated on 2027-04-03\)/],
    ['0 3 * * *', 'Europe/Berlin', undefined],
    ['59 1 * * *', 'Europe/Berlin', undefined],
    ['30 2 * * *', 'UTC', undefined],
    ['30 2 * * *', 'Asia/Kolkata', undefined],
    // Wildcard schedules follow elapsed time in both schedulers.
    ['*/15 * * * *', 'Europe/Berlin', undefined],
    ['30 * * * *', 'Europe/Berlin', undefined],
    ['@every 1h', 'Europe/Berlin', undefined],
  ])('%s in %s', (expression, zone, warning) => {
    const text = describeDstOverlap(compiled(expression), zone, findDstWindows(zone, now));
    if (warning === undefined) expect(text).toBeUndefined();
    else expect(text).toMatch(warning);
  });
});
