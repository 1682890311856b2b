import { describe, expect, it } from 'vitest';
import { findClosest, measureEditDistance } from '../../src/manifest/suggest.js';

describe('manifest/suggest', () => {
  it.each([
    ['timout', 'timeout', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['same', 'same', 0],
  ])('measureEditDistance(%s, %s) = %d', (a, b, expected) => {
    expect(measureEditDistance(a, b)).toBe(expected);
  });

  it.each([
    ['timout', ['timeout', 'timezone', 'jitter'], 'timeout'],
    ['Europe/Berln', ['Europe/Berlin', 'Europe/Bern'], 'Europe/Berlin'],
    ['FORBID', ['Allow', 'Forbid'], 'Forbid'],
    ['completely-different', ['timeout', 'jitter'], undefined],
    ['x', ['timeout'], undefined],
    ['fromEnvironment', ['fromEnv', 'fromFile'], 'fromEnv'],
    ['retention', ['retentionDays', 'databases'], 'retentionDays'],
    ['tim', ['timeout'], undefined],
  ])('findClosest(%s) = %s', (word, candidates, expected) => {
    expect(findClosest(word, candidates)).toBe(expected);
  });
});
