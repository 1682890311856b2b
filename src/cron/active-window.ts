// A schedule's activeFrom/activeUntil window and its next fires inside it: the one rule every view and the firing engine share.
import { iterateFires } from './fires.js';
import type { CompiledSchedule } from './types.js';

/** `activeFrom` / `activeUntil` as written in a spec (ISO 8601 instants) or as Dates. */
export interface ActiveWindowSpec {
  activeFrom?: string | Date | undefined;
  activeUntil?: string | Date | undefined;
}

/** The window in epoch ms: a fire at `t` happens only when `fromMs <= t <= untilMs`. */
export interface ActiveWindow {
  fromMs: number;
  untilMs: number;
}

/** Where `now` is relative to the window. */
export type WindowPhase = 'active' | 'not-started' | 'ended';

/** The window of a spec; an absent bound is open (±Infinity). */
export function toActiveWindow(spec: ActiveWindowSpec): ActiveWindow {
  return {
    fromMs: spec.activeFrom === undefined ? -Infinity : new Date(spec.activeFrom).getTime(),
    untilMs: spec.activeUntil === undefined ? Infinity : new Date(spec.activeUntil).getTime(),
  };
}

/** Whether the schedule may fire at `atMs` (both bounds inclusive, as the firing engine reads them). */
export function isInActiveWindow(window: ActiveWindow, atMs: number): boolean {
  return atMs >= window.fromMs && atMs <= window.untilMs;
}

/**
 * `not-started` before activeFrom, `ended` once no fire in the window is left after `now`
 * (activeUntil has passed, or it lies before the next fire), `active` otherwise.
 */
export function selectWindowPhase(
  window: ActiveWindow,
  now: Date,
  nextFireMs?: number | undefined,
): WindowPhase {
  const t = now.getTime();
  if (t < window.fromMs) return 'not-started';
  if (t > window.untilMs) return 'ended';
  if (nextFireMs !== undefined && nextFireMs > window.untilMs) return 'ended';
  return 'active';
}

/**
 * The fires strictly after `after` that the engine will run, ascending: those inside the
 * window, starting at activeFrom when it is later, ending at activeUntil. Lazy.
 */
export function* iterateActiveFires(
  schedule: CompiledSchedule,
  timeZone: string,
  after: Date,
  window: ActiveWindow,
): Generator<Date> {
  // Fires are strictly after `start`; activeFrom itself may fire.
  const startMs = Math.max(after.getTime(), window.fromMs - 1);
  for (const at of iterateFires(schedule, timeZone, new Date(startMs))) {
    if (at.getTime() > window.untilMs) return;
    yield at;
  }
}

/** The next `count` fires the engine will run after `after` (fewer, or none, once the window ends). */
export function nextActiveFires(
  schedule: CompiledSchedule,
  timeZone: string,
  after: Date,
  window: ActiveWindow,
  count: number,
): Date[] {
  const fires: Date[] = [];
  if (!(count > 0)) return fires;
  for (const at of iterateActiveFires(schedule, timeZone, after, window)) {
    fires.push(at);
    if (fires.length >= count) break;
  }
  return fires;
}
