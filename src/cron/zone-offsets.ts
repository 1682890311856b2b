// The UTC offset of an IANA time zone at an instant, read from Intl and cached per zone per UTC day.
import type { WallTime } from './calendar.js';

/**
 * The cache granularity: one UTC day. A bucket whose two ends show different offsets holds
 * exactly one transition, found by binary search to the second. This assumes a zone's
 * offset changes at most once a day, which the firing engine assumes anyway (one change
 * within the 30 hours around a wall time). An Intl call costs 5–20 µs, so reading two
 * offsets per day instead of per hour is what keeps sparse schedules (daily, yearly) fast.
 */
const BUCKET_MS = 86_400_000;
const BUCKET_SECONDS = BUCKET_MS / 1000;

/** Entries kept per zone before the cache of that zone is dropped and rebuilt. */
const MAX_BUCKETS_PER_ZONE = 200_000;

/** What one UTC day [start, start + 1d) of a zone looks like. */
interface Bucket {
  /** Offset (ms, wall = instant + offset) from the start of the day. */
  before: number;
  /** The instant the offset changes inside the day; +Infinity when it does not. */
  transitionAt: number;
  /** Offset from `transitionAt` on (equal to `before` when there is no transition). */
  after: number;
}

interface ZoneCache {
  format: Intl.DateTimeFormat;
  /** UTC and its aliases: the offset is always 0 and Intl is never asked. */
  isUtc: boolean;
  /** Offsets read for single instants by `peekOffset`, keyed by instant. */
  points: Map<number, number>;
  /** Offset at the start of each UTC day, keyed by day number since the epoch. */
  bucketStarts: Map<number, number>;
  buckets: Map<number, Bucket>;
}

const zones = new Map<string, ZoneCache>();

function cacheFor(timeZone: string): ZoneCache {
  let cache = zones.get(timeZone);
  if (cache === undefined) {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    cache = {
      format,
      isUtc: format.resolvedOptions().timeZone === 'UTC',
      points: new Map(),
      bucketStarts: new Map(),
      buckets: new Map(),
    };
    zones.set(timeZone, cache);
  }
  return cache;
}

/** Milliseconds since the epoch of a wall time read as if it were UTC (years < 100 included). */
export function toWallMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/** The fields of a wall time given as milliseconds read as if it were UTC (the inverse of toWallMs). */
export function toWallTime(wallMs: number): WallTime {
  const date = new Date(wallMs);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
  };
}

/** "3/8/2026, 02:30:00": what en-US with hourCycle h23 prints; parsing it is 3× faster than formatToParts. */
const FORMATTED = /^(\d{1,2})\/(\d{1,2})\/(\d{4,6}), (\d{2}):(\d{2}):(\d{2})$/;

let intlReads = 0;

/** How many times Intl has been asked for an offset since the process started (for benchmarks). */
export function countIntlReads(): number {
  return intlReads;
}

/** The offset straight from Intl, for an instant on a whole second. */
function readOffset(cache: ZoneCache, instantMs: number): number {
  if (cache.isUtc) return 0;
  intlReads++;
  const match = FORMATTED.exec(cache.format.format(instantMs));
  if (match !== null) {
    return (
      toWallMs(
        Number(match[3]),
        Number(match[1]),
        Number(match[2]),
        Number(match[4]) % 24,
        Number(match[5]),
        Number(match[6]),
      ) - instantMs
    );
  }
  return readOffsetFromParts(cache, instantMs);
}

/** The slow, layout-proof way, for whatever the pattern above does not match (e.g. years < 1000). */
function readOffsetFromParts(cache: ZoneCache, instantMs: number): number {
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of cache.format.formatToParts(instantMs)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        // Some ICU versions print midnight as "24" even with h23.
        hour = Number(part.value) % 24;
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      default:
        break;
    }
  }
  return toWallMs(year, month, day, hour, minute, second) - instantMs;
}

function offsetAtBucketStart(cache: ZoneCache, index: number): number {
  let offset = cache.bucketStarts.get(index);
  if (offset === undefined) {
    if (cache.bucketStarts.size >= MAX_BUCKETS_PER_ZONE) cache.bucketStarts.clear();
    offset = readOffset(cache, index * BUCKET_MS);
    cache.bucketStarts.set(index, offset);
  }
  return offset;
}

