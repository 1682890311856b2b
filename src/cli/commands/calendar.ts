// `cronops calendar`: every fire of every schedule in a window on a terminal timeline, with the schedules whose
// typical run outlasts their period flagged.
import { InvalidArgumentError, type Command } from 'commander';
import { readHistoryOffline } from '../../history/read-offline.js';
import { describeAfter } from '../../manifest/after-schema.js';
import { formatIssue, loadManifestDir } from '../../manifest/load.js';
import { systemClock } from '../../shared/clock.js';
import { SchedulerError } from '../../shared/errors.js';
import { parseDurationArgument, parseInstantArgument } from '../time-argument.js';
import { createUsageError, writeErr, writeOut } from '../output.js';
import { createStateDirOption, formatDuration } from './history.js';
import { assertPathsExist, selectDefaultDir } from './validate.js';
import {
  DURATION_SAMPLE,
  MAX_OVERLAP_FIRES,
  MAX_WINDOW_MS,
  buildCalendar,
  selectTypicalDuration,
  type Calendar,
  type CalendarOverlap,
  type CalendarRow,
  type CalendarSchedule,
} from './calendar-model.js';
import { listChain, type PlacedRun } from './calendar-after.js';

/** Overlapping schedules printed; the rest are counted. */
const MAX_OVERLAPS_SHOWN = 50;

/** What a fire that comes while the previous run still goes turns into, by concurrency policy. */
const POLICY_EFFECTS: Readonly<Record<string, string>> = {
  Forbid: 'those fires are skipped',
  Allow: 'runs pile up side by side',
  Replace: 'each run is killed by the next fire',
  Queue: 'fires queue up behind the running one',
};

function describeOverlap(overlap: CalendarOverlap): string {
  const since = formatWindowInstant(overlap.runningSince).slice(11);
  const effect = POLICY_EFFECTS[overlap.concurrencyPolicy] ?? 'see its concurrencyPolicy';
  const times = overlap.count === 1 ? 'once' : `${overlap.count} times`;
  return (
    `  ${formatWindowInstant(overlap.at)}  ${overlap.name} typically runs ${formatDuration(overlap.typicalMs)}, ` +
    `longer than its period of ${formatDuration(overlap.periodMs)}: it fires while its run from ${since} ` +
    `is still going, ${times} in the window (concurrencyPolicy ${overlap.concurrencyPolicy}: ${effect})`
  );
}

/** The FIRES column: `3`, or with runs that need an upstream to fail `3+1?` / `1?`. */
function formatCount(row: CalendarRow): string {
  if (row.conditionalCount === 0) return String(row.count);
  return `${row.count === 0 ? '' : `${row.count}+`}${row.conditionalCount}?`;
}

/** `extract 02:00Z +30m00s transform +15m00s load`: the chain that leads to a placed run. */
function describePath(run: PlacedRun): string {
  const [root, ...steps] = listChain(run);
  if (root === undefined) return '';
  const parts = [`${root.schedule} ${formatWindowInstant(new Date(root.atMs)).slice(11)}`];
  let previous = root;
  for (const step of steps) {
    const unknown = step.unknownDurations.includes(previous.schedule);
    parts.push(`+${unknown ? '?' : formatDuration(step.atMs - previous.atMs)} ${step.schedule}`);
    previous = step;
  }
  return parts.join(' ');
}

/** One line of the After section: what starts the schedule, its first placed run and what to know about it. */
function describeAfterRow(row: CalendarRow, nameWidth: number): string {
  const after = row.after!;
  const notes: string[] = [];
  if (row.suspended) notes.push('suspended: its runs are recorded skipped');
  for (const name of after.missing)
    notes.push(`${name} is not a loaded schedule: it starts nothing`);
  if (after.conditions.length > 0) notes.push(`only if ${after.conditions.join(' or ')}`);
  const unknown = after.unknownDurations;
  if (unknown.length === 1) notes.push(`${unknown[0]}'s duration unknown: placed at its start`);
  if (unknown.length > 1)
    notes.push(
      `durations of ${unknown.slice(0, -1).join(', ')} and ${unknown.at(-1)} unknown: each step placed at its upstream's start`,
    );
  if (after.first === undefined) notes.push('no run after an upstream in the window');
  else
    notes.push(
      `first ${formatWindowInstant(new Date(after.first.atMs))} (${describePath(after.first)})`,
    );
  return `  ${row.name.padEnd(nameWidth)}  ${describeAfter(after.after)}: ${notes.join('; ')}`;
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

/** The timeline as text: header, axis, one row per schedule, the schedules that overlap themselves. */
export function renderCalendar(calendar: Calendar, notes: { durations: string }): string[] {
  const { rows, width } = calendar;
  const spanMs = calendar.to.getTime() - calendar.from.getTime();
  const nameWidth = Math.max(4, ...rows.map((row) => row.name.length));
  const countWidth = Math.max(5, ...rows.map((row) => formatCount(row).length));
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
      `${row.name.padEnd(nameWidth)}  ${marks}  ${formatCount(row).padStart(countWidth)}  ${typical}`.trimEnd(),
    );
  }
  if (rows.length === 0) lines.push('no schedules');
  const conditional = rows.some((row) => row.conditionalCount > 0);
  lines.push(
    '',
    `. no fire   | one fire   # several fires in a column${conditional ? '   ? only if an upstream fails' : ''}`,
  );
  const afterRows = rows.filter((row) => row.after !== undefined);
  if (afterRows.length > 0) {
    lines.push('', "After (placed at the upstream's start + the upstream's typical duration):");
    for (const row of afterRows) lines.push(describeAfterRow(row, nameWidth));
  }
  lines.push('', `Overlaps (${notes.durations}):`);
  if (calendar.overlaps.length === 0) lines.push('  none found');
  for (const overlap of calendar.overlaps.slice(0, MAX_OVERLAPS_SHOWN))
    lines.push(describeOverlap(overlap));
  if (calendar.overlaps.length > MAX_OVERLAPS_SHOWN) {
    lines.push(`  … and ${calendar.overlaps.length - MAX_OVERLAPS_SHOWN} more schedules`);
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
    .summary('show every fire in a window on a timeline, with schedules that outlast their period')
    .description(
      'Show every fire of every schedule in --dir between --from and --to (default: the next 24 h) ' +
        'on a timeline, one row per schedule with its fire count, then the overlaps: a schedule whose ' +
        'typical duration (median of its last 20 successful runs in --state-dir) exceeds its own ' +
        'period, so it fires again while its previous run is still going. Different schedules ' +
        'firing at the same time are not overlaps. A schedule with "after" is placed after each run of ' +
        "its upstreams, at the upstream's start plus the upstream's typical duration (chains add up); " +
        'runs that need an upstream to fail (when: failed) are marked "?".',
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
          ...(schedule.spec.after !== undefined ? { after: schedule.spec.after } : {}),
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
        ? `typical duration = median of the last ${DURATION_SAMPLE} successful runs in ${options.stateDir}; known for ${known} of ${schedules.length} schedules`
        : `no history in ${options.stateDir}: typical durations unknown, pass --state-dir`;
      for (const line of renderCalendar(calendar, { durations })) writeOut(line);
    });
}
