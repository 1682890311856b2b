// When a compiled schedule fires: the instants after a given one, with the Vixie day rule and the DST rules of SPEC section 3.
import type { CompiledSchedule, FireCount } from './types.js';
import type { CalendarMatcher } from './calendar.js';
import { createCalendarMatcher, findNextWallTime } from './calendar.js';
import { getZoneOffsets, toWallMs, toWallTime } from './zone-offsets.js';
import { SchedulerError } from '../shared/errors.js';

type CronSchedule = Extract<CompiledSchedule, { kind: 'cron' }>;

const HOUR_MS = 3_600_000;

/** A schedule that has not fired for this many years after its last fire never fires again. */
const HORIZON_YEARS = 400;

/** The last instant a Date can hold. */
const MAX_INSTANT_MS = 8.64e15;

/**
 * How far a zone's offset can drop at one transition. Starting the wall-time search this
 * much earlier finds the second occurrences of repeated times that lie after `after`.
 */
const MAX_FALL_BACK_MS = 4 * HOUR_MS;

/** The instants of a wall time are within [wall - 14h, wall + 12h]; offsets are read outside that. */
const OFFSET_PROBE_MS = 15 * HOUR_MS;

/** How far ahead a stretch of constant offset is looked up at once. */
const SPAN_LOOK_AHEAD_MS = 7 * 24 * HOUR_MS;

/** Wall times closer together than this make a schedule dense enough to look up spans. */
const DENSE_GAP_MS = 6 * HOUR_MS;

/** Wall times further apart than this make a schedule sparse: its offsets are not cached. */
const SPARSE_GAP_MS = 36 * HOUR_MS;

const matchers = new WeakMap<CronSchedule, CalendarMatcher>();

function matcherFor(schedule: CronSchedule): CalendarMatcher {
  let matcher = matchers.get(schedule);
  if (matcher === undefined) {
    matcher = createCalendarMatcher(schedule.fields, schedule.dayOr);
    matchers.set(schedule, matcher);
  }
  return matcher;
}

function checkAfter(after: Date): number {
  const ms = after instanceof Date ? after.getTime() : Number.NaN;
  if (Number.isNaN(ms))
    throw new SchedulerError('INTERNAL', `expected a valid Date for "after", got ${String(after)}`);
  return ms;
}

/**
 * The fires of an `@every` schedule after `afterMs`: every multiple of the period counted
 * from the Unix epoch, whatever the zone.
 */
function* iterateEveryMs(everyMs: number, afterMs: number): Generator<number> {
  for (let t = (Math.floor(afterMs / everyMs) + 1) * everyMs; t <= MAX_INSTANT_MS; t += everyMs) {
    yield t;
  }
}

/**
 * The fires of a cron schedule after `afterMs`, ascending and without duplicates.
 *
 * Wall times that match the fields come out of the calendar in ascending local order. Each
 * is mapped to the instants that show it: one (normal), none (inside a spring-forward gap)
 * or two (inside a fall-back repeat). Fixed-time schedules fire a gap time once at the end
 * of the gap and a repeated time once, at its first occurrence; wildcard schedules skip gap
 * times and fire repeated times twice. Second occurrences are queued (they arrive in
 * ascending order) and released before the first later instant.
 */
function* iterateCronMs(
  schedule: CronSchedule,
  timeZone: string,
  afterMs: number,
): Generator<number> {
  const matcher = matcherFor(schedule);
  const zone = getZoneOffsets(timeZone);
  const fixed = schedule.fixedTime;
  // Intl cannot format instants past the end of Date: stop a day short of it.
  const lastWall = MAX_INSTANT_MS - 2 * OFFSET_PROBE_MS;
  if (!(afterMs < lastWall)) return;
  const startOffset = Math.min(
    zone.peekOffset(afterMs),
    zone.peekOffset(afterMs + MAX_FALL_BACK_MS),
  );
  const at = toWallTime(Math.floor(afterMs / 1000) * 1000 + startOffset);
  const repeats: number[] = [];
  let repeatsHead = 0;
  let last = afterMs;
  // A stretch of instants [spanFrom, spanUntil) with one offset: a wall time whose probe
  // window [wall - 15h, wall + 15h] lies inside it maps straight to `wall - spanOffset`.
  let spanFrom = 0;
  let spanUntil = 0;
  let spanOffset = 0;
  // The wall time of the current day's midnight, to avoid Date.UTC for every second.
  let dayKey = -1;
  let dayWall = 0;
  let lastSeenWall = Number.NEGATIVE_INFINITY;

  while (findNextWallTime(matcher, at, at.year + HORIZON_YEARS)) {
    const key = (at.year * 16 + at.month) * 32 + at.day;
    if (key !== dayKey) {
      dayKey = key;
      dayWall = toWallMs(at.year, at.month, at.day, 0, 0, 0);
    }
    const wall = dayWall + at.hour * HOUR_MS + at.minute * 60_000 + at.second * 1000;
    if (!(wall < lastWall)) break;
    at.second++;
    const previousWall = lastSeenWall;
    lastSeenWall = wall;

    let instant: number;
    if (wall - OFFSET_PROBE_MS >= spanFrom && wall + OFFSET_PROBE_MS < spanUntil) {
      instant = wall - spanOffset;
    } else {
      // Sparse schedules rarely ask about the same day twice: read those offsets without caching.
      const sparse = wall - previousWall > SPARSE_GAP_MS;
      const before = sparse
        ? zone.peekOffset(wall - OFFSET_PROBE_MS)
        : zone.offsetAt(wall - OFFSET_PROBE_MS);
      const after = sparse
        ? zone.peekOffset(wall + OFFSET_PROBE_MS)
        : zone.offsetAt(wall + OFFSET_PROBE_MS);
      const early = wall - before; // the instant if the earlier offset applies
      const late = wall - after; // the instant if the later offset applies
      // The same offset 15 hours either side: no transition in between (the engine assumes
      // at most one offset change within 30 hours), so the wall time shows exactly once.
      const earlyValid = before === after || zone.offsetAt(early) === before;
      const lateValid = before !== after && zone.offsetAt(late) === after;

      if (earlyValid && lateValid) {
        // Fall-back: the wall time shows twice.
        instant = Math.min(early, late);
        if (!fixed) repeats.push(Math.max(early, late));
      } else if (earlyValid || lateValid) {
        instant = earlyValid ? early : late;
        // Only dense schedules gain from a span; sparse ones would pay for reading a week of offsets.
        if (before === after && wall - previousWall <= DENSE_GAP_MS) {
          spanFrom = wall - OFFSET_PROBE_MS;
          spanUntil = zone.findConstantUntil(spanFrom, SPAN_LOOK_AHEAD_MS);
          spanOffset = before;
        }
      } else {
        // Spring-forward gap: the wall time does not exist today.
        if (!fixed) continue;
        const transition = zone.findTransition(Math.min(early, late), Math.max(early, late));
        if (transition === undefined) continue;
        instant = transition;
      }
    }

    while (repeatsHead < repeats.length && repeats[repeatsHead]! < instant) {
      const repeat = repeats[repeatsHead++]!;
      if (repeat > last) {
        last = repeat;
        yield repeat;
      }
    }
    if (repeatsHead > 0 && repeatsHead === repeats.length) {
      repeats.length = 0;
      repeatsHead = 0;
    }
    if (instant > last) {
      last = instant;
      yield instant;
    }
  }
  for (; repeatsHead < repeats.length; repeatsHead++) {
    const repeat = repeats[repeatsHead]!;
    if (repeat > last) {
      last = repeat;
      yield repeat;
    }
  }
}

