// The fire planner: whether the instants of a schedule that came due run, as catch-up or missed. Pure.
import { toActiveWindow } from '../cron/active-window.js';
import { countFiresBetween, newestFires } from '../cron/fires.js';
import type { CompiledSchedule } from '../cron/types.js';
import type { JobSpec } from '../manifest/schema.js';
import { narrowGap } from './plan-missed.js';

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
  /** What the reason says, to say it again of a narrower gap (plan-missed.ts). */
  because?: MissedBecause;
}

/** Why fires were missed: too late for startingDeadline, or passed over by the catchUp policy. */
export interface MissedBecause {
  why: MissedWhy;
  deadlineMs: number;
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
  /**
   * Instants of `claimed` that came past startingDeadline: not started, and not part of `missed`
   * either (their fire is durable already, so each is recorded on its own, under its own run id).
   */
  lateClaimed?: Date[];
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
  /**
   * Instants of the gap whose fire is durable already: made durable (claimed, with replicas) ahead of
   * the instant, before a late wake-up handed them out with others. They are never dropped: within
   * startingDeadline they start (as regular fire or catch-up), past it they are `lateClaimed`, and they
   * are never inside `missed` (a claim of this replica's with no run and no record would be lost).
   */
  claimed?: readonly Date[];
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
  const claimed = (input.claimed ?? []).filter(
    (at) =>
      at.getTime() >= gap.first.getTime() &&
      at.getTime() <= gap.last.getTime() &&
      isFireable(policy, at),
  );
  if (claimed.length > 0 && (gap.count > 1 || input.trigger === 'catchup'))
    return planWithClaimed(input, gap, claimed);
  if (gap.count === 1 && input.trigger === 'schedule') {
    if (claimed.length > 0 && !inTime(gap.first))
      return { watermark: last, catchUp: [], lateClaimed: [gap.first] };
    if (inTime(gap.first)) return { watermark: last, fire: gap.first, catchUp: [] };
    return {
      watermark: last,
      catchUp: [],
      missed: toMissedGap(gap, { why: 'deadline', deadlineMs: deadline }),
    };
  }
  const catchUp = pickCatchUp(input, gap);
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
    missed: toMissedGap(missedGap, { why, deadlineMs: deadline }),
  };
}

/** The instants of a gap that `catchUp` starts: the newest within startingDeadline (`latest`, `all`). */
function pickCatchUp(input: PlanDueInput, gap: DueGap): Date[] {
  const { compiled, policy, now } = input;
  const deadline = policy.startingDeadline;
  if (policy.catchUp === 'latest')
    return isWithinDeadline(gap.last, deadline, now) ? [gap.last] : [];
  if (policy.catchUp !== 'all') return [];
  const from = Math.max(gap.first.getTime() - 1, now.getTime() - deadline - 1);
  return newestFires(compiled, policy.timezone, from, gap.last.getTime(), CATCH_UP_LIMIT);
}

/**
 * A gap holding instants already made durable: `catchUp` picks as usual, the claimed instants within
 * startingDeadline join its catch-up, those past it are `lateClaimed`, and the missed record covers the
 * rest (plan-missed.ts).
 */
function planWithClaimed(input: PlanDueInput, gap: DueGap, claimed: readonly Date[]): DuePlan {
  const { compiled, policy, now } = input;
  const deadline = policy.startingDeadline;
  const picked = pickCatchUp(input, gap);
  const starting = new Map(picked.map((at) => [at.getTime(), at]));
  const lateClaimed: Date[] = [];
  for (const at of claimed) {
    if (starting.has(at.getTime())) continue;
    if (isWithinDeadline(at, deadline, now)) starting.set(at.getTime(), at);
    else lateClaimed.push(at);
  }
  const catchUp = [...starting.values()].sort((a, b) => a.getTime() - b.getTime());
  const plan: DuePlan = {
    watermark: input.due.last,
    catchUp,
    ...(lateClaimed.length > 0 ? { lateClaimed } : {}),
  };
  const held = [...catchUp, ...lateClaimed].map((at) => ({ from: at, to: at }));
  const rest = narrowGap(compiled, policy.timezone, gap, held);
  if (rest === undefined) return plan;
  // The reason as for a gap without claimed instants (below in planDueFires).
  const why: MissedWhy =
    picked.length === 0 && !isWithinDeadline(gap.last, deadline, now)
      ? 'deadline'
      : policy.catchUp === 'all'
        ? isWithinDeadline(rest.last, deadline, now)
          ? 'limit'
          : 'deadline'
        : policy.catchUp;
  return { ...plan, missed: toMissedGap(rest, { why, deadlineMs: deadline }) };
}

/** Whether an instant may still start at `now`: it is at most startingDeadline late. */
export function isWithinDeadline(at: Date, deadlineMs: number, now: Date): boolean {
  return now.getTime() - at.getTime() <= deadlineMs;
}

/** Why a catch-up instant that waited in its queue did not start. */
export function describeExpiredCatchUp(at: Date, deadlineMs: number): MissedGap {
  return toMissedGap({ count: 1, first: at, last: at }, { why: 'deadline', deadlineMs });
}

export type MissedWhy = 'deadline' | 'limit' | 'latest' | 'none' | 'all';

/** A missed gap with its reason. */
export function toMissedGap(
  gap: Omit<MissedGap, 'reason' | 'because'>,
  because: MissedBecause,
): MissedGap {
  const { count, first, last } = gap;
  return {
    count,
    first,
    last,
    reason: describeMissed(gap, because.why, because.deadlineMs),
    because,
  };
}

/** Why fires were missed, in words. */
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
  const [previous] = newestFires(
    compiled,
    policy.timezone,
    floor.getTime() - 1,
    at.getTime() - 1,
    1,
  );
  return previous ?? floor;
}
