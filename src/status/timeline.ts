// The dashboard's 24-hour timeline (GET /api/v1/timeline): each schedule's fires in the window, from the firing engine's rule.
import { iterateActiveFires, toActiveWindow } from '../cron/active-window.js';
import { compileSchedule } from '../cron/compile.js';
import type { CompiledSchedule } from '../cron/types.js';
import type { StatusRoute } from './route-types.js';
import type { StatusSchedule } from './snapshot.js';

/** How far ahead the timeline looks. */
export const TIMELINE_MS = 24 * 3_600_000;
/** A schedule firing more often than this in the window shows as a cadence, not as fires. */
export const MAX_TIMELINE_FIRES = 144;

/** One schedule's lane. */
export interface TimelineLane {
  name: string;
  /** The fires in [from, to), ascending; null when there are more than MAX_TIMELINE_FIRES. */
  fires: string[] | null;
  /** For a frequent schedule: the usual gap between its fires (the smallest of the first ones). */
  everyMs: number | null;
  /** For a frequent schedule: its first and last fire in the window. */
  first: string | null;
  last: string | null;
}

/** The whole timeline. */
export interface TimelineDocument {
  from: string;
  to: string;
  schedules: TimelineLane[];
}

const compiled = new Map<string, CompiledSchedule | null>();

function compileCached(expression: string): CompiledSchedule | null {
  let schedule = compiled.get(expression);
  if (schedule === undefined) {
    const result = compileSchedule(expression);
    schedule = result.ok ? result.schedule : null;
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(expression, schedule);
  }
  return schedule;
}

/** One lane: the fires the engine will run in [from, from + TIMELINE_MS). Suspended: none. */
export function buildTimelineLane(schedule: StatusSchedule, from: Date): TimelineLane {
  const lane: TimelineLane = {
    name: schedule.name,
    fires: [],
    everyMs: null,
    first: null,
    last: null,
  };
  const cron = compileCached(schedule.schedule);
  if (schedule.suspended || cron === null) return lane;
  const toMs = from.getTime() + TIMELINE_MS;
  const window = toActiveWindow({
    activeFrom: schedule.activeFrom ?? undefined,
    activeUntil: schedule.activeUntil ?? undefined,
  });
  const fires: number[] = [];
  for (const at of iterateActiveFires(
    cron,
    schedule.timezone,
    new Date(from.getTime() - 1),
    window,
  )) {
    const ms = at.getTime();
    if (ms >= toMs) break;
    fires.push(ms);
    if (fires.length > MAX_TIMELINE_FIRES) break;
  }
  if (fires.length <= MAX_TIMELINE_FIRES) {
    lane.fires = fires.map((ms) => new Date(ms).toISOString());
    return lane;
  }
  const gaps = new Map<number, number>();
  let gap = Infinity;
  for (let index = 1; index < fires.length; index += 1) {
    const between = (fires[index] ?? 0) - (fires[index - 1] ?? 0);
    gaps.set(between, (gaps.get(between) ?? 0) + 1);
    gap = Math.min(gap, between);
  }
  const end = Math.min(toMs - 1, window.untilMs);
  let last = fires[fires.length - 1] ?? from.getTime();
  for (const at of iterateActiveFires(cron, schedule.timezone, new Date(end - gap * 2), window)) {
    if (at.getTime() > end) break;
    last = at.getTime();
  }
  return {
    name: schedule.name,
    fires: null,
    everyMs: findCommonGap(gaps),
    first: new Date(fires[0] ?? from.getTime()).toISOString(),
    last: new Date(last).toISOString(),
  };
}

/**
 * The cadence to label a frequent lane with: the most common gap between fires (the smaller one on a
 * tie), so that a schedule every 9 minutes of the hour reads "every 9m" although once an hour its fires are 6 minutes apart.
 */
export function findCommonGap(gaps: ReadonlyMap<number, number>): number {
  let best = Infinity;
  let bestCount = 0;
  for (const [gap, count] of gaps) {
    if (count > bestCount || (count === bestCount && gap < best)) [best, bestCount] = [gap, count];
  }
  return best;
}

/** The timeline of every schedule, from `now` (rounded down to the minute). */
export function buildTimeline(schedules: readonly StatusSchedule[], now: Date): TimelineDocument {
  const from = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  return {
    from: from.toISOString(),
    to: new Date(from.getTime() + TIMELINE_MS).toISOString(),
    schedules: schedules.map((schedule) => buildTimelineLane(schedule, from)),
  };
}

/** GET /api/v1/timeline. */
export const TIMELINE_ROUTE: StatusRoute = {
  path: '/api/v1/timeline',
  methods: ['GET'],
  handle: ({ getSnapshot }) => {
    const snapshot = getSnapshot();
    return {
      status: 200,
      body: buildTimeline(snapshot.schedules, new Date(snapshot.generatedAt)),
    };
  },
};
