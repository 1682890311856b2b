// The calendar as data: each schedule's fires in a window laid out in columns, and the schedules whose typical run
// outlasts their own period. Pure; `cronops calendar` renders it.
import { countFiresBetween } from '../../cron/fires.js';
import type { CompiledSchedule } from '../../cron/types.js';
import type { RunRecord } from '../../history/store.js';
import type { AfterSpec } from '../../manifest/after-schema.js';
import { clipWindow, listFires, placeRuns, type PlacedRun } from './calendar-after.js';
import { compareByName } from '../../shared/compare-text.js';

/** The widest window a calendar covers. */
export const MAX_WINDOW_MS = 366 * 86_400_000;
/** Fires per schedule looked at for overlaps (a denser schedule is cut, and the output says so). */
export const MAX_OVERLAP_FIRES = 10_000;
/** Successful runs the typical duration is taken from. */
export const DURATION_SAMPLE = 20;

/** One schedule as the calendar needs it. */
export interface CalendarSchedule {
  name: string;
  compiled: CompiledSchedule;
  timeZone: string;
  suspended: boolean;
  concurrencyPolicy: string;
  activeFrom?: Date;
  activeUntil?: Date;
  /** The p50 duration of its recent successful runs, when known. */
  typicalMs?: number;
  /** The schedules whose runs start this one (`spec.after`). */
  after?: readonly AfterSpec[];
}

/** How a schedule with `after` is placed: after its upstreams' runs, by their typical durations. */
export interface CalendarAfter {
  /** The `after` list as written: [{ schedule: extract, when: succeeded }]. */
  after: readonly AfterSpec[];
  /** The first run in the window placed after an upstream, with the chain that leads to it. */
  first?: PlacedRun;
  /** What some of its runs need, one entry per distinct chain of failures: "extract fails", "a and b fail". */
  conditions: string[];
  /** Upstreams whose typical duration is unknown: runs are placed at their start. */
  unknownDurations: string[];
  /** Upstreams it is after that are not among the loaded schedules: they never start it. */
  missing: string[];
}

/** One timeline row. */
export interface CalendarRow {
  name: string;
  /** One character per column: `.` no fire, `|` one fire, `#` several, `?` only runs that need a failure. */
  marks: string;
  /** Runs in the window that happen whatever the upstreams' outcomes. */
  count: number;
  /** Runs in the window that happen only if an upstream fails (`when: failed`). */
  conditionalCount: number;
  suspended: boolean;
  typicalMs?: number;
  /** For a schedule with `after`: how its runs are placed. */
  after?: CalendarAfter;
}

/**
 * A schedule whose typical run outlasts its own period: one of its fires comes while its previous run, by its
 * typical duration, is still going. Two different schedules firing together are not an overlap.
 */
export interface CalendarOverlap {
  name: string;
  /** The first fire in the window that comes while the previous run is still going. */
  at: Date;
  /** When that previous run started (the fire before `at`). */
  runningSince: Date;
  /** The median duration of its recent successful runs. */
  typicalMs: number;
  /** The shortest gap between two consecutive fires in the window: its period. */
  periodMs: number;
  /** What happens to such a fire (Forbid: skipped, Allow: runs beside, Replace: kills, Queue: waits). */
  concurrencyPolicy: string;
  /** How many fires in the window come while the previous run is still going. */
  count: number;
}

export interface Calendar {
  from: Date;
  to: Date;
  width: number;
  /** Milliseconds one column covers. */
  stepMs: number;
  rows: CalendarRow[];
  /** Schedules whose typical duration exceeds their period, in time order of their first overlap. */
  overlaps: CalendarOverlap[];
  /** Schedules whose fires were too many to look at all of them for overlaps. */
  truncated: string[];
}

/** Fires of the schedule in [startMs, endMs), clipped to its active window. */
function countFires(schedule: CalendarSchedule, startMs: number, endMs: number): number {
  const [from, until] = clipWindow(schedule, startMs, endMs);
  if (from >= until) return 0;
  return countFiresBetween(
    schedule.compiled,
    schedule.timeZone,
    new Date(from - 1),
    new Date(until - 1),
  ).count;
}

