import { describe, expect, it } from 'vitest';
import {
  MAX_DEFER_MS,
  planClaimDelay,
  preferredReplica,
} from '../../../src/store/pg/claim-spread.js';

const peers = ['host:1:a', 'host:2:b', 'host:3:c'];

describe('store/pg/claim-spread', () => {
  it('gives every schedule one preferred replica, and spreads 1,000 schedules over three within ±15 %', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i += 1) {
      const preferred = preferredReplica(`job-${i}`, peers)!;
      expect(peers).toContain(preferred);
      expect(preferredReplica(`job-${i}`, [...peers])).toBe(preferred);
      counts.set(preferred, (counts.get(preferred) ?? 0) + 1);
    }
    for (const peer of peers) expect(Math.abs((counts.get(peer) ?? 0) - 333)).toBeLessThan(50);
  });

  it.each([
    { rule: 'the preferred replica claims at once', self: 'preferred', remaining: 150, delay: 0 },
    { rule: 'another waits half the time left', self: 'other', remaining: 150, delay: 75 },
    {
      rule: 'at most MAX_DEFER_MS',
      self: 'other',
      remaining: 1000,
      delay: MAX_DEFER_MS,
    },
    {
      rule: 'nobody waits when the instant is 20 ms away or past',
      self: 'other',
      remaining: 19,
      delay: 0,
    },
    { rule: 'nor for a catch-up (instant past)', self: 'other', remaining: -5000, delay: 0 },
  ])('$rule', ({ self, remaining, delay }) => {
    const preferred = preferredReplica('backup', peers)!;
    const me = self === 'preferred' ? preferred : peers.find((p) => p !== preferred)!;
    expect(planClaimDelay('backup', 10_000 + remaining, 10_000, me, peers)).toBe(delay);
  });

  it('without other live replicas, or not among them yet, nobody waits', () => {
    expect(planClaimDelay('backup', 10_150, 10_000, 'host:1:a', ['host:1:a'])).toBe(0);
    expect(planClaimDelay('backup', 10_150, 10_000, 'host:9:z', peers)).toBe(0);
    expect(planClaimDelay('backup', 10_150, 10_000, 'host:1:a', [])).toBe(0);
  });
});
