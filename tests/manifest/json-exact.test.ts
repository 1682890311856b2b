import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { survivesJson } from '../../src/manifest/json-exact.js';

describe('manifest/json-exact', () => {
  it.each([
    { value: { a: [1, 'x', { b: null, c: true }], d: 1.5 }, exact: true },
    { value: [], exact: true },
    { value: 'text', exact: true },
    { value: { a: undefined }, exact: false },
    { value: [1, undefined], exact: false },
    // eslint-disable-next-line no-sparse-arrays
    { value: [1, , 2], exact: false },
    { value: { at: new Date(0) }, exact: false },
    { value: { n: Number.NaN }, exact: false },
    { value: { n: Number.POSITIVE_INFINITY }, exact: false },
    { value: { n: -0 }, exact: false },
    { value: { f: () => 1 }, exact: false },
    { value: { m: new Map() }, exact: false },
    { value: Object.create(null) as object, exact: false },
    { value: { big: 1n }, exact: false },
  ])(
    '$value survives JSON: $exact, as a parse back and a deep comparison say',
    ({ value, exact }) => {
      let roundTrips: boolean;
      try {
        const json = JSON.stringify(value);
        roundTrips = json !== undefined && isDeepStrictEqual(JSON.parse(json), value);
      } catch {
        roundTrips = false;
      }
      expect(roundTrips).toBe(exact);
      expect(survivesJson(value)).toBe(exact);
    },
  );
});
