// Fires prepared ahead of their instant: found by schedule and instant, taken up to an instant at once.
import { describe, expect, it } from 'vitest';
import { PreparedFires, type PreparedFire } from '../../src/daemon/prepared-fires.js';

function fire(runId: string): PreparedFire {
  return { runId, committed: Promise.resolve() };
}

const at = (iso: string): Date => new Date(iso);
const ids = (taken: Map<number, PreparedFire>): string[] =>
  [...taken.values()].map((prepared) => prepared.runId);

describe('daemon/prepared-fires', () => {
  it('takes every fire of a schedule up to an instant once, leaving later ones and other schedules', () => {
    const prepared = new PreparedFires();
    prepared.add('a', at('2026-01-01T00:00:00Z'), fire('a0'));
    prepared.add('a', at('2026-01-01T00:01:00Z'), fire('a1'));
    prepared.add('a', at('2026-01-01T00:02:00Z'), fire('a2'));
    prepared.add('ab', at('2026-01-01T00:00:00Z'), fire('ab0'));
    // A late wake-up hands out 00:00 and 00:01 together: both prepared fires come back, by instant.
    const taken = prepared.takeUpTo('a', at('2026-01-01T00:01:00Z'));
    expect([...taken.keys()]).toEqual([
      Date.parse('2026-01-01T00:00:00Z'),
      Date.parse('2026-01-01T00:01:00Z'),
    ]);
    expect(ids(taken)).toEqual(['a0', 'a1']);
    expect(ids(prepared.takeUpTo('a', at('2026-01-01T00:01:00Z')))).toEqual([]);
    // Another schedule whose name starts the same is untouched.
    expect(prepared.has('ab', at('2026-01-01T00:00:00Z'))).toBe(true);
    expect(ids(prepared.takeUpTo('ab', at('2026-01-01T00:00:00Z')))).toEqual(['ab0']);
    expect(ids(prepared.takeUpTo('a', at('2026-01-01T00:02:00Z')))).toEqual(['a2']);
  });

  it('has says whether an instant is prepared (preparing it again would claim it twice)', () => {
    const prepared = new PreparedFires();
    prepared.add('a', at('2026-01-01T00:05:00Z'), fire('a5'));
    expect(prepared.has('a', at('2026-01-01T00:05:00Z'))).toBe(true);
    expect(prepared.has('a', at('2026-01-01T00:04:00Z'))).toBe(false);
    expect(prepared.has('b', at('2026-01-01T00:05:00Z'))).toBe(false);
  });

  it('forget drops every prepared fire of the schedule only', () => {
    const prepared = new PreparedFires();
    prepared.add('a', at('2026-01-01T00:00:00Z'), fire('a0'));
    prepared.add('b', at('2026-01-01T00:00:00Z'), fire('b0'));
    prepared.forget('a');
    expect(prepared.has('a', at('2026-01-01T00:00:00Z'))).toBe(false);
    expect(ids(prepared.takeUpTo('b', at('2026-01-01T00:00:00Z')))).toEqual(['b0']);
  });
});