function bucketFor(cache: ZoneCache, index: number): Bucket {
  let bucket = cache.buckets.get(index);
  if (bucket !== undefined) return bucket;
  const before = offsetAtBucketStart(cache, index);
  const after = offsetAtBucketStart(cache, index + 1);
  if (before === after) {
    bucket = { before, transitionAt: Number.POSITIVE_INFINITY, after };
  } else {
    // Binary search, to the second, for the first instant showing the new offset.
    let lo = index * BUCKET_SECONDS; // seconds; the offset here is `before`
    let hi = lo + BUCKET_SECONDS; // the offset here is `after`
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (readOffset(cache, mid * 1000) === before) lo = mid;
      else hi = mid;
    }
    bucket = { before, transitionAt: hi * 1000, after };
  }
  if (cache.buckets.size >= MAX_BUCKETS_PER_ZONE) cache.buckets.clear();
  cache.buckets.set(index, bucket);
  return bucket;
}

/** The offsets of one zone, with the zone's cache already looked up (for hot loops). */
export interface ZoneOffsets {
  /** The offset (ms) at an instant: the wall clock shows `instant + offset` read as UTC. */
  offsetAt(instantMs: number): number;
  /**
   * The same answer as `offsetAt`, but when the instant's day is not cached yet the offset
   * is read for that one instant (one Intl call) instead of for the whole day (two calls):
   * for instants whose neighbours are unlikely to be asked about.
   */
  peekOffset(instantMs: number): number;
  /** The first instant in (fromMs, toMs] at which the offset changes, if any. */
  findTransition(fromMs: number, toMs: number): number | undefined;
  /**
   * An instant up to which (exclusive) the offset stays what it is at `fromMs`: the next
   * transition, or the end of the look-ahead when there is none before it.
   */
  findConstantUntil(fromMs: number, lookAheadMs: number): number;
}

/** The offsets of `timeZone`, which must be a valid IANA name (Intl throws a RangeError otherwise). */
export function getZoneOffsets(timeZone: string): ZoneOffsets {
  const cache = cacheFor(timeZone);
  return {
    offsetAt(instantMs: number): number {
      const bucket = bucketFor(cache, Math.floor(instantMs / BUCKET_MS));
      return instantMs < bucket.transitionAt ? bucket.before : bucket.after;
    },
    peekOffset(instantMs: number): number {
      const bucket = cache.buckets.get(Math.floor(instantMs / BUCKET_MS));
      if (bucket !== undefined)
        return instantMs < bucket.transitionAt ? bucket.before : bucket.after;
      const second = Math.floor(instantMs / 1000) * 1000;
      let offset = cache.points.get(second);
      if (offset === undefined) {
        if (cache.points.size >= MAX_BUCKETS_PER_ZONE) cache.points.clear();
        offset = readOffset(cache, second);
        cache.points.set(second, offset);
      }
      return offset;
    },
    findTransition(fromMs: number, toMs: number): number | undefined {
      const last = Math.floor(toMs / BUCKET_MS);
      for (let index = Math.floor(fromMs / BUCKET_MS); index <= last; index++) {
        const at = bucketFor(cache, index).transitionAt;
        if (at > fromMs && at <= toMs) return at;
      }
      return undefined;
    },
    findConstantUntil(fromMs: number, lookAheadMs: number): number {
      const first = Math.floor(fromMs / BUCKET_MS);
      const last = Math.floor((fromMs + lookAheadMs) / BUCKET_MS);
      for (let index = first; index <= last; index++) {
        const at = bucketFor(cache, index).transitionAt;
        if (at > fromMs && at !== Number.POSITIVE_INFINITY) return at;
      }
      return (last + 1) * BUCKET_MS;
    },
  };
}

/** The offset (ms) of `timeZone` at `instantMs`: the wall clock shows `instantMs + offset` read as UTC. */
export function offsetAt(timeZone: string, instantMs: number): number {
  return getZoneOffsets(timeZone).offsetAt(instantMs);
}

/** The first instant in (fromMs, toMs] at which the offset of `timeZone` changes, if any. */
export function findTransition(timeZone: string, fromMs: number, toMs: number): number | undefined {
  return getZoneOffsets(timeZone).findTransition(fromMs, toMs);
}

/** Forget every cached offset (for benchmarks that measure a cold cache). */
export function clearZoneOffsetCache(): void {
  zones.clear();
}
