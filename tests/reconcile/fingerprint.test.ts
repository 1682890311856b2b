import { describe, expect, it } from 'vitest';
import { canonicalJson, fingerprintSchedule } from '../../src/reconcile/fingerprint.js';
import { createRandom } from '../support/damage.js';

/** The canonical JSON as first written (built-in sort, every key quoted anew): the reference. */
function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(referenceCanonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts = Object.keys(record)
    .sort()
    .filter((key) => record[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${referenceCanonicalJson(record[key])}`);
  return `{${parts.join(',')}}`;
}

const KEY_PARTS = [
  'a',
  'B',
  'z',
  '_',
  '-',
  '0',
  '9',
  'é',
  'ä',
  '\u{1F600}',
  ' ',
  '"',
  '\\',
  '\n',
  'Z',
];

function generate(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 7 : 10));
  const text = (): string =>
    Array.from(
      { length: Math.floor(next() * 4) },
      () => KEY_PARTS[Math.floor(next() * KEY_PARTS.length)],
    ).join('');
  switch (pick) {
    case 0:
      return next() < 0.9 ? null : () => 1;
    case 1:
      return undefined;
    case 2:
      return next() < 0.5;
    case 3:
      return [0, -0, 1.5, -7, 1e21, Number.NaN, Number.POSITIVE_INFINITY][Math.floor(next() * 7)];
    case 4:
    case 5:
    case 6:
      return text();
    case 7:
      return Array.from({ length: Math.floor(next() * 4) }, () => generate(next, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(next() * 30) }, () => [text(), generate(next, depth + 1)]),
      );
  }
}

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

  it('gives the canonical JSON it always gave, for 2,000 generated values', () => {
    const next = createRandom(18);
    for (let round = 0; round < 2000; round += 1) {
      const value = generate(next, 0);
      expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
    }
  });

  it('puts index-like keys (params: { "10": …, "9": … }) in their sorted place too', () => {
    const value = { params: { '10': 'a', '9': 'b', x: { '2': [undefined, 'c'] } }, a: 1 };
    expect(canonicalJson(value)).toBe('{"a":1,"params":{"10":"a","9":"b","x":{"2":[null,"c"]}}}');
    expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
  });

  it('keeps an own __proto__ key as a member, as the first implementation did', () => {
    const value = Object.fromEntries([
      ['b', 1],
      ['__proto__', { x: 1 }],
    ]) as Record<string, unknown>;
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":1},"b":1}');
    expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
  });

  it('sorts keys by UTF-16 code units, as the built-in sort does', () => {
    const keys = ['b', 'B', 'a', 'é', '\u{1F600}', '\uFFFF', '_', 'aa', '', 'A'];
    const value = Object.fromEntries(keys.map((key, index) => [key, index]));
    expect(Object.keys(JSON.parse(canonicalJson(value)) as object)).toEqual(
      // Integer-like keys aside (none here), JSON.parse keeps the text's order.
      [...keys].sort(),
    );
  });

  it('is 16 hex digits', () => {
    expect(fingerprintSchedule({ name: 'a' }, {})).toMatch(/^[0-9a-f]{16}$/);
  });
});
