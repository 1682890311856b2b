import { describe, expect, it } from 'vitest';
import {
  nextActiveFires,
  selectWindowPhase,
  toActiveWindow,
} from '../../src/cron/active-window.js';
import { compileSchedule } from '../../src/cron/compile.js';

function compile(expression: string) {
  const result = compileSchedule(expression);
  if (!result.ok) throw new Error(`cannot compile ${expression}`);
  return result.schedule;
}

describe('cron/active-window', () => {
  it.each([
    // expression, activeFrom, activeUntil, after, expected fires
    [
      '0 * * * *',
      undefined,
      undefined,
      '2026-05-01T10:30:00Z',
      ['2026-05-01T11:00:00.000Z', '2026-05-01T12:00:00.000Z'],
    ],
    [
      '0 * * * *',
      '2026-05-01T12:00:00Z',
      undefined,
      '2026-05-01T10:30:00Z',
      ['2026-05-01T12:00:00.000Z', '2026-05-01T13:00:00.000Z'],
    ],
    [
      '0 * * * *',
      undefined,
      '2026-05-01T12:00:00Z',
      '2026-05-01T10:30:00Z',
      ['2026-05-01T11:00:00.000Z', '2026-05-01T12:00:00.000Z'],
    ],
    [
      '0 * * * *',
      undefined,
      '2026-05-01T11:59:59Z',
      '2026-05-01T10:30:00Z',
      ['2026-05-01T11:00:00.000Z'],
    ],
    ['*/1 * * * * *', undefined, '2020-01-01T00:00:00Z', '2026-05-01T10:30:00Z', []],
    [
      '@every 90m',
      '2026-05-01T00:00:00Z',
      '2026-05-01T03:00:00Z',
      '2026-04-30T00:00:00Z',
      ['2026-05-01T00:00:00.000Z', '2026-05-01T01:30:00.000Z'],
    ],
  ])('"%s" from %s until %s, after %s', (expression, from, until, after, expected) => {
    const window = toActiveWindow({ activeFrom: from, activeUntil: until });
    const fires = nextActiveFires(compile(expression), 'UTC', new Date(after), window, 2);
    expect(fires.map((at) => at.toISOString())).toEqual(expected);
  });

  it.each([
    [undefined, undefined, '2026-05-01T10:00:00Z', undefined, 'active'],
    ['2026-05-02T00:00:00Z', undefined, '2026-05-01T10:00:00Z', undefined, 'not-started'],
    ['2026-05-01T10:00:00Z', undefined, '2026-05-01T10:00:00Z', undefined, 'active'],
    [undefined, '2026-05-01T09:00:00Z', '2026-05-01T10:00:00Z', undefined, 'ended'],
    [undefined, '2026-05-01T10:00:00Z', '2026-05-01T10:00:00Z', undefined, 'active'],
    // activeUntil still ahead, but the schedule's next fire is after it: nothing is left to run.
    [
      undefined,
      '2026-05-01T10:30:00Z',
      '2026-05-01T10:00:00Z',
      Date.parse('2026-05-01T11:00:00Z'),
      'ended',
    ],
  ] as const)('from %s until %s at %s (next %s): %s', (from, until, now, next, phase) => {
    const window = toActiveWindow({ activeFrom: from, activeUntil: until });
    expect(selectWindowPhase(window, new Date(now), next)).toBe(phase);
  });
});
