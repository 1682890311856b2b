import { describe, expect, it } from 'vitest';
import {
  clearZoneOffsetCache,
  findTransition,
  getZoneOffsets,
  offsetAt,
  toWallMs,
} from '../../src/cron/zone-offsets.js';

const H = 3_600_000;
const M = 60_000;
const at = (iso: string): number => Date.parse(iso);

describe('cron/zone-offsets', () => {
  describe('offsetAt', () => {
    it.each([
      { zone: 'UTC', instant: '2026-03-08T07:00:00Z', offset: 0 },
      { zone: 'America/New_York', instant: '2026-03-08T06:59:59Z', offset: -5 * H },
      { zone: 'America/New_York', instant: '2026-03-08T07:00:00Z', offset: -4 * H },
      { zone: 'America/New_York', instant: '2026-11-01T05:59:59Z', offset: -4 * H },
      { zone: 'America/New_York', instant: '2026-11-01T06:00:00Z', offset: -5 * H },
      { zone: 'Australia/Lord_Howe', instant: '2026-10-03T15:29:59Z', offset: 10 * H + 30 * M },
      { zone: 'Australia/Lord_Howe', instant: '2026-10-03T15:30:00Z', offset: 11 * H },
      { zone: 'Pacific/Chatham', instant: '2026-04-04T13:59:59Z', offset: 13 * H + 45 * M },
      { zone: 'Pacific/Chatham', instant: '2026-04-04T14:00:00Z', offset: 12 * H + 45 * M },
      { zone: 'Asia/Kolkata', instant: '2026-06-01T00:00:00Z', offset: 5 * H + 30 * M },
      // Local mean time before standard time: offsets with seconds.
      {
        zone: 'America/New_York',
        instant: '1880-01-01T00:00:00Z',
        offset: -(4 * H + 56 * M + 2_000),
      },
    ])('$zone at $instant', ({ zone, instant, offset }) => {
      expect(offsetAt(zone, at(instant))).toBe(offset);
    });

    it('gives the same answers from a cold cache and a warm one', () => {
      const instants = [
        at('2026-03-08T06:30:00Z'),
        at('2026-03-08T07:30:00Z'),
        at('2026-11-01T05:30:00Z'),
      ];
      clearZoneOffsetCache();
      const cold = instants.map((t) => offsetAt('America/New_York', t));
      const warm = instants.map((t) => getZoneOffsets('America/New_York').offsetAt(t));
      expect(cold).toEqual([-5 * H, -4 * H, -4 * H]);
      expect(warm).toEqual(cold);
    });
  });

  describe('agrees with a direct Intl reading', () => {
    /** The reference: formatToParts at the instant itself, no cache. */
    function readDirectly(zone: string, instant: number): number {
      const parts = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      }).formatToParts(instant);
      const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
      const wall = Date.UTC(
        get('year'),
        get('month') - 1,
        get('day'),
        get('hour') % 24,
        get('minute'),
        get('second'),
      );
      return wall - Math.floor(instant / 1000) * 1000;
    }

    const transitions = [
      { zone: 'America/New_York', at: '2026-03-08T07:00:00Z' },
      { zone: 'Europe/Berlin', at: '2026-10-25T01:00:00Z' },
      { zone: 'Australia/Lord_Howe', at: '2026-10-03T15:30:00Z' },
      { zone: 'America/Santiago', at: '2026-04-05T03:00:00Z' },
      { zone: 'Pacific/Chatham', at: '2026-09-26T14:00:00Z' },
    ];

    it.each(transitions)(
      '$zone, every second from 3s before to 3s after $at',
      ({ zone, at: iso }) => {
        clearZoneOffsetCache();
        const instants = Array.from({ length: 7 }, (_, i) => at(iso) + (i - 3) * 1000);
        expect(instants.map((t) => offsetAt(zone, t))).toEqual(
          instants.map((t) => readDirectly(zone, t)),
        );
        expect(instants.map((t) => getZoneOffsets(zone).peekOffset(t))).toEqual(
          instants.map((t) => readDirectly(zone, t)),
        );
      },
    );

    it.each(transitions.map((t) => t.zone))('%s at 500 spread-out instants of 2026', (zone) => {
      clearZoneOffsetCache();
      const start = at('2026-01-01T00:00:00Z');
      // 7919 is prime: the instants land on every hour and minute of the day over the year.
      const instants = Array.from({ length: 500 }, (_, i) => start + i * 7919 * 8_000);
      expect(instants.map((t) => offsetAt(zone, t))).toEqual(
        instants.map((t) => readDirectly(zone, t)),
      );
    });
  });

  describe('findTransition', () => {
    it.each([
      {
        zone: 'America/New_York',
        from: '2026-03-08T00:00:00Z',
        to: '2026-03-09T00:00:00Z',
        want: '2026-03-08T07:00:00.000Z',
      },
      {
        zone: 'Europe/Berlin',
        from: '2026-10-24T12:00:00Z',
        to: '2026-10-25T12:00:00Z',
        want: '2026-10-25T01:00:00.000Z',
      },
      {
        zone: 'Australia/Lord_Howe',
        from: '2026-10-03T00:00:00Z',
        to: '2026-10-04T00:00:00Z',
        want: '2026-10-03T15:30:00.000Z',
      },
      {
        zone: 'America/Santiago',
        from: '2026-09-05T12:00:00Z',
        to: '2026-09-06T12:00:00Z',
        want: '2026-09-06T04:00:00.000Z',
      },
      // The window is (from, to]: a transition exactly at `to` counts, one at `from` does not.
      {
        zone: 'America/New_York',
        from: '2026-03-08T06:00:00Z',
        to: '2026-03-08T07:00:00Z',
        want: '2026-03-08T07:00:00.000Z',
      },
      {
        zone: 'America/New_York',
        from: '2026-03-08T07:00:00Z',
        to: '2026-03-08T09:00:00Z',
        want: undefined,
      },
      { zone: 'UTC', from: '2026-01-01T00:00:00Z', to: '2026-12-31T00:00:00Z', want: undefined },
    ])('$zone in ($from, $to]', ({ zone, from, to, want }) => {
      const found = findTransition(zone, at(from), at(to));
      expect(found === undefined ? undefined : new Date(found).toISOString()).toBe(want);
    });
  });

  describe('findConstantUntil', () => {
    it('stops at the next transition, or at the end of the look-ahead (rounded up to a UTC day)', () => {
      const zone = getZoneOffsets('Europe/Berlin');
      expect(
        new Date(zone.findConstantUntil(at('2026-03-28T00:00:00Z'), 7 * 24 * H)).toISOString(),
      ).toBe('2026-03-29T01:00:00.000Z');
      expect(
        new Date(zone.findConstantUntil(at('2026-06-01T00:30:00Z'), 2 * H)).toISOString(),
      ).toBe('2026-06-02T00:00:00.000Z');
    });
  });

  describe('toWallMs', () => {
    it.each([
      { parts: [2026, 3, 8, 2, 30, 0], want: '2026-03-08T02:30:00.000Z' },
      { parts: [2028, 2, 29, 23, 59, 59], want: '2028-02-29T23:59:59.000Z' },
      { parts: [50, 1, 1, 0, 0, 0], want: '0050-01-01T00:00:00.000Z' },
    ])('$want', ({ parts, want }) => {
      const [year, month, day, hour, minute, second] = parts as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      expect(new Date(toWallMs(year, month, day, hour, minute, second)).toISOString()).toBe(want);
    });
  });
});
