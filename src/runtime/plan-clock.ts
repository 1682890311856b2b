// The clock planner: where a schedule resumes given its watermark and the clock, and what a clock step is. Pure.
import { countFiresBetween, iterateFires } from '../cron/fires.js';
import type { CompiledSchedule } from '../cron/types.js';
import type { DueGap } from './plan-fires.js';

/** A watermark further than this ahead of the clock, or a clock that jumps this far, is a clock anomaly. */
export const CLOCK_ANOMALY_THRESHOLD_MS = 1_000;
/** Up to this step back a fixed-time schedule waits for its watermark (an instant never runs twice). */
export const FIXED_TIME_WAIT_LIMIT_MS = 3 * 60 * 60 * 1_000;

/** What the schedule does about a watermark ahead of the clock. */
export type AnomalyRule =
  /** A wildcard schedule: fires on its cadence from the new clock at once. */
  | 'keep-cadence'
  /** A fixed-time schedule, step <= 3 h: waits, so an instant already fired is not fired again. */
  | 'wait'
  /** A fixed-time schedule, step > 3 h: the future watermark is discarded. */
  | 'discard';

/** A watermark found ahead of the clock. */
export interface ClockAnomaly {
  /** How far the watermark is ahead of the clock. */
  stepMs: number;
  rule: AnomalyRule;
  /** With `wait`: the instant the schedule fires next (the first after its watermark). */
  waitUntil?: Date;
}

/** Where a schedule's fire loop resumes. */
export interface ResumePlan {
  /** The fire loop hands out instants strictly after this one. */
  afterMs: number;
  /** Instants missed between the watermark and now (start-up): planned with planDueFires as catch-up. */
  gap?: DueGap;
  /** The watermark is ahead of the clock. */
  anomaly?: ClockAnomaly;
  /** A watermark to persist: where scheduling began, or the clock after a discarded future watermark. */
  watermark?: Date;
  /**
   * The first instant strictly after `afterMs`, when planning came upon it (looking for missed fires
   * finds it): the fire loop need not look for it again. Absent: not known, the loop looks.
   */
  nextMs?: number;
}

export interface PlanResumeInput {
  compiled: CompiledSchedule;
  timezone: string;
  /** The scheduled instant of the last fire started (or when scheduling began); undefined: never. */
  watermark: Date | undefined;
  now: Date;
  /** `startup` looks for missed fires since the watermark; `reload` and `clock-step` do not. */
  reason: 'startup' | 'reload' | 'clock-step';
}

/** Wildcard schedules (minute or hour starts with `*`, and `@every`) follow elapsed time; `after` has no times to wait for. */
export function isWildcardSchedule(compiled: CompiledSchedule): boolean {
  return compiled.kind !== 'cron' || !compiled.fixedTime;
}

/**
 * Decide where a schedule resumes. A watermark more than 1 s ahead of `now` is a clock anomaly: a wildcard
 * schedule keeps its cadence at once; a fixed-time one waits for its watermark when the step is at most
 * 3 hours (Vixie cron's rule), else the watermark is discarded. No schedule waits without saying so.
 */
export function planResume(input: PlanResumeInput): ResumePlan {
  const { compiled, timezone, watermark, now } = input;
  const nowMs = now.getTime();
  if (watermark === undefined) return { afterMs: nowMs, watermark: now };
  const markMs = watermark.getTime();
  const stepMs = markMs - nowMs;
  if (stepMs > CLOCK_ANOMALY_THRESHOLD_MS) {
    if (isWildcardSchedule(compiled))
      return { afterMs: nowMs, watermark: now, anomaly: { stepMs, rule: 'keep-cadence' } };
    if (stepMs > FIXED_TIME_WAIT_LIMIT_MS)
      return { afterMs: nowMs, watermark: now, anomaly: { stepMs, rule: 'discard' } };
    const next = iterateFires(compiled, timezone, watermark).next();
    return {
      afterMs: markMs,
      anomaly: { stepMs, rule: 'wait', ...(next.done ? {} : { waitUntil: next.value }) },
    };
  }
  if (stepMs > 0) return { afterMs: markMs };
  if (input.reason !== 'startup') return { afterMs: nowMs };
  const missed = countFiresBetween(compiled, timezone, watermark, now);
  // Counting up to now stopped at the first instant after it: where the fire loop resumes.
  const next = missed.next === undefined ? {} : { nextMs: missed.next.getTime() };
  if (missed.count > 0 && missed.first && missed.last)
    return {
      afterMs: nowMs,
      gap: { first: missed.first, last: missed.last, count: missed.count },
      ...next,
    };
  return { afterMs: nowMs, ...next };
}

/** Two readings of the wall clock and of a monotonic clock (which no clock step moves). */
export interface ClockReading {
  wallMs: number;
  monotonicMs: number;
}

/**
 * The clock step between two readings: how much more (positive: forward) or less (negative: back) the wall
 * clock moved than elapsed time. Undefined when it is within the threshold (drift, NTP slewing).
 */
export function detectClockStep(previous: ClockReading, current: ClockReading): number | undefined {
  const step = current.wallMs - previous.wallMs - (current.monotonicMs - previous.monotonicMs);
  return Math.abs(step) > CLOCK_ANOMALY_THRESHOLD_MS ? Math.round(step) : undefined;
}
