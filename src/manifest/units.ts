// Durations and sizes as people write them in manifests ("1h30m", "64KiB"), resolved to ms and bytes.

/**
 * A duration: units in the order d, h, m, s, ms, each an integer, at least one present
 * ("500ms", "90s", "15m", "1h30m", "2d"), or digits alone meaning seconds.
 */
export const DURATION_PATTERN = /^(?:\d+|(?=\d)(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?)$/;

/**
 * A size: an integer, optionally followed by a unit. `KiB`/`MiB`/`GiB` are powers of 1024,
 * `kB`/`KB`/`MB`/`GB` powers of 1000, `B` is bytes. Digits alone mean bytes.
 */
export const SIZE_PATTERN = /^\d+(?:B|kB|KB|KiB|MB|MiB|GB|GiB)?$/;

const DURATION_UNIT_MS: Record<string, number> = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};

const SIZE_UNIT_BYTES: Record<string, number> = {
  '': 1,
  B: 1,
  kB: 1_000,
  KB: 1_000,
  KiB: 1_024,
  MB: 1_000_000,
  MiB: 1_048_576,
  GB: 1_000_000_000,
  GiB: 1_073_741_824,
};

const parsedDurations = new Map<string, number | undefined>();

/** Milliseconds for a duration string or a number of seconds; undefined when it is not one. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value * 1000 : undefined;
  }
  // A directory repeats a handful of durations thousands of times.
  if (parsedDurations.has(value)) return parsedDurations.get(value);
  const ms = computeDuration(value);
  if (parsedDurations.size >= 10_000) parsedDurations.clear();
  parsedDurations.set(value, ms);
  return ms;
}

function computeDuration(value: string): number | undefined {
  if (!DURATION_PATTERN.test(value)) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  let total = 0;
  for (const match of value.matchAll(/(\d+)(ms|d|h|m|s)/g)) {
    total += Number(match[1]) * (DURATION_UNIT_MS[match[2] ?? ''] ?? 0);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Bytes for a size string or an integer number of bytes; undefined when it is not one. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  const match = /^(\d+)(\D*)$/.exec(value);
  if (!match || !SIZE_PATTERN.test(value)) return undefined;
  const bytes = Number(match[1]) * (SIZE_UNIT_BYTES[match[2] ?? ''] ?? Number.NaN);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A compact human form of a duration in ms ("1h30m", "500ms", "0s"), for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of Object.entries(DURATION_UNIT_MS)) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
