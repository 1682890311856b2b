// `@every <duration>`: parsing the duration and saying it in words.

/** One "<number><unit>" piece of a duration as written. */
export interface DurationPart {
  amount: number;
  unit: DurationUnit;
}

export type DurationUnit = 'day' | 'hour' | 'minute' | 'second' | 'millisecond';

const UNIT_MS: Record<DurationUnit, number> = {
  day: 86_400_000,
  hour: 3_600_000,
  minute: 60_000,
  second: 1_000,
  millisecond: 1,
};

const SUFFIX_UNIT: Record<string, DurationUnit> = {
  d: 'day',
  h: 'hour',
  m: 'minute',
  s: 'second',
  ms: 'millisecond',
};

/** Units in the order they must be written: `1h30m`, not `30m1h`. */
const PIECES = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const SUFFIXES = ['d', 'h', 'm', 's', 'ms'] as const;

/** The shortest period `@every` accepts. */
export const MIN_EVERY_MS = 1_000;

/** The largest instant a Date can hold; a longer period could never fire after the epoch. */
const MAX_EVERY_MS = 8.64e15;

export type ParsedEvery =
  { ok: true; everyMs: number; parts: DurationPart[] } | { ok: false; message: string };

/**
 * Parse the duration of `@every`: `500ms`, `90s`, `15m`, `1h30m`, `2d` (units in that
 * order, each at most once) or a bare whole number of seconds. At least 1s.
 */
export function parseEveryDuration(text: string): ParsedEvery {
  let parts: DurationPart[];
  if (/^\d+$/.test(text)) {
    parts = [{ amount: Number(text), unit: 'second' }];
  } else {
    const match = text === '' ? null : PIECES.exec(text);
    if (match === null) {
      return {
        ok: false,
        message: `"${text}" is not a duration; write it like "90s", "15m", "1h30m", "2d" or a whole number of seconds`,
      };
    }
    parts = [];
    SUFFIXES.forEach((suffix, index) => {
      const amount = match[index + 1];
      if (amount !== undefined) parts.push({ amount: Number(amount), unit: SUFFIX_UNIT[suffix]! });
    });
  }
  const everyMs = parts.reduce((sum, part) => sum + part.amount * UNIT_MS[part.unit], 0);
  if (everyMs < MIN_EVERY_MS) {
    return { ok: false, message: `"${text}" is shorter than the minimum period of 1s` };
  }
  if (!Number.isSafeInteger(everyMs) || everyMs > MAX_EVERY_MS) {
    return { ok: false, message: `"${text}" is too long to ever fire` };
  }
  return { ok: true, everyMs, parts };
}

/** "Every 90 seconds", "Every hour", "Every 1 hour and 30 minutes": the duration as written. */
export function describeEveryParts(parts: readonly DurationPart[]): string {
  const nonZero = parts.filter((part) => part.amount !== 0);
  if (nonZero.length === 1 && nonZero[0]!.amount === 1) return `Every ${nonZero[0]!.unit}`;
  const words = nonZero.map((part) => `${part.amount} ${part.unit}${part.amount === 1 ? '' : 's'}`);
  const joined =
    words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)!}`;
  return `Every ${joined}`;
}
