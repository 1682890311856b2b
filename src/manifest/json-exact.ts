// Whether JSON gives a value back exactly: what the parse cache may keep, and what parsed parts may be shared by their JSON.

/**
 * Whether `JSON.parse(JSON.stringify(value))` is deeply and strictly equal to `value` (isDeepStrictEqual):
 * plain objects and arrays (no holes, no extra keys, no symbol keys) of strings, booleans, null and finite
 * numbers other than -0. Answered by a walk, without serialising and parsing back. Two such values are
 * deeply equal exactly when their JSON texts are equal, key order included.
 */
export function survivesJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object') return false;
  if (Object.getOwnPropertySymbols(value).length > 0) return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let index = 0; index < value.length; index += 1)
      if (!(index in value) || !survivesJson(value[index])) return false;
    return Object.keys(value).length === value.length;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false;
    if (!survivesJson((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}
