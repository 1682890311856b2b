// The fire planner: whether the instants of a schedule that came due run, as catch-up or missed. Pure.
import { toActiveWindow } from '../cron/active-window.js';
import { countFiresBetween, iterateFires } from '../cron/fires.js';
import type { CompiledSchedule } from '../cron/types.js';
import type { JobSpec } from '../manifest/schema.js';

/** The policies of a schedule that decide its fires (a subset of its resolved spec). */
export type FirePolicy = Pick<
  JobSpec,
  'timezone' | 'catchUp' | 'startingDeadline' | 'concurrencyPolicy' | 'suspend'
> & {
  activeFrom?: string | undefined;
  activeUntil?: string | undefined;
};

/** What starts a fire: its instant came due (`schedule`), a gap is caught up (`catchup`), a person (`manual`). */
export type FireTrigger = 'schedule' | 'catchup' | 'manual' | 'after';

/** `catchUp: all` queues at most this many of a gap's newest instants; older ones are missed. */
export const CATCH_UP_LIMIT = 100;

/** Instants of one schedule that came due together, first and last included. */
export interface DueGap {
  first: Date;
  last: Date;
  count: number;
}

/** Fires that will not run, recorded as one `missed` run. */
export interface MissedGap {
  /** How many instants. */
  count: number;
  /** The earliest of them. */
  first: Date;
  /** The latest of them. */
  last: Date;
  /** Why they do not run, in words for the history. */
  reason: string;
}

/** What to do with a gap of due instants. */
export interface DuePlan {
  /** Every instant up to this one is dealt with (started, queued or missed): the new watermark. */
  watermark: Date;
  /** One instant that came due on time: it starts now as a regular fire, under the concurrency policy. */
  fire?: Date;
  /** Instants caught up, oldest first: they start one after another, never together. */
  catchUp: Date[];
  /** Instants that do not run. */
  missed?: MissedGap;
  /** Why nothing happens at all: the schedule is suspended, or the instants are outside its window. */
  ignored?: 'suspended' | 'inactive';
}

export interface PlanDueInput {
  compiled: CompiledSchedule;
  policy: FirePolicy;
  due: DueGap;
  /** `catchup` for a gap found at start-up or after a step forward; `schedule` from the fire loop. */
  trigger: 'schedule' | 'catchup';
  now: Date;
}

/** Whether the clock fires `at` at all: not suspended, and within activeFrom/activeUntil. */
export function isFireable(policy: FirePolicy, at: Date): boolean {
  if (policy.suspend) return false;
  const window = readWindow(policy);
  return at.getTime() >= window.from && at.getTime() <= window.until;
}

/**
 * Decide what becomes of instants that came due. A single instant from the fire loop starts when it is
 * within startingDeadline. Several at once (downtime, a clock step, a blocked event loop), or a gap found
 * at start-up, follow `catchUp`: `latest` queues the newest within the deadline, `all` the newest
 * CATCH_UP_LIMIT within it, `none` nothing; the others become one missed record.
 */
export function planDueFires(input: PlanDueInput): DuePlan {
  const { compiled, policy, now } = input;
  const { first, last, count } = input.due;
  if (policy.suspend) return { watermark: last, catchUp: [], ignored: 'suspended' };
  const window = readWindow(policy);
  let gap: DueGap = { first, last, count };
  if (window.from > first.getTime() || window.until < last.getTime()) {
    const clipped = countFiresBetween(
      compiled,
      policy.timezone,
      new Date(Math.max(first.getTime() - 1, window.from - 1)),
      new Date(Math.min(last.getTime(), window.until)),
    );
    if (clipped.count === 0 || !clipped.first || !clipped.last)
      return { watermark: last, catchUp: [], ignored: 'inactive' };
    gap = { first: clipped.first, last: clipped.last, count: clipped.count };
  }
  const deadline = policy.startingDeadline;
  const inTime = (at: Date): boolean => isWithinDeadline(at, deadline, now);
  if (gap.count === 1 && input.trigger === 'schedule') {
    if (inTime(gap.first)) return { watermark: last, fire: gap.first, catchUp: [] };
    return {
      watermark: last,
      catchUp: [],
      missed: { ...gap, reason: describeMissed(gap, 'deadline', deadline) },
    };
  }
  const catchUp: Date[] = [];
  if (policy.catchUp === 'latest') {
    if (inTime(gap.last)) catchUp.push(gap.last);
  } else if (policy.catchUp === 'all') {
    const from = Math.max(gap.first.getTime() - 1, now.getTime() - deadline - 1);
    catchUp.push(...findNewestFires(compiled, policy, from, gap.last.getTime(), CATCH_UP_LIMIT));
  }
  const missedCount = gap.count - catchUp.length;
  if (missedCount <= 0) return { watermark: last, catchUp };
  const missedLast = catchUp[0]
    ? findPreviousFire(compiled, policy, catchUp[0], gap.first)
    : gap.last;
  const missedGap = { count: missedCount, first: gap.first, last: missedLast };
  const why =
    catchUp.length === 0 && !inTime(gap.last)
      ? 'deadline'
      : policy.catchUp === 'all' && !inTime(missedLast)
        ? 'deadline'
        : policy.catchUp === 'all'
          ? 'limit'
          : policy.catchUp;
  return {
    watermark: last,
    catchUp,
    missed: { ...missedGap, reason: describeMissed(missedGap, why, deadline) },
  };
}

