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

  it('stays the same across releases (history records carry it as specHash)', () => {
    const metadata = { name: 'db-backup', labels: { team: 'data', tier: '1' } };
    const spec = {
      schedule: '0 3 * * *',
      timezone: 'Europe/Berlin',
      task: { command: ['pg_dump', '--format=c'], env: { B: '2', A: '1' } },
      retries: { limit: 2, backoff: 'exponential' },
      notify: [{ on: ['failure'], webhook: { url: 'https://x' } }],
      optional: undefined,
      flag: true,
      n: 1.5,
      nothing: null,
    };
    expect(fingerprintSchedule(metadata, spec)).toBe('4c4571b2b9c876c6');
  });

  it('is 16 hex digits', () => {
    expect(fingerprintSchedule({ name: 'a' }, {})).toMatch(/^[0-9a-f]{16}$/);
  });
});
