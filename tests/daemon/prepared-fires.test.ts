// Fires prepared ahead of their instant: found by schedule and instant, older ones dropped on the way.
import { describe, expect, it } from 'vitest';
import { PreparedFires, type PreparedFire } from '../../src/daemon/prepared-fires.js';

function fire(runId: string): PreparedFire {
  return { runId, committed: Promise.resolve() };
}

const at = (iso: string): Date => new Date(iso);

describe('daemon/prepared-fires', () => {
  it('takes the fire of a schedule at an instant once, and drops its older ones', () => {
    const prepared = new PreparedFires();
    prepared.add('a', at('2026-01-01T00:00:00Z'), fire('a0'));
    prepared.add('a', at('2026-01-01T00:01:00Z'), fire('a1'));
    prepared.add('a', at('2026-01-01T00:02:00Z'), fire('a2'));
    prepared.add('ab', at('2026-01-01T00:00:00Z'), fire('ab0'));
    expect(prepared.take('a', at('2026-01-01T00:01:00Z'))?.runId).toBe('a1');
    expect(prepared.take('a', at('2026-01-01T00:01:00Z'))).toBeUndefined();
    // a0 went with the take at 00:01; another schedule whose name starts the same is untouched.
    expect(prepared.take('a', at('2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(prepared.take('ab', at('2026-01-01T00:00:00Z'))?.runId).toBe('ab0');
    expect(prepared.take('a', at('2026-01-01T00:02:00Z'))?.runId).toBe('a2');
  });

  it('a take at an instant that was not prepared still drops the older ones', () => {
    const prepared = new PreparedFires();
    prepared.add('a', at('2026-01-01T00:00:00Z'), fire('a0'));
    prepared.add('a', at('2026-01-01T00:05:00Z'), fire('a5'));
    expect(prepared.take('a', at('2026-01-01T00:01:00Z'))).toBeUndefined();
    expect(prepared.take('a', at('2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(prepared.take('a', at('2026-01-01T00:05:00Z'))?.runId).toBe('a5');
  });

  it('forget drops every prepared fire of the schedule only', () => {
    const prepared = new PreparedFires();
    prepared.add('a', at('2026-01-01T00:00:00Z'), fire('a0'));
    prepared.add('b', at('2026-01-01T00:00:00Z'), fire('b0'));
    prepared.forget('a');
    expect(prepared.take('a', at('2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(prepared.take('b', at('2026-01-01T00:00:00Z'))?.runId).toBe('b0');
  });
});
