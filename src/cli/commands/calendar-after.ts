// Where the calendar places the runs of schedules with `spec.after`: each run of an upstream starts its
// downstream when it ends, so the downstream sits at the upstream's fire plus the upstream's typical duration,
// and a chain adds its steps' durations up. Pure; calendar-model.ts lays the result out in columns.
import { iterateFires } from '../../cron/fires.js';
import type { CompiledSchedule } from '../../cron/types.js';
import type { AfterSpec } from '../../manifest/after-schema.js';

/** What placing a schedule's runs needs to know about it (a subset of CalendarSchedule). */
export interface PlacedSchedule {
  name: string;
  compiled: CompiledSchedule;
  timeZone: string;
  suspended: boolean;
  activeFrom?: Date;
  activeUntil?: Date;
  typicalMs?: number;
  after?: readonly AfterSpec[];
}

/** One step of the chain that leads to a placed run: a schedule and when its run starts. */
export interface PlacedStep {
  schedule: string;
  atMs: number;
}

/** One expected run of a schedule, from its own times or placed after an upstream's run. */
export interface PlacedRun {
  atMs: number;
  /** The chain that leads here, its root (a timed fire) first and this run last. */
  path: readonly PlacedStep[];
  /** "if extract fails" for every `when: failed` link on the way: the run happens only then. */
  conditions: readonly string[];
  /** Upstreams on the way whose typical duration is unknown: the run is placed at their start instead. */
  unknownDurations: readonly string[];
}

/** The runs placed for one schedule in a window. */
export interface PlacedRuns {
  runs: PlacedRun[];
  /** More runs than `limit` would have come: the list is cut. */
  truncated: boolean;
}

/** [from, until) of the window where the schedule may run (activeUntil itself may). */
export function clipWindow(
  schedule: Pick<PlacedSchedule, 'activeFrom' | 'activeUntil'>,
  startMs: number,
  endMs: number,
): [number, number] {
  const from = Math.max(startMs, schedule.activeFrom?.getTime() ?? -Infinity);
  const until = Math.min(endMs, (schedule.activeUntil?.getTime() ?? Infinity) + 1);
  return [from, until];
}

/** The fire instants of a schedule in [startMs, endMs), clipped to its active window, at most `limit`. */
export function listFires(
  schedule: PlacedSchedule,
  startMs: number,
  endMs: number,
  limit: number,
): number[] {
  const [from, until] = clipWindow(schedule, startMs, endMs);
  const fires: number[] = [];
  if (from >= until) return fires;
  for (const at of iterateFires(schedule.compiled, schedule.timeZone, new Date(from - 1))) {
    const ms = at.getTime();
    if (ms >= until || fires.length >= limit) break;
    fires.push(ms);
  }
  return fires;
}

/**
 * Every run of `name` that starts in [startMs, endMs): its own timed fires, and for each upstream it is after,
 * one run per upstream run, at that run's start plus the upstream's typical duration (at its start when the
 * duration is unknown). A suspended schedule runs nothing and so starts nothing; a run outside the active
 * window is skipped and starts nothing either. An upstream that is not among `byName` never runs. At most
 * `limit` runs, in time order. Pure.
 */
export function placeRuns(
  byName: ReadonlyMap<string, PlacedSchedule>,
  name: string,
  startMs: number,
  endMs: number,
  limit: number,
  visiting: ReadonlySet<string> = new Set(),
): PlacedRuns {
  const schedule = byName.get(name);
  // A cycle is refused by validation; the guard only keeps a hand-built input from looping.
  if (schedule === undefined || schedule.suspended || visiting.has(name)) {
    return { runs: [], truncated: false };
  }
  const [from, until] = clipWindow(schedule, startMs, endMs);
  if (from >= until) return { runs: [], truncated: false };
  const own = listFires(schedule, from, until, limit + 1);
  let truncated = own.length > limit;
  const runs: PlacedRun[] = own.slice(0, limit).map((atMs) => ({
    atMs,
    path: [{ schedule: name, atMs }],
    conditions: [],
    unknownDurations: [],
  }));
  const inner = new Set(visiting).add(name);
  for (const link of schedule.after ?? []) {
    const upstream = byName.get(link.schedule);
    const durationMs = upstream?.typicalMs ?? 0;
    const placed = placeRuns(
      byName,
      link.schedule,
      from - durationMs,
      until - durationMs,
      limit,
      inner,
    );
    truncated ||= placed.truncated;
    for (const run of placed.runs) {
      const atMs = run.atMs + durationMs;
      runs.push({
        atMs,
        path: [...run.path, { schedule: name, atMs }],
        conditions:
          link.when === 'failed'
            ? [...run.conditions, `if ${link.schedule} fails`]
            : run.conditions,
        unknownDurations:
          upstream?.typicalMs === undefined
            ? [...run.unknownDurations, link.schedule]
            : run.unknownDurations,
      });
    }
  }
  runs.sort((a, b) => a.atMs - b.atMs);
  if (runs.length > limit) {
    runs.length = limit;
    truncated = true;
  }
  return { runs, truncated };
}