/**
 * Lay out every schedule's fires in [from, to) over `width` columns, and find the schedules that overlap
 * themselves: with a known typical duration d, a fire at f is still running at its next fire g when
 * g - f < d. Fires of different schedules at the same time are not overlaps (each has its own runs).
 * Suspended schedules never fire. A schedule with `after` also runs after each run of its upstreams, at the
 * upstream's start plus the upstream's typical duration (calendar-after.ts); runs that need an upstream to
 * fail are counted apart and never count as overlaps. Pure.
 */
export function buildCalendar(
  schedules: readonly CalendarSchedule[],
  window: { from: Date; to: Date; width: number },
): Calendar {
  const fromMs = window.from.getTime();
  const toMs = window.to.getTime();
  const width = Math.max(1, Math.floor(window.width));
  const stepMs = (toMs - fromMs) / width;
  const sorted = [...schedules].sort(compareByName);
  const rows: CalendarRow[] = [];
  const overlaps: CalendarOverlap[] = [];
  const truncated: string[] = [];
  const byName = new Map(schedules.map((schedule) => [schedule.name, schedule]));
  const downstreams = schedules.filter((s) => s.after !== undefined && s.after.length > 0);
  const placedRuns = placeRuns(
    schedules,
    downstreams.map((s) => s.name),
    { startMs: fromMs, endMs: toMs, limit: MAX_OVERLAP_FIRES },
  );
  for (const schedule of sorted) {
    const typicalMs = schedule.typicalMs;
    const lookBackMs = typicalMs !== undefined && typicalMs > 0 ? typicalMs : 0;
    let row: CalendarRow;
    let fires: number[] = [];
    if (schedule.after === undefined || schedule.after.length === 0) {
      row = buildTimedRow(schedule, fromMs, toMs, width, stepMs);
      // From one typical duration before the window: a run started before it may still go at its first fire.
      if (!schedule.suspended && lookBackMs > 0) {
        fires = listFires(schedule, fromMs - lookBackMs, toMs, MAX_OVERLAP_FIRES);
        if (fires.length >= MAX_OVERLAP_FIRES && row.count > fires.length)
          truncated.push(schedule.name);
      }
    } else {
      const placed = placedRuns.get(schedule.name) ?? { runs: [], truncated: false };
      row = buildAfterRow(schedule, schedule.after, placed.runs, byName, window, stepMs);
      if (placed.truncated) truncated.push(schedule.name);
      fires = placed.runs.filter((run) => run.conditions.length === 0).map((run) => run.atMs);
    }
    rows.push(row);
    if (schedule.suspended || typicalMs === undefined || typicalMs <= 0) continue;
    const overlap = findSelfOverlap(schedule, typicalMs, fires, fromMs);
    if (overlap !== undefined) overlaps.push(overlap);
  }
  overlaps.sort((a, b) => a.at.getTime() - b.at.getTime() || compareByName(a, b));
  return { from: window.from, to: window.to, width, stepMs, rows, overlaps, truncated };
}

/** The row of a schedule with only its own times: fires counted per column, however dense. */
function buildTimedRow(
  schedule: CalendarSchedule,
  fromMs: number,
  toMs: number,
  width: number,
  stepMs: number,
): CalendarRow {
  let marks = '';
  let count = 0;
  for (let column = 0; column < width; column += 1) {
    const start = fromMs + Math.round(column * stepMs);
    const end = column === width - 1 ? toMs : fromMs + Math.round((column + 1) * stepMs);
    const fires = schedule.suspended ? 0 : countFires(schedule, start, end);
    count += fires;
    marks += fires === 0 ? '.' : fires === 1 ? '|' : '#';
  }
  return {
    name: schedule.name,
    marks,
    count,
    conditionalCount: 0,
    suspended: schedule.suspended,
    ...(schedule.typicalMs !== undefined ? { typicalMs: schedule.typicalMs } : {}),
  };
}

