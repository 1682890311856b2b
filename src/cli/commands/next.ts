// `cronops next`: the next fire instants of a named schedule or of a cron expression, for people and scripts.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { compileSchedule } from '../../cron/compile.js';
import { describeSchedule } from '../../cron/describe.js';
import { nextFires } from '../../cron/fires.js';
import type { CompiledSchedule } from '../../cron/types.js';
import { describeAfter } from '../../manifest/after-schema.js';
import { formatIssue, loadManifestDir } from '../../manifest/load.js';
import type { LoadResult } from '../../manifest/load.js';
import { formatScheduleError } from '../../manifest/schedule-expression.js';
import { findClosest } from '../../manifest/suggest.js';
import { checkTimeZone } from '../../manifest/timezone.js';
import { parseYamlText } from '../../manifest/yaml.js';
import { systemClock } from '../../shared/clock.js';
import { SchedulerError } from '../../shared/errors.js';
import { createUsageError, writeErr, writeOut } from '../output.js';
import { assertPathsExist, selectDefaultDir } from './validate.js';

/** The most instants one call prints. */
export const MAX_NEXT_COUNT = 10_000;

interface NextOptions {
  count: number;
  dir?: string;
  from?: string;
  cron?: string;
  tz?: string;
  json?: boolean;
}

/** What `next` computes before printing: a schedule, its zone and its instants. */
export interface NextPlan {
  /** The schedule's name, for a named schedule. */
  name?: string;
  schedule: CompiledSchedule;
  timeZone: string;
  /** True when the clock never fires it (spec.suspend). */
  suspended: boolean;
  instants: Date[];
  /** What else starts it, for a schedule with both times and `after`: "after extract (succeeded)". */
  after?: string;
}

export function registerNextCommand(program: Command): void {
  program
    .command('next')
    .summary('print the next fire instants of a schedule or a cron expression')
    .description(
      "Print the next N fire instants strictly after --from (default: now), first in the schedule's " +
        'time zone, then in UTC: exactly the instants the daemon fires. ' +
        'Give either a schedule NAME (looked up in --dir) or --cron EXPR.',
    )
    .argument('[name]', 'a schedule name (metadata.name) from the manifest directory')
    .option('-n, --count <n>', `how many instants (1-${MAX_NEXT_COUNT})`, parseCount, 5)
    .option('--dir <dir>', 'manifest directory for NAME (default: $CRONOPS_DIR or schedules.d)')
    .option('--cron <expr>', 'a schedule expression instead of NAME (cron, macro or @every)')
    .option('--tz <zone>', 'IANA time zone for --cron (default: UTC)')
    .option('--from <iso>', 'start after this instant, ISO 8601 with an offset (default: now)')
    .option('--json', 'print only a JSON array of ISO 8601 UTC instants')
    .addHelpText(
      'after',
      `
Examples:
  $ cronops next nightly-db-backup
  $ cronops next postgres-backup -n 3 --dir examples
  $ cronops next --cron '30 2 * * *' --tz America/New_York --from 2026-03-07T12:00:00Z -n 3
  At 02:30 (America/New_York)
  2026-03-08 03:00:00 EDT (-04:00)  2026-03-08T07:00:00Z
  2026-03-09 02:30:00 EDT (-04:00)  2026-03-09T06:30:00Z
  2026-03-10 02:30:00 EDT (-04:00)  2026-03-10T06:30:00Z

  $ cronops next --cron '@every 90s' --from 2026-03-07T12:00:00Z -n 2 --json
  ["2026-03-07T12:01:30.000Z","2026-03-07T12:03:00.000Z"]`,
    )
    .action(async (name: string | undefined, options: NextOptions) => {
      const from = options.from === undefined ? systemClock.now() : parseFrom(options.from);
      const plan =
        options.cron !== undefined
          ? planCronExpression(name, options, from)
          : await planNamedSchedule(name, options, from);
      if (options.json) {
        writeOut(JSON.stringify(plan.instants.map((instant) => instant.toISOString())));
        return;
      }
      for (const line of renderNextPlan(plan)) writeOut(line);
    });
}

