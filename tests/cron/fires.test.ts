import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/cron/compile.js';
import { countFiresBetween, iterateFires, nextFires } from '../../src/cron/fires.js';
import type { CompiledSchedule } from '../../src/cron/types.js';

function compile(expression: string): CompiledSchedule {
  const result = compileSchedule(expression);
  if (!result.ok) throw new Error(`${expression}: ${JSON.stringify(result.errors)}`);
  return result.schedule;
}

function next(expression: string, zone: string, after: string, count: number): string[] {
  return nextFires(compile(expression), zone, new Date(after), count).map((d) => d.toISOString());
}

/** Expand 'YYYY-MM-DDT' + a list of 'HH:MM[:SS]' into full ISO instants. */
function on(day: string, ...times: string[]): string[] {
  return times.map((t) => `${day}T${t.length === 5 ? `${t}:00` : t}.000Z`);
}

describe('cron/fires', () => {
  // Transitions used below (tzdata 2025c, checked with Intl):
  //   America/New_York    2026-03-08T07:00Z  -05:00 → -04:00  gap 02:00–02:59
  //                       2026-11-01T06:00Z  -04:00 → -05:00  repeat 01:00–01:59
  //   Europe/Berlin       2026-03-29T01:00Z  +01:00 → +02:00  gap 02:00–02:59
  //                       2026-10-25T01:00Z  +02:00 → +01:00  repeat 02:00–02:59
  //   Australia/Lord_Howe 2026-04-04T15:00Z  +11:00 → +10:30  repeat 01:30–01:59 (Apr 5)
  //                       2026-10-03T15:30Z  +10:30 → +11:00  gap 02:00–02:29 (Oct 4)
  //   America/Santiago    2026-04-05T03:00Z  -03:00 → -04:00  repeat 23:00–23:59 (Apr 4)
  //                       2026-09-06T04:00Z  -04:00 → -03:00  gap 00:00–00:59 (Sep 6)
  //   Pacific/Chatham     2026-04-04T14:00Z  +13:45 → +12:45  repeat 02:45–03:44 (Apr 5)
  //                       2026-09-26T14:00Z  +12:45 → +13:45  gap 02:45–03:44 (Sep 27)

  describe('fixed-time schedules across a spring-forward gap fire once, at the end of the gap', () => {
    it.each([
      {
        expr: '30 2 * * *',
        zone: 'America/New_York',
        after: '2026-03-07T12:00:00Z',
        want: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z'],
      },
      {
        // Two gap times collapse into one fire.
        expr: '0,30 2 * * *',
        zone: 'America/New_York',
        after: '2026-03-07T12:00:00Z',
        want: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:00:00.000Z', '2026-03-09T06:30:00.000Z'],
      },
      {
        // A gap time and the real 03:00 (the transition instant itself) collapse too.
        expr: '0 2,3 * * *',
        zone: 'America/New_York',
        after: '2026-03-07T12:00:00Z',
        want: ['2026-03-08T07:00:00.000Z', '2026-03-09T06:00:00.000Z', '2026-03-09T07:00:00.000Z'],
      },
      {
        expr: '30 2 * * *',
        zone: 'Europe/Berlin',
        after: '2026-03-28T12:00:00Z',
        want: ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z'],
      },
      {
        expr: '15 2 * * *',
        zone: 'Australia/Lord_Howe',
        after: '2026-10-03T00:00:00Z',
        want: ['2026-10-03T15:30:00.000Z', '2026-10-04T15:15:00.000Z', '2026-10-05T15:15:00.000Z'],
      },
      {
        // Midnight does not exist in Santiago on Sep 6; the day still gets its fire.
        expr: '0 0 * * *',
        zone: 'America/Santiago',
        after: '2026-09-05T12:00:00Z',
        want: ['2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z', '2026-09-08T03:00:00.000Z'],
      },
      {
        expr: '0 3 * * *',
        zone: 'Pacific/Chatham',
        after: '2026-09-26T00:00:00Z',
        want: ['2026-09-26T14:00:00.000Z', '2026-09-27T13:15:00.000Z', '2026-09-28T13:15:00.000Z'],
      },
      {
        // 02:50, 03:00 and 03:30 fall into the gap and collapse; 02:00, 02:30 and 03:50 are real.
        expr: '0,30,50 2,3 * * *',
        zone: 'Pacific/Chatham',
        after: '2026-09-26T13:00:00Z',
        want: [...on('2026-09-26', '13:15', '13:45', '14:00', '14:05'), '2026-09-27T12:15:00.000Z'],
      },
    ])('$expr in $zone after $after', ({ expr, zone, after, want }) => {
      expect(next(expr, zone, after, want.length)).toEqual(want);
    });
  });

  describe('fixed-time schedules across a fall-back repeat fire once, at the first occurrence', () => {
    it.each([
      {
        expr: '30 1 * * *',
        zone: 'America/New_York',
        after: '2026-10-31T12:00:00Z',
        want: ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z', '2026-11-03T06:30:00.000Z'],
      },
      {
        // Asked between the two occurrences: the second one is not a fire.
        expr: '30 1 * * *',
        zone: 'America/New_York',
        after: '2026-11-01T06:00:00Z',
        want: ['2026-11-02T06:30:00.000Z'],
      },
      {
        expr: '30 2 * * *',
        zone: 'Europe/Berlin',
        after: '2026-10-24T12:00:00Z',
        want: ['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z'],
      },
      {
        expr: '45 1 * * *',
        zone: 'Australia/Lord_Howe',
        after: '2026-04-04T00:00:00Z',
        want: ['2026-04-04T14:45:00.000Z', '2026-04-05T15:15:00.000Z', '2026-04-06T15:15:00.000Z'],
      },
      {
        expr: '30 23 * * *',
        zone: 'America/Santiago',
        after: '2026-04-04T12:00:00Z',
        want: ['2026-04-05T02:30:00.000Z', '2026-04-06T03:30:00.000Z', '2026-04-07T03:30:00.000Z'],
      },
      {
        expr: '0 3 * * *',
        zone: 'Pacific/Chatham',
        after: '2026-04-04T00:00:00Z',
        want: ['2026-04-04T13:15:00.000Z', '2026-04-05T14:15:00.000Z', '2026-04-06T14:15:00.000Z'],
      },
    ])('$expr in $zone after $after', ({ expr, zone, after, want }) => {
      expect(next(expr, zone, after, want.length)).toEqual(want);
    });
  });

  describe('wildcard schedules follow elapsed time: nothing in the gap, both occurrences of a repeat', () => {
    it.each([
      {
        expr: '*/15 * * * *',
        zone: 'America/New_York',
        after: '2026-03-08T06:20:00Z',
        want: on('2026-03-08', '06:30', '06:45', '07:00', '07:15', '07:30'),
      },
      {
        expr: '*/15 * * * *',
        zone: 'America/New_York',
        after: '2026-11-01T05:20:00Z',
        want: on(
          '2026-11-01',
          '05:30',
          '05:45',
          '06:00',
          '06:15',
          '06:30',
          '06:45',
          '07:00',
          '07:15',
          '07:30',
          '07:45',
        ),
      },
      {
        expr: '0 * * * *',
        zone: 'America/New_York',
        after: '2026-03-08T04:30:00Z',
        want: on('2026-03-08', '05:00', '06:00', '07:00', '08:00'),
      },
      {
        expr: '0 * * * *',
        zone: 'America/New_York',
        after: '2026-11-01T03:30:00Z',
        want: on('2026-11-01', '04:00', '05:00', '06:00', '07:00', '08:00'),
      },
      {
        expr: '*/1 * * * * *',
        zone: 'America/New_York',
        after: '2026-03-08T06:59:57Z',
        want: on('2026-03-08', '06:59:58', '06:59:59', '07:00:00', '07:00:01'),
      },
      {
        expr: '*/1 * * * * *',
        zone: 'America/New_York',
        after: '2026-11-01T05:59:58Z',
        want: on('2026-11-01', '05:59:59', '06:00:00', '06:00:01', '06:00:02'),
      },
      {
        expr: '0 * * * *',
        zone: 'Europe/Berlin',
        after: '2026-03-28T23:30:00Z',
        want: on('2026-03-29', '00:00', '01:00', '02:00'),
      },
      {
        expr: '*/15 * * * *',
        zone: 'Europe/Berlin',
        after: '2026-10-25T00:20:00Z',
        want: on(
          '2026-10-25',
          '00:30',
          '00:45',
          '01:00',
          '01:15',
          '01:30',
          '01:45',
          '02:00',
          '02:15',
        ),
      },
      {
        expr: '*/15 * * * *',
        zone: 'Australia/Lord_Howe',
        after: '2026-04-04T13:50:00Z',
        want: on(
          '2026-04-04',
          '14:00',
          '14:15',
          '14:30',
          '14:45',
          '15:00',
          '15:15',
          '15:30',
          '15:45',
        ),
      },
      {
        expr: '*/15 * * * *',
        zone: 'Australia/Lord_Howe',
        after: '2026-10-03T15:00:00Z',
        want: on('2026-10-03', '15:15', '15:30', '15:45', '16:00'),
      },
      {
        // 01:00 is before the repeated half hour, 02:00 after it: 90 minutes apart.
        expr: '0 * * * *',
        zone: 'Australia/Lord_Howe',
        after: '2026-04-04T13:30:00Z',
        want: on('2026-04-04', '14:00', '15:30', '16:30'),
      },
      {
        expr: '0 * * * *',
        zone: 'America/Santiago',
        after: '2026-04-05T01:30:00Z',
        want: on('2026-04-05', '02:00', '03:00', '04:00', '05:00'),
      },
      {
        expr: '*/15 * * * *',
        zone: 'America/Santiago',
        after: '2026-09-06T03:20:00Z',
        want: on('2026-09-06', '03:30', '03:45', '04:00', '04:15', '04:30'),
      },
      {
        expr: '*/15 * * * *',
        zone: 'Pacific/Chatham',
        after: '2026-04-04T12:40:00Z',
        want: on(
          '2026-04-04',
          '12:45',
          '13:00',
          '13:15',
          '13:30',
          '13:45',
          '14:00',
          '14:15',
          '14:30',
          '14:45',
          '15:00',
          '15:15',
          '15:30',
        ),
      },
      {
        // The second 02:50 (14:05Z) comes after the first 03:00 (13:15Z): output stays sorted.
        expr: '0,50 * * * *',
        zone: 'Pacific/Chatham',
        after: '2026-04-04T12:10:00Z',
        want: on('2026-04-04', '12:15', '13:05', '13:15', '14:05', '14:15', '15:05', '15:15'),
      },
      {
        expr: '*/15 * * * *',
        zone: 'Pacific/Chatham',
        after: '2026-09-26T13:20:00Z',
        want: on('2026-09-26', '13:30', '13:45', '14:00', '14:15'),
      },
      {
        expr: '*/1 * * * * *',
        zone: 'Pacific/Chatham',
        after: '2026-04-04T13:59:57Z',
        want: on('2026-04-04', '13:59:58', '13:59:59', '14:00:00', '14:00:01', '14:00:02'),
      },
    ])('$expr in $zone after $after', ({ expr, zone, after, want }) => {
      expect(next(expr, zone, after, want.length)).toEqual(want);
    });
  });

  describe('fixed-time schedules fire once on every local day of 2026: none skipped, none doubled', () => {
    function localParts(zone: string, instant: Date): { date: string; time: string } {
      const text = new Intl.DateTimeFormat('en-CA', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
      }).format(instant);
      const [date = '', time = ''] = text.split(', ');
      return { date, time };
    }

    const DAYS_OF_2026 = Array.from({ length: 365 }, (_, i) =>
      new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10),
    );

    it.each([
      {
        expr: '30 2 * * *',
        zone: 'America/New_York',
        time: '02:30',
        gapDay: '2026-03-08',
        gapTime: '03:00',
      },
      {
        expr: '30 1 * * *',
        zone: 'America/New_York',
        time: '01:30',
        gapDay: undefined,
        gapTime: undefined,
      },
      {
        expr: '30 2 * * *',
        zone: 'Europe/Berlin',
        time: '02:30',
        gapDay: '2026-03-29',
        gapTime: '03:00',
      },
      {
        expr: '15 2 * * *',
        zone: 'Australia/Lord_Howe',
        time: '02:15',
        gapDay: '2026-10-04',
        gapTime: '02:30',
      },
      {
        expr: '45 1 * * *',
        zone: 'Australia/Lord_Howe',
        time: '01:45',
        gapDay: undefined,
        gapTime: undefined,
      },
      {
        expr: '0 0 * * *',
        zone: 'America/Santiago',
        time: '00:00',
        gapDay: '2026-09-06',
        gapTime: '01:00',
      },
      {
        expr: '30 23 * * *',
        zone: 'America/Santiago',
        time: '23:30',
        gapDay: undefined,
        gapTime: undefined,
      },
      {
        expr: '0 3 * * *',
        zone: 'Pacific/Chatham',
        time: '03:00',
        gapDay: '2026-09-27',
        gapTime: '03:45',
      },
    ])('$expr in $zone', ({ expr, zone, time, gapDay, gapTime }) => {
      const fires = nextFires(compile(expr), zone, new Date('2025-12-30T00:00:00Z'), 400)
        .map((fire) => localParts(zone, fire))
        .filter((local) => local.date.startsWith('2026-'));
      expect(fires.map((local) => local.date)).toEqual(DAYS_OF_2026);
      expect(fires.filter((local) => local.time !== time)).toEqual(
        gapDay === undefined ? [] : [{ date: gapDay, time: gapTime }],
      );
    });
  });

  describe('wildcard schedules keep their cadence in elapsed time through every transition', () => {
    it.each([
      'America/New_York',
      'Europe/Berlin',
      'Australia/Lord_Howe',
      'America/Santiago',
      'Pacific/Chatham',
    ])(
      '*/15 * * * * in %s fires every 15 minutes of 2026 (offsets are whole quarter hours)',
      (zone) => {
        const fires = nextFires(
          compile('*/15 * * * *'),
          zone,
          new Date('2025-12-31T23:59:59Z'),
          35_040,
        );
        const gaps = new Set(fires.slice(1).map((fire, i) => fire.getTime() - fires[i]!.getTime()));
        expect({
          first: fires[0]?.toISOString(),
          last: fires.at(-1)?.toISOString(),
          gaps: [...gaps],
        }).toEqual({
          first: '2026-01-01T00:00:00.000Z',
          last: '2026-12-31T23:45:00.000Z',
          gaps: [900_000],
        });
      },
    );
  });

  describe('day fields: Vixie OR when both are restricted, AND otherwise', () => {
    it.each([
      {
        // Feb 29 OR any Monday in February.
        expr: '0 0 29 2 1',
        after: '2027-12-31T00:00:00Z',
        want: [
          '2028-02-07',
          '2028-02-14',
          '2028-02-21',
          '2028-02-28',
          '2028-02-29',
          '2029-02-05',
        ].map((d) => `${d}T00:00:00.000Z`),
      },
      {
        expr: '0 0 29 2 *',
        after: '2026-01-01T00:00:00Z',
        want: ['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z'],
      },
      {
        expr: '0 0 1,15 * 5',
        after: '2026-05-01T12:00:00Z',
        want: ['2026-05-08', '2026-05-15', '2026-05-22', '2026-05-29', '2026-06-01'].map(
          (d) => `${d}T00:00:00.000Z`,
        ),
      },
      {
        // Day of month starts with "*": both must match (days 1, 11, 21, 31 that are Mondays).
        expr: '0 0 */10 * 1',
        after: '2026-01-01T00:00:00Z',
        want: ['2026-05-11T00:00:00.000Z', '2026-06-01T00:00:00.000Z', '2026-08-31T00:00:00.000Z'],
      },
      {
        expr: '0 0 ? * 1',
        after: '2026-01-01T00:00:00Z',
        want: ['2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z'],
      },
      {
        expr: '5,15 * * * *',
        after: '2026-01-01T00:10:00Z',
        want: on('2026-01-01', '00:15', '01:05', '01:15'),
      },
      {
        expr: '0 0 * 5 *',
        after: '2026-01-01T00:00:00Z',
        want: ['2026-05-01T00:00:00.000Z', '2026-05-02T00:00:00.000Z', '2026-05-03T00:00:00.000Z'],
      },
    ])('$expr after $after', ({ expr, after, want }) => {
      expect(next(expr, 'UTC', after, want.length)).toEqual(want);
    });
  });

  describe('L, W and #', () => {
    it.each([
      {
        expr: '0 0 L * *',
        after: '2026-01-01T00:00:00Z',
        want: ['2026-01-31', '2026-02-28', '2026-03-31'],
      },
      {
        expr: '0 0 LW * *',
        after: '2026-01-01T00:00:00Z',
        want: ['2026-01-30', '2026-02-27', '2026-03-31'],
      },
      {
        expr: '0 0 15W * *',
        after: '2026-01-01T00:00:00Z',
        want: ['2026-01-15', '2026-02-16', '2026-03-16'],
      },
      { expr: '0 0 15W * *', after: '2026-08-01T00:00:00Z', want: ['2026-08-14'] },
      // 1W never leaves the month: Saturday Aug 1 → Monday Aug 3; Sunday Feb 1 → Monday Feb 2.
      { expr: '0 0 1W * *', after: '2026-07-15T00:00:00Z', want: ['2026-08-03'] },
      { expr: '0 0 1W * *', after: '2026-01-15T00:00:00Z', want: ['2026-02-02'] },
      {
        expr: '0 0 L-3 * *',
        after: '2026-01-01T00:00:00Z',
        want: ['2026-01-28', '2026-02-25', '2026-03-28'],
      },
      {
        expr: '0 0 * * 5L',
        after: '2026-01-01T00:00:00Z',
        want: ['2026-01-30', '2026-02-27', '2026-03-27'],
      },
      {
        expr: '0 0 * * 5#2',
        after: '2026-01-01T00:00:00Z',
        want: ['2026-01-09', '2026-02-13', '2026-03-13'],
      },
      { expr: '0 0 * * 1#5', after: '2026-01-01T00:00:00Z', want: ['2026-03-30', '2026-06-29'] },
    ])('$expr after $after', ({ expr, after, want }) => {
      expect(next(expr, 'UTC', after, want.length)).toEqual(want.map((d) => `${d}T00:00:00.000Z`));
    });
  });

  describe('seconds and macros', () => {
    it.each([
      {
        expr: '*/20 * * * * *',
        want: on('2026-01-01', '00:00:20', '00:00:40', '00:01:00', '00:01:20'),
      },
      { expr: '30 15 10 * * *', want: ['2026-01-01T10:15:30.000Z', '2026-01-02T10:15:30.000Z'] },
      { expr: '@yearly', want: ['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z'] },
      { expr: '@annually', want: ['2027-01-01T00:00:00.000Z'] },
      { expr: '@monthly', want: ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'] },
      { expr: '@weekly', want: ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z'] },
      { expr: '@daily', want: ['2026-01-02T00:00:00.000Z'] },
      { expr: '@midnight', want: ['2026-01-02T00:00:00.000Z'] },
      { expr: '@hourly', want: on('2026-01-01', '01:00', '02:00') },
    ])('$expr after 2026-01-01T00:00:00Z', ({ expr, want }) => {
      expect(next(expr, 'UTC', '2026-01-01T00:00:00Z', want.length)).toEqual(want);
    });

    it('fires @yearly at local midnight of Jan 1 in Australia/Lord_Howe (+11:00 in summer)', () => {
      expect(next('@yearly', 'Australia/Lord_Howe', '2026-01-01T00:00:00Z', 2)).toEqual([
        '2026-12-31T13:00:00.000Z',
        '2027-12-31T13:00:00.000Z',
      ]);
    });
  });

  describe('@every counts from the Unix epoch, whatever the zone', () => {
    it.each([
      // 2026-01-01T00:00:00Z is 1767225600 s, a multiple of 90 s and of 1h30m but not of 11 min.
      {
        expr: '@every 90s',
        zone: 'UTC',
        after: '2026-01-01T00:00:07Z',
        want: on('2026-01-01', '00:01:30', '00:03:00'),
      },
      {
        expr: '@every 11m',
        zone: 'UTC',
        after: '2026-01-01T00:00:00Z',
        want: on('2026-01-01', '00:05', '00:16', '00:27'),
      },
      {
        expr: '@every 1h30m',
        zone: 'Europe/Berlin',
        after: '2026-01-01T00:00:00Z',
        want: on('2026-01-01', '01:30', '03:00'),
      },
      {
        expr: '@every 1h',
        zone: 'America/New_York',
        after: '2026-03-08T05:30:00Z',
        want: on('2026-03-08', '06:00', '07:00', '08:00'),
      },
      {
        expr: '@every 1h',
        zone: 'Asia/Kolkata',
        after: '2026-03-08T05:30:00Z',
        want: on('2026-03-08', '06:00', '07:00', '08:00'),
      },
      {
        expr: '@every 1500ms',
        zone: 'UTC',
        after: '2026-01-01T00:00:00Z',
        want: ['2026-01-01T00:00:01.500Z', '2026-01-01T00:00:03.000Z'],
      },
    ])('$expr in $zone after $after', ({ expr, zone, after, want }) => {
      expect(next(expr, zone, after, want.length)).toEqual(want);
    });
  });

  describe('nextFires', () => {
    it('is strictly after `after`, also when `after` is itself a fire or has milliseconds', () => {
      expect(next('0 * * * *', 'UTC', '2026-01-01T01:00:00.000Z', 1)).toEqual([
        '2026-01-01T02:00:00.000Z',
      ]);
      expect(next('0 * * * *', 'UTC', '2026-01-01T00:59:59.999Z', 1)).toEqual([
        '2026-01-01T01:00:00.000Z',
      ]);
    });

    it('returns nothing for a count of 0', () => {
      expect(next('* * * * *', 'UTC', '2026-01-01T00:00:00Z', 0)).toEqual([]);
    });

    it('returns fewer fires when none are left before the end of Date', () => {
      expect(next('0 0 1 1 *', 'UTC', '+275758-06-01T00:00:00Z', 5)).toEqual([
        '+275759-01-01T00:00:00.000Z',
        '+275760-01-01T00:00:00.000Z',
      ]);
    });

    it('rejects an invalid date', () => {
      expect(() => nextFires(compile('@daily'), 'UTC', new Date('nope'), 1)).toThrow(/valid Date/);
    });
  });

  describe('iterateFires', () => {
    it('is the same sequence as nextFires, lazily', () => {
      const schedule = compile('*/15 * * * *');
      const after = new Date('2026-11-01T05:20:00Z');
      const lazy: Date[] = [];
      for (const fire of iterateFires(schedule, 'America/New_York', after)) {
        lazy.push(fire);
        if (lazy.length === 10) break;
      }
      expect(lazy).toEqual(nextFires(schedule, 'America/New_York', after, 10));
    });
  });

  describe('countFiresBetween', () => {
    it.each([
      {
        name: '@every arithmetically',
        expr: '@every 90s',
        zone: 'UTC',
        after: '2026-01-01T00:00:00Z',
        until: '2026-01-01T01:00:00Z',
        want: { count: 40, first: '2026-01-01T00:01:30.000Z', last: '2026-01-01T01:00:00.000Z' },
      },
      {
        name: 'a 25-hour fall-back day of */15',
        expr: '*/15 * * * *',
        zone: 'America/New_York',
        after: '2026-11-01T04:00:00Z',
        until: '2026-11-02T05:00:00Z',
        want: { count: 100, first: '2026-11-01T04:15:00.000Z', last: '2026-11-02T05:00:00.000Z' },
      },
      {
        name: 'one 02:30 fire per day of March, the gap day included',
        expr: '30 2 * * *',
        zone: 'America/New_York',
        after: '2026-03-01T00:00:00Z',
        until: '2026-04-01T00:00:00Z',
        want: { count: 31, first: '2026-03-01T07:30:00.000Z', last: '2026-03-31T06:30:00.000Z' },
      },
    ])('$name', ({ expr, zone, after, until, want }) => {
      const result = countFiresBetween(compile(expr), zone, new Date(after), new Date(until));
      expect({
        count: result.count,
        first: result.first?.toISOString(),
        last: result.last?.toISOString(),
      }).toEqual(want);
    });

    it('is empty when the window is empty or has no fire', () => {
      const schedule = compile('0 0 1 1 *');
      expect(
        countFiresBetween(
          schedule,
          'UTC',
          new Date('2026-01-02T00:00:00Z'),
          new Date('2026-01-01T00:00:00Z'),
        ),
      ).toEqual({ count: 0 });
      expect(
        countFiresBetween(
          schedule,
          'UTC',
          new Date('2026-01-02T00:00:00Z'),
          new Date('2026-06-01T00:00:00Z'),
        ),
      ).toEqual({ count: 0, next: new Date('2027-01-01T00:00:00Z') });
      expect(
        countFiresBetween(
          compile('@every 1h'),
          'UTC',
          new Date('2026-01-01T00:00:01Z'),
          new Date('2026-01-01T00:59:59Z'),
        ),
      ).toEqual({ count: 0, next: new Date('2026-01-01T01:00:00Z') });
    });

    it.each([
      ['0 0 1 1 *', 'UTC', '2026-01-02T00:00:00Z', '2026-06-01T00:00:00Z'],
      ['*/15 * * * *', 'Europe/Berlin', '2026-03-29T00:50:00Z', '2026-03-29T01:00:00Z'],
      ['30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z', '2026-03-29T00:59:00Z'],
      ['0 9 * * 5#2', 'America/New_York', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'],
      ['*/5 * * * * *', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T00:00:07Z'],
      ['@every 90s', 'UTC', '2026-01-01T00:00:00Z', '2026-01-01T00:03:00Z'],
      ['@every 1h', 'UTC', '2026-01-01T00:00:01Z', '2026-01-01T00:59:59Z'],
      ['0 0 29 2 *', 'UTC', '2026-01-01T00:00:00Z', '2026-06-01T00:00:00Z'],
    ])(
      '%s (%s) in (%s, %s]: next is the first instant after the window, as iterateFires finds it',
      (expression, zone, after, until) => {
        const schedule = compile(expression);
        const counted = countFiresBetween(schedule, zone, new Date(after), new Date(until));
        const first = iterateFires(schedule, zone, new Date(until)).next();
        expect(counted.next).toEqual(first.done ? undefined : first.value);
      },
    );

    it('counts a day of every-second fires across a DST change (86,400 of elapsed time) in well under a second', () => {
      const started = performance.now();
      const result = countFiresBetween(
        compile('*/1 * * * * *'),
        'America/New_York',
        new Date('2026-03-08T00:00:00Z'),
        new Date('2026-03-09T00:00:00Z'),
      );
      const elapsedMs = performance.now() - started;
      expect({
        count: result.count,
        first: result.first?.toISOString(),
        last: result.last?.toISOString(),
      }).toEqual({
        count: 86_400,
        first: '2026-03-08T00:00:01.000Z',
        last: '2026-03-09T00:00:00.000Z',
      });
      expect(elapsedMs).toBeLessThan(1000);
    });
  });
});
