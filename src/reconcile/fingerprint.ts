// A stable hash of a schedule's definition: equal definitions hash equal whatever their key order or file.
import { createHash } from 'node:crypto';

/** An array index as an object key: objects list these first, in numeric order, whatever the insertion order. */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

/** Not expressible by a copy with sorted keys (see sortedCopy). */
const UNSORTABLE = Symbol('unsortable');

/**
 * Sort in place by UTF-16 code units, as `Array.prototype.sort()` without a comparator orders strings.
 * An object has a few to a few dozen keys: insertion sort allocates nothing, where the built-in sort
 * copies the array into a work area each time.
 */
function sortKeys(keys: string[]): void {
  for (let i = 1; i < keys.length; i += 1) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j -= 1;
    }
    keys[j + 1] = key;
  }
}

/**
 * A copy of `value` whose objects have their keys inserted in sorted order and no undefined members, so that
 * `JSON.stringify` of it is the canonical JSON; UNSORTABLE when an object has a key that looks like an array
 * index (the copy could not put it in its sorted place) or an own `__proto__`.
 */
function sortedCopy(value: unknown): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') return null;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i += 1) {
      const item = sortedCopy(value[i]);
      if (item === UNSORTABLE) return UNSORTABLE;
      copy[i] = item;
    }
    return copy;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // Objects list index-like keys first, so only the first can be one.
  if (keys.length > 0 && INDEX_KEY.test(keys[0] as string)) return UNSORTABLE;
  sortKeys(keys);
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    // Assigned, an own `__proto__` would set the copy's prototype instead of becoming a member.
    if (key === '__proto__') return UNSORTABLE;
    const sorted = sortedCopy(item);
    if (sorted === UNSORTABLE) return UNSORTABLE;
    copy[key] = sorted;
  }
  return copy;
}

/** The canonical JSON built piece by piece: for values a sorted copy cannot express (see sortedCopy). */
function canonicalPieces(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i > 0 ? ',' : '') + canonicalPieces(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  sortKeys(keys);
  let out = '{';
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalPieces(item)}`;
  }
  return `${out}}`;
}

/**
 * JSON with object keys sorted by UTF-16 code units and undefined members left out, so that key order in
 * the YAML never changes the hash. Made by one native `JSON.stringify` of a sorted copy: building the text
 * piece by piece in JavaScript took 2–3 times as long and allocated ~16 KB per schedule (docs/design/memory.md).
 */
export function canonicalJson(value: unknown): string {
  const sorted = sortedCopy(value);
  if (sorted === UNSORTABLE) return canonicalPieces(value);
  return JSON.stringify(sorted) ?? 'null';
}

/**
 * The fingerprint of a schedule: the first 16 hex digits of the SHA-256 of its metadata and resolved
 * spec. The file it lives in is deliberately left out: moving a schedule between files is not a change.
 */
export function fingerprintSchedule(metadata: unknown, spec: unknown): string {
  // Eight bytes to hex, not a slice of the whole digest's hex: a slice would keep all 64 digits alive.
  return createHash('sha256')
    .update(canonicalJson({ metadata, spec }))
    .digest()
    .toString('hex', 0, 8);
}
