// `cronops calendar`: every fire of every schedule in a window on a terminal timeline, with overlaps between long runs flagged.
import { InvalidArgumentError, type Command } from 'commander';
import { countFiresBetween, iterateFires } from '../../cron/fires.js';
import type { CompiledSchedule } from '../../cron/types.js';
import { readHistoryOffline } from '../../history/read-offline.js';
import type { RunRecord } from '../../history/store.js';
import { formatIssue, loadManifestDir } from '../../manifest/load.js';
import { systemClock } from '../../shared/clock.js';
import { SchedulerError } from '../../shared/errors.js';
import { parseDurationArgument, parseInstantArgument } from '../time-argument.js';
import { createUsageError, writeErr, writeOut } from '../output.js';
import { createStateDirOption, formatDuration } from './history.js';
import { assertPathsExist, selectDefaultDir } from './validate.js';

/** The widest window a calendar covers. */
export const MAX_WINDOW_MS = 366 * 86_400_000;
/** Fires per schedule looked at for overlaps (a denser schedule is cut, and the output says so). */
const MAX_OVERLAP_FIRES = 10_000;
/** Successful runs the typical duration is taken from. */
const DURATION_SAMPLE = 20;
/** Overlapping pairs printed; the rest are counted. */
const MAX_OVERLAPS_SHOWN = 50;

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
}

/** One timeline row. */
export interface CalendarRow {
  name: string;
  /** One character per column: `.` no fire, `|` one fire, `#` several. */
  marks: string;
  count: number;
  suspended: boolean;
  typicalMs?: number;
}

/** A schedule still running (by its typical duration) when another one (or itself) fires. */
export interface CalendarOverlap {
  /** The first instant in the window at which `firing` fires while `running` runs. */
  at: Date;
  running: string;
  /** When that run of `running` started. */
  runningSince: Date;
  typicalMs: number;
  /** The schedule that fires; equal to `running` when a schedule overlaps itself. */
  firing: string;
  /** The concurrency policy of `firing` (what happens to a fire overlapping itself). */
  firingPolicy: string;
  /** How many times this pair overlaps in the window. */
  count: number;
}

export interface Calendar {
  from: Date;
  to: Date;
  width: number;
  /** Milliseconds one column covers. */
  stepMs: number;
  rows: CalendarRow[];
  overlaps: CalendarOverlap[];
  /** Schedules whose fires were too many to look at all of them for overlaps. */
  truncated: string[];
}

