// The cadence a frequent timeline lane is labelled with: the most common gap between its fires.
import { describe, expect, it } from 'vitest';
import { findCommonGap } from '../../src/status/timeline.js';

const MINUTE = 60_000;

describe('status/timeline findCommonGap', () => {
  it.each([
    ['one gap', [[1_000, 86_399]], 1_000],
    // `*/9 * * * *`: 6 gaps of 9 minutes and one of 6 minutes an hour.
    ['every 9 minutes of the hour', [[9 * MINUTE, 144], [6 * MINUTE, 24]], 9 * MINUTE],
    ['a tie takes the smaller gap', [[2_000, 10], [1_000, 10]], 1_000],
  ] as const)('%s', (_name, entries, expected) => {
    expect(findCommonGap(new Map(entries.map(([gap, count]) => [gap, count])))).toBe(expected);
  });
});
