import { describe, expect, it } from 'vitest';
import { fingerprintSchedule } from '../../src/reconcile/fingerprint.js';

describe('reconcile/fingerprint', () => {
  it('ignores key order', () => {
    expect(fingerprintSchedule({ name: 'a' }, { schedule: '* * * * *', timeout: 1 })).toBe(
      fingerprintSchedule({ name: 'a' }, { timeout: 1, schedule: '* * * * *' }),
    );
  });

  it.each([
    [{ schedule: '* * * * *' }, { schedule: '*/2 * * * *' }],
    [{ env: { A: '1' } }, { env: { A: '2' } }],
    [{ command: ['a', 'b'] }, { command: ['b', 'a'] }],
  ])('changes when the spec changes: %j vs %j', (a, b) => {
    expect(fingerprintSchedule({ name: 'a' }, a)).not.toBe(fingerprintSchedule({ name: 'a' }, b));
  });

  it('is 16 hex digits', () => {
    expect(fingerprintSchedule({ name: 'a' }, {})).toMatch(/^[0-9a-f]{16}$/);
  });
});