/** Whether an instant may still start at `now`: it is at most startingDeadline late. */
export function isWithinDeadline(at: Date, deadlineMs: number, now: Date): boolean {
  return now.getTime() - at.getTime() <= deadlineMs;
}

/** Why a catch-up instant that waited in its queue did not start. */
export function describeExpiredCatchUp(at: Date, deadlineMs: number): MissedGap {
  return {
    count: 1,
    first: at,
    last: at,
    reason: describeMissed({ count: 1, first: at, last: at }, 'deadline', deadlineMs),
  };
}

type MissedWhy = 'deadline' | 'limit' | 'latest' | 'none' | 'all';

/** Why fires were missed: too late for startingDeadline, or passed over by the catchUp policy. */
function describeMissed(
  gap: Omit<MissedGap, 'reason'>,
  why: MissedWhy,
  deadlineMs: number,
): string {
  const { count, first, last } = gap;
  const one = count === 1;
  const fires = one
    ? `the fire at ${first.toISOString()}`
    : `${count} fires from ${first.toISOString()} to ${last.toISOString()}`;
  if (why === 'deadline' || why === 'all') {
    return `${fires} came due while the daemon could not start ${one ? 'it' : 'them'} and ${one ? 'is' : 'are'} past startingDeadline (${deadlineMs} ms)`;
  }
  const policy =
    why === 'none'
      ? 'catchUp none starts no fire of a gap'
      : why === 'latest'
        ? 'catchUp latest starts only the newest fire of a gap'
        : `catchUp all starts at most the newest ${CATCH_UP_LIMIT} fires of a gap`;
  return `${fires} ${one ? 'was' : 'were'} passed over: ${policy}`;
}

/** The window as the views read it too (cron/active-window.ts): one rule for firing and showing. */
function readWindow(policy: FirePolicy): { from: number; until: number } {
  const window = toActiveWindow(policy);
  return { from: window.fromMs, until: window.untilMs };
}

/** The fire just before `at` (not before `floor`), for the end of a missed gap. */
function findPreviousFire(
  compiled: CompiledSchedule,
  policy: FirePolicy,
  at: Date,
  floor: Date,
): Date {
  const [previous] = findNewestFires(compiled, policy, floor.getTime() - 1, at.getTime() - 1, 1);
  return previous ?? floor;
}

/**
 * The newest `limit` fires in (afterMs, untilMs], oldest first. Looks back from `untilMs` over a window
 * that doubles until it holds enough, so a year-long gap of every-second fires is never walked whole.
 */
function findNewestFires(
  compiled: CompiledSchedule,
  policy: FirePolicy,
  afterMs: number,
  untilMs: number,
  limit: number,
): Date[] {
  let span = compiled.kind === 'every' ? compiled.everyMs * (limit + 1) : 1_000 * (limit + 1);
  for (;;) {
    const from = Math.max(afterMs, untilMs - span);
    const fires: Date[] = [];
    for (const at of iterateFires(compiled, policy.timezone, new Date(from))) {
      if (at.getTime() > untilMs) break;
      fires.push(at);
    }
    if (fires.length >= limit || from === afterMs) return fires.slice(-limit);
    span *= 4;
  }
}
