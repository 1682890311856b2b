import { describe, expect, it } from 'vitest';
import { monotonicFactory } from 'ulid';
import {
  buildIdFilter,
  decodeIdFilter,
  EMPTY_ID_FILTER,
  encodeIdFilter,
  idFilterMayContain,
  probeId,
} from '../../src/history/id-filter.js';

const nextId = monotonicFactory(() => 0.5);

describe('history/id-filter', () => {
  const ids = Array.from({ length: 100 }, () => nextId(Date.UTC(2026, 2, 8)));
  const filter = buildIdFilter(ids, ids.length);

  it('holds every id it was built from', () => {
    expect(ids.every((id) => idFilterMayContain(filter, probeId(id)))).toBe(true);
  });

  it('rarely says "maybe" for an id it does not hold (16 bits per id)', () => {
    const others = Array.from({ length: 20_000 }, () => nextId(Date.UTC(2026, 2, 9)));
    const maybe = others.filter((id) => idFilterMayContain(filter, probeId(id))).length;
    expect(maybe).toBeLessThan(others.length / 200);
  });

  it('round-trips through its text form', () => {
    const decoded = decodeIdFilter(encodeIdFilter(filter));
    expect(decoded).toEqual(filter);
    expect(ids.every((id) => idFilterMayContain(decoded!, probeId(id)))).toBe(true);
  });

  it('an empty filter holds nothing', () => {
    expect(idFilterMayContain(buildIdFilter([], 0), probeId(ids[0]!))).toBe(false);
  });

  it('reads the text of an empty filter as the one shared empty filter', () => {
    expect(decodeIdFilter(encodeIdFilter(buildIdFilter([], 0)))).toBe(EMPTY_ID_FILTER);
    expect(EMPTY_ID_FILTER.every((byte) => byte === 0)).toBe(true);
    expect(decodeIdFilter(encodeIdFilter(filter))).not.toBe(EMPTY_ID_FILTER);
  });

  it.each(['', 'abc', '!!!!!!!!!!!!', 'AAAA'])('refuses %j as a filter', (text) => {
    expect(decodeIdFilter(text)).toBeUndefined();
  });
});