/**
 * The row of a schedule with `after`: its own fires and the runs placed after its upstreams, from `runs`
 * (time order, possibly starting before the window). A column whose runs all need an upstream to fail is `?`.
 */
function buildAfterRow(
  schedule: CalendarSchedule,
  after: readonly AfterSpec[],
  runs: readonly PlacedRun[],
  byName: ReadonlyMap<string, CalendarSchedule>,
  window: { from: Date; to: Date; width: number },
  stepMs: number,
): CalendarRow {
  const fromMs = window.from.getTime();
  const toMs = window.to.getTime();
  const width = Math.max(1, Math.floor(window.width));
  const sure = new Array<number>(width).fill(0);
  const conditional = new Array<number>(width).fill(0);
  const conditions = new Set<string>();
  const unknownDurations = new Set<string>();
  let first: PlacedRun | undefined;
  for (const run of runs) {
    if (run.atMs < fromMs || run.atMs >= toMs) continue;
    const column = Math.min(width - 1, Math.floor((run.atMs - fromMs) / stepMs));
    if (run.conditions.length === 0) sure[column]! += 1;
    else conditional[column]! += 1;
    if (run.conditions.length > 0)
      conditions.add(
        `${run.conditions.join(' and ')} ${run.conditions.length === 1 ? 'fails' : 'fail'}`,
      );
    run.unknownDurations.forEach((name) => unknownDurations.add(name));
    if (first === undefined && run.upstream !== undefined) first = run;
  }
  const marks = sure
    .map((count, column) => {
      const all = count + conditional[column]!;
      if (all === 0) return '.';
      if (count === 0) return '?';
      return all === 1 ? '|' : '#';
    })
    .join('');
  return {
    name: schedule.name,
    marks,
    count: sure.reduce((sum, count) => sum + count, 0),
    conditionalCount: conditional.reduce((sum, count) => sum + count, 0),
    suspended: schedule.suspended,
    ...(schedule.typicalMs !== undefined ? { typicalMs: schedule.typicalMs } : {}),
    after: {
      after,
      ...(first !== undefined ? { first } : {}),
      conditions: [...conditions].sort(),
      unknownDurations: [...unknownDurations].sort(),
      missing: after.map((link) => link.schedule).filter((name) => !byName.has(name)),
    },
  };
}

/**
 * The overlap of a schedule with itself among its consecutive `fires` (ascending), counting only fires at or
 * after `fromMs`; undefined when every run, by its typical duration, ends before the next fire.
 */
export function findSelfOverlap(
  schedule: Pick<CalendarSchedule, 'name' | 'concurrencyPolicy'>,
  typicalMs: number,
  fires: readonly number[],
  fromMs = -Infinity,
): CalendarOverlap | undefined {
  let first: { at: number; since: number } | undefined;
  let count = 0;
  let periodMs = Infinity;
  for (let index = 1; index < fires.length; index += 1) {
    const since = fires[index - 1]!;
    const at = fires[index]!;
    periodMs = Math.min(periodMs, at - since);
    if (at < fromMs || at - since >= typicalMs) continue;
    count += 1;
    first ??= { at, since };
  }
  if (first === undefined) return undefined;
  return {
    name: schedule.name,
    at: new Date(first.at),
    runningSince: new Date(first.since),
    typicalMs,
    periodMs,
    concurrencyPolicy: schedule.concurrencyPolicy,
    count,
  };
}

/** The median duration of the newest `sample` successful runs (runs oldest first), or undefined without any. */
export function selectTypicalDuration(
  runs: readonly RunRecord[],
  sample = DURATION_SAMPLE,
): number | undefined {
  const durations: number[] = [];
  for (let index = runs.length - 1; index >= 0 && durations.length < sample; index -= 1) {
    const run = runs[index]!;
    if (run.status === 'succeeded' && typeof run.durationMs === 'number')
      durations.push(run.durationMs);
  }
  if (durations.length === 0) return undefined;
  durations.sort((a, b) => a - b);
  return durations[Math.floor((durations.length - 1) / 2)];
}
