// A stable hash of a schedule's definition: equal definitions hash equal whatever their key order or file.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so that key order in the YAML never changes the hash. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `${out}}`;
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
