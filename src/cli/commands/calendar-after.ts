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

/** One expected run of a schedule, from its own times or placed after an upstream's run. */
export interface PlacedRun {
  schedule: string;
  atMs: number;
  /** The upstream run whose end starts this one; absent for a fire of the schedule's own times. */
  upstream?: PlacedRun;
  /** The upstream of every `when: failed` link on the way, root first: the run happens only if all fail. */
  conditions: readonly string[];
  /** Upstreams on the way whose typical duration is unknown: the run is placed at their start instead. */
  unknownDurations: readonly string[];
}

/** The runs placed for one schedule. */
export interface PlacedRuns {
  /** In time order. */
  runs: PlacedRun[];
  /** More runs than `limit` would have come: the list is cut. */
  truncated: boolean;
}

/** The chain that leads to a run, its root (a fire of some schedule's own times) first. */
export function listChain(run: PlacedRun): PlacedRun[] {
  const chain: PlacedRun[] = [];
  for (let step: PlacedRun | undefined = run; step !== undefined; step = step.upstream)
    chain.unshift(step);
  return chain;
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
 * How far back runs must be placed so that every run in the window is found: the longest sum of typical
 * durations along a chain, plus the schedule's own typical duration (a run started before the window may
 * still go at its first fire).
 */
function measureLookBack(byName: ReadonlyMap<string, PlacedSchedule>): number {
  const shift = new Map<string, number>();
  const shiftOf = (name: string, visiting: ReadonlySet<string>): number => {
    const known = shift.get(name);
    if (known !== undefined) return known;
    const schedule = byName.get(name);
    // A cycle is refused by validation; the guard only keeps a hand-built input from looping.
    if (schedule === undefined || visiting.has(name)) return 0;
    const inner = new Set(visiting).add(name);
    let most = 0;
    for (const link of schedule.after ?? []) {
      const upstream = byName.get(link.schedule);
      most = Math.max(most, shiftOf(link.schedule, inner) + (upstream?.typicalMs ?? 0));
    }
    shift.set(name, most);
    return most;
  };
  let lookBack = 0;
  for (const schedule of byName.values())
    lookBack = Math.max(lookBack, shiftOf(schedule.name, new Set()) + (schedule.typicalMs ?? 0));
  return lookBack;
}

/**
 * Every run of every schedule that starts before `endMs`, from far enough before `startMs` that none in
 * [startMs, endMs) is missed: its own timed fires, and for each upstream it is after, one run per upstream
 * run, at that run's start plus the upstream's typical duration (at its start when the duration is unknown).
 * A suspended schedule runs nothing and so starts nothing; a run outside the active window is skipped and
 * starts nothing either. An upstream that is not among `schedules` never runs. At most `limit` runs per
 * schedule, in time order. Only `targets` and their upstreams (all the way up) are placed, each once. Pure.
 */
export function placeRuns(
  schedules: readonly PlacedSchedule[],
  targets: readonly string[],
  window: { startMs: number; endMs: number; limit: number },
): Map<string, PlacedRuns> {
  const { startMs, endMs, limit } = window;
  const byName = new Map(schedules.map((schedule) => [schedule.name, schedule]));
  const fromMs = startMs - measureLookBack(byName);
  const placed = new Map<string, PlacedRuns>();
  const place = (name: string, visiting: ReadonlySet<string>): PlacedRuns => {
    const known = placed.get(name);
    if (known !== undefined) return known;
    const schedule = byName.get(name);
    if (schedule === undefined || schedule.suspended || visiting.has(name))
      return { runs: [], truncated: false };
    const inner = new Set(visiting).add(name);
    const result = placeSchedule(schedule, fromMs, endMs, limit, (upstream) => ({
      placed: place(upstream, inner),
      typicalMs: byName.get(upstream)?.typicalMs,
    }));
    placed.set(name, result);
    return result;
  };
  for (const name of targets) place(name, new Set());
  return placed;
}

/** The runs of one (not suspended) schedule in [fromMs, endMs), given its upstreams' runs. */
function placeSchedule(
  schedule: PlacedSchedule,
  fromMs: number,
  endMs: number,
  limit: number,
  upstreamOf: (name: string) => { placed: PlacedRuns; typicalMs: number | undefined },
): PlacedRuns {
  const [from, until] = clipWindow(schedule, fromMs, endMs);
  if (from >= until) return { runs: [], truncated: false };
  const own = listFires(schedule, from, until, limit + 1);
  let truncated = own.length > limit;
  const runs: PlacedRun[] = own
    .slice(0, limit)
    .map((atMs) => ({ schedule: schedule.name, atMs, conditions: [], unknownDurations: [] }));
  for (const link of schedule.after ?? []) {
    const { placed: upstream, typicalMs } = upstreamOf(link.schedule);
    truncated ||= upstream.truncated;
    for (const run of upstream.runs) {
      const atMs = run.atMs + (typicalMs ?? 0);
      if (atMs < from || atMs >= until) continue;
      runs.push({
        schedule: schedule.name,
        atMs,
        upstream: run,
        conditions: link.when === 'failed' ? [...run.conditions, link.schedule] : run.conditions,
        unknownDurations:
          typicalMs === undefined ? [...run.unknownDurations, link.schedule] : run.unknownDurations,
      });
    }
  }
  // Each source is in time order already: only a merge of several needs sorting.
  const sources = (own.length > 0 ? 1 : 0) + (schedule.after?.length ?? 0);
  if (sources > 1) runs.sort((a, b) => a.atMs - b.atMs);
  if (runs.length > limit) {
    runs.length = limit;
    truncated = true;
  }
  return { runs, truncated };
}
