import { describe, expect, it } from 'vitest';
import { checkTimeZone, listTimeZones } from '../../src/manifest/timezone.js';

describe('manifest/timezone', () => {
  it.each([
    ['UTC'],
    ['Etc/UTC'],
    ['Europe/Berlin'],
    ['America/New_York'],
    ['America/Argentina/Buenos_Aires'],
    ['US/Eastern'],
    ['Etc/GMT+5'],
  ])('%s is accepted', (zone) => {
    expect(checkTimeZone(zone)).toEqual({ ok: true });
  });

  it.each([
    ['Europe/Berln', 'unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)'],
    [
      'europe/berlin',
      'unknown time zone "europe/berlin" (did you mean "Europe/Berlin"? time zone names are case-sensitive)',
    ],
    ['utc', 'unknown time zone "utc" (did you mean "UTC"? time zone names are case-sensitive)'],
    ['Berlin', 'unknown time zone "Berlin" (did you mean "Europe/Berlin"?)'],
    [
      'Mars/Olympus_Mons',
      'unknown time zone "Mars/Olympus_Mons" (expected an IANA name like "Europe/Berlin" or "UTC")',
    ],
  ])('%s is refused: %s', (zone, message) => {
    expect(checkTimeZone(zone)).toEqual({ ok: false, message });
  });

  it('lists the zones Intl knows plus UTC and Etc/UTC', () => {
    const zones = listTimeZones();
    expect(zones).toContain('UTC');
    expect(zones).toContain('Etc/UTC');
    expect(zones).toContain('Asia/Tokyo');
    expect(zones.length).toBeGreaterThan(300);
  });
});