/** The fire instants of a schedule in [startMs, endMs), clipped to its active window, at most `limit`. */
function listFires(
  schedule: CalendarSchedule,
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

/** [from, until) of the window where the schedule may fire (activeUntil itself may fire). */
function clipWindow(schedule: CalendarSchedule, startMs: number, endMs: number): [number, number] {
  const from = Math.max(startMs, schedule.activeFrom?.getTime() ?? -Infinity);
  const until = Math.min(endMs, (schedule.activeUntil?.getTime() ?? Infinity) + 1);
  return [from, until];
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
 * Lay out every schedule's fires in [from, to) over `width` columns, and find the overlaps:
 * a fire of a schedule with a known typical duration d occupies [f, f + d); any fire of any
 * schedule at g with f <= g < f + d (other than f itself) overlaps it. Suspended schedules
 * never fire. Pure.
 */
export function buildCalendar(
  schedules: readonly CalendarSchedule[],
  window: { from: Date; to: Date; width: number },
): Calendar {
  const fromMs = window.from.getTime();
  const toMs = window.to.getTime();
  const width = Math.max(1, Math.floor(window.width));
  const stepMs = (toMs - fromMs) / width;
  const sorted = [...schedules].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows: CalendarRow[] = [];
  const all: { name: string; at: number }[] = [];
  const firesBy = new Map<string, number[]>();
  const truncated: string[] = [];
  for (const schedule of sorted) {
    let marks = '';
    let count = 0;
    for (let column = 0; column < width; column += 1) {
      const start = fromMs + Math.round(column * stepMs);
      const end = column === width - 1 ? toMs : fromMs + Math.round((column + 1) * stepMs);
      const fires = schedule.suspended ? 0 : countFires(schedule, start, end);
      count += fires;
      marks += fires === 0 ? '.' : fires === 1 ? '|' : '#';
    }
    rows.push({
      name: schedule.name,
      marks,
      count,
      suspended: schedule.suspended,
      ...(schedule.typicalMs !== undefined ? { typicalMs: schedule.typicalMs } : {}),
    });
    if (schedule.suspended) continue;
    const fires = listFires(schedule, fromMs, toMs, MAX_OVERLAP_FIRES);
    if (fires.length >= MAX_OVERLAP_FIRES && count > fires.length) truncated.push(schedule.name);
    firesBy.set(schedule.name, fires);
    for (const at of fires) all.push({ name: schedule.name, at });
  }
  all.sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    from: window.from,
    to: window.to,
    width,
    stepMs,
    rows,
    overlaps: findOverlaps(sorted, firesBy, all),
    truncated,
  };
}

/** Every (running, firing) pair that overlaps, with its first instant and count, in time order. */
function findOverlaps(
  schedules: readonly CalendarSchedule[],
  firesBy: ReadonlyMap<string, readonly number[]>,
  all: readonly { name: string; at: number }[],
): CalendarOverlap[] {
  const policies = new Map(schedules.map((s) => [s.name, s.concurrencyPolicy]));
  const pairs = new Map<string, CalendarOverlap>();
  for (const schedule of schedules) {
    const typicalMs = schedule.typicalMs;
    if (schedule.suspended || typicalMs === undefined || typicalMs <= 0) continue;
    for (const at of firesBy.get(schedule.name) ?? []) {
      for (let index = lowerBound(all, at); index < all.length; index += 1) {
        const other = all[index]!;
        if (other.at >= at + typicalMs) break;
        if (other.name === schedule.name && other.at === at) continue;
        const key = `${schedule.name}\u0000${other.name}`;
        const known = pairs.get(key);
        if (known !== undefined) {
          known.count += 1;
          continue;
        }
        pairs.set(key, {
          at: new Date(other.at),
          running: schedule.name,
          runningSince: new Date(at),
          typicalMs,
          firing: other.name,
          firingPolicy: policies.get(other.name) ?? 'Forbid',
          count: 1,
        });
      }
    }
  }
  return [...pairs.values()].sort(
    (a, b) =>
      a.at.getTime() - b.at.getTime() ||
      (a.running < b.running ? -1 : a.running > b.running ? 1 : 0) ||
      (a.firing < b.firing ? -1 : a.firing > b.firing ? 1 : 0),
  );
}

/** The first index whose instant is >= at. */
function lowerBound(all: readonly { at: number }[], at: number): number {
  let low = 0;
  let high = all.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (all[middle]!.at < at) low = middle + 1;
    else high = middle;
  }
  return low;
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

/** `2026-03-10 12:00Z`, or only `12:00` / `03-10` for axis labels. */
function formatAxisLabel(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs <= 2 * 86_400_000 ? iso.slice(11, 16) : iso.slice(5, 10);
}

function formatWindowInstant(date: Date): string {
  return date
    .toISOString()
    .replace(/:00\.000Z$/, 'Z')
    .replace('T', ' ');
}

/** The timeline as text: header, axis, one row per schedule, the overlaps. */
export function renderCalendar(calendar: Calendar, notes: { durations: string }): string[] {
  const { rows, width } = calendar;
  const spanMs = calendar.to.getTime() - calendar.from.getTime();
  const nameWidth = Math.max(4, ...rows.map((row) => row.name.length));
  const countWidth = Math.max(5, ...rows.map((row) => String(row.count).length));
  const indent = ' '.repeat(nameWidth + 2);
  const lines = [
    `Fires from ${formatWindowInstant(calendar.from)} to ${formatWindowInstant(calendar.to)} (UTC), one column = ${formatDuration(calendar.stepMs)}`,
    '',
  ];
  // Axis: labels at the start, the quarters and the end, where they fit.
  const axis = Array.from({ length: width + 6 }, () => ' ');
  const ticks = Array.from({ length: width }, () => '-');
  for (const quarter of [0, 1, 2, 3, 4]) {
    const column = Math.min(width - 1, Math.round((quarter * width) / 4));
    // The last label names the end of the window, right-aligned under the last column.
    const at =
      quarter === 4 ? calendar.to.getTime() : calendar.from.getTime() + column * calendar.stepMs;
    const label = formatAxisLabel(at, spanMs);
    const start = quarter === 4 ? Math.max(0, width - label.length) : column;
    if (axis.slice(Math.max(0, start - 1), start + label.length + 1).some((c) => c !== ' '))
      continue;
    for (const [offset, char] of [...label].entries()) axis[start + offset] = char;
    ticks[column] = '+';
  }
  lines.push(`${indent}${axis.join('').trimEnd()}`);
  lines.push(`${indent}${ticks.join('')}  ${'FIRES'.padStart(countWidth)}  TYPICAL`);
  for (const row of rows) {
    const marks = row.suspended ? `(suspended)${' '.repeat(Math.max(0, width - 11))}` : row.marks;
    const typical = row.typicalMs === undefined ? 'unknown' : formatDuration(row.typicalMs);
    lines.push(
      `${row.name.padEnd(nameWidth)}  ${marks}  ${String(row.count).padStart(countWidth)}  ${typical}`.trimEnd(),
    );
  }
  if (rows.length === 0) lines.push('no schedules');
  lines.push('', '. no fire   | one fire   # several fires in a column');
  lines.push('', `Overlaps (${notes.durations}):`);
  if (calendar.overlaps.length === 0) lines.push('  none found');
  for (const overlap of calendar.overlaps.slice(0, MAX_OVERLAPS_SHOWN)) {
    const since = formatWindowInstant(overlap.runningSince).slice(11);
    const more = overlap.count > 1 ? ` (${overlap.count} times in the window)` : '';
    const what =
      overlap.firing === overlap.running
        ? `fires again while its run from ${since} is still going (typically ${formatDuration(overlap.typicalMs)}; concurrencyPolicy ${overlap.firingPolicy})`
        : `still running (since ${since}, typically ${formatDuration(overlap.typicalMs)}) when ${overlap.firing} fires`;
    lines.push(`  ${formatWindowInstant(overlap.at)}  ${overlap.running} ${what}${more}`);
  }
  if (calendar.overlaps.length > MAX_OVERLAPS_SHOWN) {
    lines.push(`  … and ${calendar.overlaps.length - MAX_OVERLAPS_SHOWN} more pairs`);
  }
  for (const name of calendar.truncated) {
    lines.push(`  (only the first ${MAX_OVERLAP_FIRES} fires of ${name} were looked at)`);
  }
  return lines;
}

/**
 * `--from`/`--to`: an ISO 8601 date (midnight UTC) or instant (without an offset: UTC); for
 * `--to` also a duration after `--from` (`12h`, `7d`, `1d12h`).
 */
export function parseCalendarTime(flag: string, text: string, base?: Date): Date {
  const value = text.trim();
  const ms = base === undefined ? undefined : parseDurationArgument(value);
  if (base !== undefined && ms !== undefined) return new Date(base.getTime() + ms);
  const at = parseInstantArgument(value);
  if (at !== undefined) return at;
  const durations = base === undefined ? '' : ' or a duration after --from like "7d"';
  throw createUsageError(
    `${flag}: expected an ISO 8601 time like "2026-03-10T00:00:00Z"${durations}, got "${text}"`,
  );
}

function parseWidth(value: string): number {
  const width = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(width >= 8 && width <= 1000))
    throw new InvalidArgumentError('expected a whole number from 8 to 1000.');
  return width;
}

