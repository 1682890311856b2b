import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseSize } from '../../src/manifest/units.js';

describe('manifest/units', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1d2h3m4s5ms', 93_784_005],
    ['0s', 0],
    ['90', 90_000],
    [90, 90_000],
    [0, 0],
  ] as const)('parseDuration(%j) = %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    ['5 minutes'],
    ['1.5h'],
    ['h'],
    [''],
    ['30m1h'],
    ['-5s'],
    ['15M'],
    ['1w'],
    [-1],
    [1.5],
  ] as const)('parseDuration(%j) is not a duration', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  it.each([
    ['64KiB', 65_536],
    ['1MiB', 1_048_576],
    ['1GiB', 1_073_741_824],
    ['10kB', 10_000],
    ['10KB', 10_000],
    ['2MB', 2_000_000],
    ['512B', 512],
    ['4096', 4096],
    [4096, 4096],
  ] as const)('parseSize(%j) = %d bytes', (input, expected) => {
    expect(parseSize(input)).toBe(expected);
  });

  it.each([['64 KiB'], ['64kib'], ['1.5MiB'], ['10XB'], [''], [-1], [2.5]] as const)(
    'parseSize(%j) is not a size',
    (input) => {
      expect(parseSize(input)).toBeUndefined();
    },
  );

  it.each([
    [0, '0s'],
    [500, '500ms'],
    [5_400_000, '1h30m'],
    [93_784_005, '1d2h3m4s5ms'],
  ])('formatDuration(%d) = %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});