/** A schedule with no clock times (it runs only after others) never fires by the clock. */
function* iterateNoFires(): Generator<number> {
  yield* [];
}

function iterateMs(
  schedule: CompiledSchedule,
  timeZone: string,
  afterMs: number,
): Generator<number> {
  if (schedule.kind === 'after') return iterateNoFires();
  return schedule.kind === 'every'
    ? iterateEveryMs(schedule.everyMs, afterMs)
    : iterateCronMs(schedule, timeZone, afterMs);
}

/**
 * The fire instants strictly after `after`, ascending, as a lazy sequence. It ends only
 * when the schedule does not fire again within 400 years (or before the end of Date).
 */
export function* iterateFires(
  schedule: CompiledSchedule,
  timeZone: string,
  after: Date,
): Generator<Date> {
  for (const ms of iterateMs(schedule, timeZone, checkAfter(after))) yield new Date(ms);
}

/**
 * The next `count` fire instants strictly after `after`, ascending, no duplicates. Fewer
 * (possibly none) only when the schedule does not fire again within 400 years.
 */
export function nextFires(
  schedule: CompiledSchedule,
  timeZone: string,
  after: Date,
  count: number,
): Date[] {
  const fires: Date[] = [];
  if (!(count > 0)) return fires;
  for (const ms of iterateMs(schedule, timeZone, checkAfter(after))) {
    fires.push(new Date(ms));
    if (fires.length >= count) break;
  }
  return fires;
}

/** How many times the schedule fires in (after, until], with the first and last of them. */
export function countFiresBetween(
  schedule: CompiledSchedule,
  timeZone: string,
  after: Date,
  until: Date,
): FireCount {
  const afterMs = checkAfter(after);
  const untilMs = checkAfter(until);
  if (untilMs <= afterMs || schedule.kind === 'after') return { count: 0 };
  if (schedule.kind === 'every') {
    const period = schedule.everyMs;
    const first = (Math.floor(afterMs / period) + 1) * period;
    const last = Math.floor(untilMs / period) * period;
    const nextMs = last + period;
    const next = nextMs <= MAX_INSTANT_MS ? { next: new Date(nextMs) } : {};
    if (last < first) return { count: 0, ...next };
    return {
      count: (last - first) / period + 1,
      first: new Date(first),
      last: new Date(last),
      ...next,
    };
  }
  let count = 0;
  let first: number | undefined;
  let last = 0;
  let next: number | undefined;
  for (const ms of iterateCronMs(schedule, timeZone, afterMs)) {
    if (ms > untilMs) {
      next = ms;
      break;
    }
    first ??= ms;
    last = ms;
    count++;
  }
  const beyond = next === undefined ? {} : { next: new Date(next) };
  return first === undefined
    ? { count: 0, ...beyond }
    : { count, first: new Date(first), last: new Date(last), ...beyond };
}

/**
 * The newest `limit` fires in (afterMs, untilMs], oldest first. Looks back from `untilMs` over a window
 * that doubles until it holds enough, so a year-long gap of every-second fires is never walked whole.
 */
export function newestFires(
  schedule: CompiledSchedule,
  timeZone: string,
  afterMs: number,
  untilMs: number,
  limit: number,
): Date[] {
  let span = schedule.kind === 'every' ? schedule.everyMs * (limit + 1) : 1_000 * (limit + 1);
  for (;;) {
    const from = Math.max(afterMs, untilMs - span);
    const fires: Date[] = [];
    for (const ms of iterateMs(schedule, timeZone, from)) {
      if (ms > untilMs) break;
      fires.push(new Date(ms));
    }
    if (fires.length >= limit || from === afterMs) return fires.slice(-limit);
    span *= 4;
  }
}