function parseCount(value: string): number {
  const count = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(count) || count < 1 || count > MAX_NEXT_COUNT) {
    throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_NEXT_COUNT}.`);
  }
  return count;
}

/**
 * `--from`: an ISO 8601 date (midnight UTC) or date-time with `Z` or an offset. A time
 * without an offset is refused rather than read in whatever zone the machine happens to use.
 */
export function parseFrom(value: string): Date {
  const iso =
    /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;
  const instant = new Date(value);
  if (!iso.test(value) || Number.isNaN(instant.getTime())) {
    throw createUsageError(
      `--from: expected an ISO 8601 instant with an offset like "2026-03-07T12:00:00Z", got "${value}"`,
    );
  }
  return instant;
}

function planCronExpression(name: string | undefined, options: NextOptions, from: Date): NextPlan {
  if (name !== undefined) {
    throw createUsageError(
      `give either a schedule NAME or --cron, not both (got "${name}" and --cron)`,
    );
  }
  if (options.dir !== undefined)
    throw createUsageError('--dir applies to a schedule NAME, not to --cron');
  const expression = options.cron ?? '';
  const compiled = compileSchedule(expression);
  if (!compiled.ok) {
    throw new SchedulerError(
      'MANIFEST_INVALID',
      `invalid schedule "${expression}": ${compiled.errors.map(formatScheduleError).join('; ')}`,
    );
  }
  const timeZone = resolveTimeZone(options.tz ?? 'UTC');
  return {
    schedule: compiled.schedule,
    timeZone,
    suspended: false,
    instants: nextFires(compiled.schedule, timeZone, from, options.count),
  };
}

async function planNamedSchedule(
  name: string | undefined,
  options: NextOptions,
  from: Date,
): Promise<NextPlan> {
  if (name === undefined) {
    throw createUsageError('give a schedule NAME or --cron EXPR (see cronops next --help)');
  }
  if (options.tz !== undefined) {
    throw createUsageError('--tz applies to --cron; a named schedule fires in its spec.timezone');
  }
  const dir = options.dir ?? selectDefaultDir(process.env);
  await assertPathsExist([dir]);
  const result = await loadManifestDir(dir);
  const unreadable = result.issues.find((issue) => issue.file === dir);
  if (unreadable !== undefined) {
    throw new SchedulerError('MANIFEST_READ_FAILED', formatIssue(unreadable), { file: dir });
  }
  const found = findSchedule(result, name);
  if (found.kind === 'missing') {
    const hint = found.suggestion === undefined ? '' : ` (did you mean "${found.suggestion}"?)`;
    throw new SchedulerError('SCHEDULE_NOT_FOUND', `no schedule named "${name}" in ${dir}${hint}`, {
      schedule: name,
    });
  }
  if (found.kind === 'invalid') {
    for (const issue of found.issues) writeErr(formatIssue(issue));
    throw new SchedulerError(
      'MANIFEST_INVALID',
      `schedule "${name}" is in ${found.file}, which has ${found.issues.length === 1 ? 'an error' : `${found.issues.length} errors`}`,
      { file: found.file, schedule: name },
    );
  }
  const { loaded } = found;
  const window = selectActiveWindow(loaded.spec, from);
  const instants = nextFires(loaded.compiled, loaded.spec.timezone, window.after, options.count);
  return {
    name,
    schedule: loaded.compiled,
    timeZone: loaded.spec.timezone,
    suspended: loaded.spec.suspend === true,
    instants: window.until === undefined ? instants : instants.filter((at) => at <= window.until!),
    ...(loaded.spec.after !== undefined &&
      loaded.compiled.kind !== 'after' && { after: describeAfter(loaded.spec.after) }),
  };
}

type LoadedSchedule = LoadResult['schedules'][number];

type FoundSchedule =
  | { kind: 'ok'; loaded: LoadedSchedule }
  | { kind: 'invalid'; file: string; issues: LoadResult['issues'] }
  | { kind: 'missing'; suggestion?: string };

/**
 * Find a schedule by name. A schedule whose file has errors is reported with those errors
 * (the loader drops every schedule of an invalid file), and a name that is nowhere gets the
 * closest known name as a suggestion.
 */
export function findSchedule(result: LoadResult, name: string): FoundSchedule {
  const loaded = result.schedules.find((schedule) => schedule.name === name);
  const file = loaded?.file ?? findFileDeclaring(result, name);
  if (file !== undefined) {
    const issues = result.issues.filter((issue) => issue.file === file);
    if (issues.length > 0) return { kind: 'invalid', file, issues };
  }
  if (loaded !== undefined) return { kind: 'ok', loaded };
  const suggestion = findClosest(
    name,
    result.schedules.map((schedule) => schedule.name),
  );
  return suggestion === undefined ? { kind: 'missing' } : { kind: 'missing', suggestion };
}

/** The file that declares `name`: among valid documents, else in the YAML of files with errors. */
function findFileDeclaring(result: LoadResult, name: string): string | undefined {
  for (const file of result.files) {
    if (file.documents.some((document) => document.kind === 'Schedule' && document.name === name)) {
      return file.file;
    }
  }
  const filesWithIssues = new Set(result.issues.map((issue) => issue.file));
  for (const file of result.files) {
    if (!filesWithIssues.has(file.file)) continue;
    // Only on this failure path: re-read the file to find names in documents that did not validate.
    const text = readTextOrEmpty(file.file);
    if (
      parseYamlText(text).documents.some((document) => readMetadataName(document.value) === name)
    ) {
      return file.file;
    }
  }
  return undefined;
}

function readTextOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function readMetadataName(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const metadata = (value as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const metadataName = (metadata as { name?: unknown }).name;
  return typeof metadataName === 'string' ? metadataName : undefined;
}

/** The fires to show for a schedule with activeFrom/activeUntil: only those the clock would fire. */
function selectActiveWindow(
  spec: { activeFrom?: Date | string | undefined; activeUntil?: Date | string | undefined },
  from: Date,
): { after: Date; until?: Date } {
  let after = from;
  if (spec.activeFrom !== undefined) {
    // Fires are strictly after `after`; activeFrom itself may fire.
    const start = new Date(new Date(spec.activeFrom).getTime() - 1);
    if (start > after) after = start;
  }
  return spec.activeUntil === undefined ? { after } : { after, until: new Date(spec.activeUntil) };
}

function resolveTimeZone(zone: string): string {
  const check = checkTimeZone(zone);
  if (check.ok) return zone;
  throw new SchedulerError('MANIFEST_INVALID', `--tz: ${check.message}`);
}

/** The human output: a heading with the description and zone, then one line per instant. */
export function renderNextPlan(plan: NextPlan): string[] {
  const description =
    describeSchedule(plan.schedule) + (plan.after === undefined ? '' : `, and ${plan.after}`);
  const heading = `${plan.name === undefined ? '' : `${plan.name}: `}${description} (${plan.timeZone})`;
  const lines = [plan.suspended ? `${heading} - suspended: the clock does not fire it` : heading];
  const formatter = createZonedFormatter(plan.timeZone);
  const local = plan.instants.map((instant) => formatter(instant));
  const width = Math.max(0, ...local.map((text) => text.length));
  plan.instants.forEach((instant, index) => {
    lines.push(`${(local[index] ?? '').padEnd(width)}  ${formatUtc(instant)}`);
  });
  if (plan.schedule.kind === 'after')
    lines.push('(no times of its own: it runs when a run of a schedule it is after ends)');
  else if (plan.instants.length === 0) lines.push('(no fire instants)');
  return lines;
}

/** `2026-03-08T07:00:00Z` (milliseconds only when there are some). */
export function formatUtc(instant: Date): string {
  return instant.toISOString().replace('.000Z', 'Z');
}

/**
 * A formatter for instants in `timeZone`: `2026-03-08 03:00:00 EDT (-04:00)`. The zone
 * abbreviation is shown when one exists in common use (EDT, CET, BST), else only the offset.
 */
export function createZonedFormatter(timeZone: string): (instant: Date) => string {
  const fields = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  });
  const abbreviations = ['en-US', 'en-GB'].map(
    (locale) => new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' }),
  );
  return (instant) => {
    const parts = Object.fromEntries(
      fields.formatToParts(instant).map((part) => [part.type, part.value]),
    ) as Partial<Record<Intl.DateTimeFormatPartTypes, string>>;
    const offsetText = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, '');
    const offset = offsetText === '' ? '+00:00' : offsetText;
    const abbreviation = selectAbbreviation(abbreviations, instant);
    const date = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
    return `${date} ${abbreviation === undefined ? '' : `${abbreviation} `}(${offset})`;
  };
}

function selectAbbreviation(formats: Intl.DateTimeFormat[], instant: Date): string | undefined {
  for (const format of formats) {
    const name = format.formatToParts(instant).find((part) => part.type === 'timeZoneName')?.value;
    if (name !== undefined && !/^(GMT|UTC)[+-−]/.test(name)) return name;
  }
  return undefined;
}
