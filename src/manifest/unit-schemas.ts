// The zod schemas of durations and sizes (the parsing itself is units.ts, which loads no schema code).
import { z } from 'zod';
import { describeValue } from './issue-messages.js';
import {
  DURATION_PATTERN,
  SIZE_PATTERN,
  formatDuration,
  parseDuration,
  parseSize,
} from './units.js';

const DURATION_EXPECTED =
  'expected a duration like "500ms", "90s", "15m", "1h30m", "2d" or a whole number of seconds';
const SIZE_EXPECTED = 'expected a size like "64KiB", "1MiB", "10kB" or a whole number of bytes';

/** Options for `durationSchema`. */
export interface DurationSchemaOptions {
  /** Smallest accepted value in ms. @default 0 */
  minMs?: number;
}

/**
 * A duration field: input is a string matching DURATION_PATTERN or a non-negative integer
 * (seconds); output is milliseconds.
 */
export function durationSchema(options: DurationSchemaOptions = {}) {
  const minMs = options.minMs ?? 0;
  const error = (iss: { input?: unknown }) =>
    `${DURATION_EXPECTED}, got ${describeValue(iss.input)}`;
  return z
    .union([z.string().regex(DURATION_PATTERN, { error }), z.int().min(0, { error })], { error })
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `${DURATION_EXPECTED}, got ${describeValue(value)} (too large)`,
          input: value,
        });
        return z.NEVER;
      }
      if (ms < minMs) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration of at least ${formatDuration(minMs)}, got ${describeValue(value)}`,
          input: value,
        });
        return z.NEVER;
      }
      return ms;
    });
}

/** Options for `sizeSchema`. */
export interface SizeSchemaOptions {
  /** Largest accepted value in bytes. @default Number.MAX_SAFE_INTEGER */
  maxBytes?: number;
}

/** A size field: input is a string matching SIZE_PATTERN or a non-negative integer (bytes); output is bytes. */
export function sizeSchema(options: SizeSchemaOptions = {}) {
  const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
  const error = (iss: { input?: unknown }) => `${SIZE_EXPECTED}, got ${describeValue(iss.input)}`;
  return z
    .union([z.string().regex(SIZE_PATTERN, { error }), z.int().min(0, { error })], { error })
    .transform((value, ctx) => {
      const bytes = parseSize(value);
      if (bytes === undefined || bytes > maxBytes) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a size of at most ${maxBytes} bytes, got ${describeValue(value)}`,
          input: value,
        });
        return z.NEVER;
      }
      return bytes;
    });
}