interface CalendarOptions {
  from?: string;
  to?: string;
  dir?: string;
  width?: number;
  stateDir: string;
}

export function registerCalendarCommand(program: Command): Command {
  return program
    .command('calendar')
    .summary('show every fire in a window on a timeline, with overlaps')
    .description(
      'Show every fire of every schedule in --dir between --from and --to (default: the next 24 h) ' +
        'on a timeline, one row per schedule with its fire count, then the overlaps: a schedule ' +
        'still running, by its typical duration (p50 of its last successful runs in --state-dir), ' +
        'when another schedule (or itself) fires.',
    )
    .option('--from <time>', 'start of the window: ISO 8601 (default: now)')
    .option(
      '--to <time>',
      'end of the window: ISO 8601, or a duration after --from like "7d" (default: 24h)',
    )
    .option('--dir <dir>', 'manifest directory (default: $CRONOPS_DIR or schedules.d)')
    .option(
      '--width <n>',
      'columns of the timeline (default: fits the terminal, 60 otherwise)',
      parseWidth,
    )
    .addOption(createStateDirOption())
    .addHelpText(
      'after',
      `
Examples:
  $ cronops calendar
  $ cronops calendar --from 2026-03-10 --to 7d --width 84
  $ cronops calendar --dir /etc/cronops/schedules.d --state-dir /var/lib/cronops`,
    )
    .action(async (options: CalendarOptions) => {
      // By default the window starts at the current minute.
      const from =
        options.from === undefined
          ? new Date(Math.floor(systemClock.now().getTime() / 60_000) * 60_000)
          : parseCalendarTime('--from', options.from);
      const to =
        options.to === undefined
          ? new Date(from.getTime() + 86_400_000)
          : parseCalendarTime('--to', options.to, from);
      if (to.getTime() <= from.getTime()) {
        throw createUsageError(
          `--to (${to.toISOString()}) must be after --from (${from.toISOString()})`,
        );
      }
      if (to.getTime() - from.getTime() > MAX_WINDOW_MS) {
        throw createUsageError('the window from --from to --to may span at most 366 days');
      }
      const dir = options.dir ?? selectDefaultDir(process.env);
      await assertPathsExist([dir]);
      const loaded = await loadManifestDir(dir);
      const unreadable = loaded.issues.find((issue) => issue.file === dir);
      if (unreadable !== undefined) {
        throw new SchedulerError('MANIFEST_READ_FAILED', formatIssue(unreadable), { file: dir });
      }
      for (const issue of loaded.issues)
        writeErr(`cronops: warning: skipped: ${formatIssue(issue)}`);
      const history = await readHistoryOffline(options.stateDir).catch(() => undefined);
      const schedules: CalendarSchedule[] = loaded.schedules.map((schedule) => {
        const typicalMs = history?.exists
          ? selectTypicalDuration(history.runs(schedule.name))
          : undefined;
        return {
          name: schedule.name,
          compiled: schedule.compiled,
          timeZone: schedule.spec.timezone,
          suspended: schedule.spec.suspend === true,
          concurrencyPolicy: schedule.spec.concurrencyPolicy,
          ...(schedule.spec.activeFrom !== undefined
            ? { activeFrom: new Date(schedule.spec.activeFrom) }
            : {}),
          ...(schedule.spec.activeUntil !== undefined
            ? { activeUntil: new Date(schedule.spec.activeUntil) }
            : {}),
          ...(typicalMs !== undefined ? { typicalMs } : {}),
        };
      });
      const nameWidth = Math.max(4, ...schedules.map((s) => s.name.length));
      const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
      const width =
        options.width ??
        (columns === undefined ? 60 : Math.max(16, Math.min(200, columns - nameWidth - 24)));
      const calendar = buildCalendar(schedules, { from, to, width });
      const known = schedules.filter((s) => s.typicalMs !== undefined).length;
      const durations = history?.exists
        ? `typical duration = p50 of the last ${DURATION_SAMPLE} successful runs in ${options.stateDir}; known for ${known} of ${schedules.length} schedules`
        : `no history in ${options.stateDir}: typical durations unknown, pass --state-dir`;
      for (const line of renderCalendar(calendar, { durations })) writeOut(line);
    });
}
