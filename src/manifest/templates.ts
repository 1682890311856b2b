// `{{ variable }}` templates in task and notify strings: checked at load time, rendered at run time.
import { offsetAt, toWallTime } from '../cron/zone-offsets.js';
import { SchedulerError } from '../shared/errors.js';
import { findClosest, formatSuggestion } from './suggest.js';
import { MONTH_NAMES } from '../shared/month-names.js';

/** The variables a template may use besides `params.PATH`. */
export const TEMPLATE_VARIABLES = [
  'name',
  'runId',
  'attempt',
  'trigger',
  'scheduledTime',
  'date',
  'time',
  'datetime',
  'year',
  'month',
  'monthName',
  'day',
  'weekday',
  'week',
  'timestamp',
  'logicalTime',
  'upstream.schedule',
  'upstream.runId',
  'upstream.status',
] as const;

export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/** Everything a template can refer to for one run. */
export interface TemplateContext {
  /** Each variable already rendered as text. */
  values: Readonly<Record<TemplateVariable, string>>;
  /** The schedule's params, for `{{ params.PATH }}`. */
  params: Readonly<Record<string, unknown>>;
}

/** What `buildTemplateContext` needs to know about a run. */
export interface TemplateContextInput {
  name: string;
  runId: string;
  attempt: number;
  trigger: string;
  /** The instant the fire was scheduled for (not when it started). */
  scheduledTime: Date;
  /** The schedule's IANA zone, for the local date and time variables. */
  timeZone: string;
  params: Record<string, unknown>;
  /** The chain root's scheduled instant: the date and time variables read it. @default scheduledTime */
  logicalTime?: Date;
  /** The run that started this one, for a run started by `spec.after`. */
  upstream?: { schedule: string; runId: string; status: string };
}

/** A piece of a template string: literal text, or one `{{ expression }}` and its source text. */
export type TemplatePart = { text: string } | { expression: string; source: string };

const KNOWN = new Set<string>(TEMPLATE_VARIABLES);
const ESCAPE_HINT = 'write \\{{ for a literal "{{"';

/**
 * Split a string into literal text and `{{ expression }}` parts. `\{{` is a literal `{{`.
 * Returns the parts and the syntax problems (an unclosed `{{`).
 */
export function splitTemplate(text: string): { parts: TemplatePart[]; problems: string[] } {
  const parts: TemplatePart[] = [];
  const problems: string[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    if (open > 0 && text[open - 1] === '\\') {
      literal += `${text.slice(i, open - 1)}{{`;
      i = open + 2;
      continue;
    }
    const close = text.indexOf('}}', open + 2);
    if (close === -1) {
      problems.push(`unclosed "{{" in "${text}" (${ESCAPE_HINT})`);
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    if (literal !== '') parts.push({ text: literal });
    literal = '';
    parts.push({
      expression: text.slice(open + 2, close).trim(),
      source: text.slice(open, close + 2),
    });
    i = close + 2;
  }
  if (literal !== '') parts.push({ text: literal });
  return { parts, problems };
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/**
 * Follow a `params.a.b.0` path. Returns the value, or a sentence saying where the path breaks.
 */
function lookUpParam(
  params: unknown,
  segments: string[],
): { ok: true; value: unknown } | { ok: false; problem: string } {
  let current: unknown = params;
  let walked = 'params';
  for (const segment of segments) {
    if (Array.isArray(current)) {
      const index = /^\d+$/.test(segment) ? Number(segment) : Number.NaN;
      if (!(index < current.length)) {
        return {
          ok: false,
          problem: `${walked} is a list of ${current.length} item${current.length === 1 ? '' : 's'}, it has no item ${JSON.stringify(segment)}`,
        };
      }
      current = current[index];
    } else if (current !== null && typeof current === 'object') {
      const record = current as Record<string, unknown>;
      if (!Object.hasOwn(record, segment)) {
        const keys = Object.keys(record);
        const hint =
          formatSuggestion(segment, keys) ||
          (keys.length > 0
            ? ` (it has ${keys
                .slice(0, 10)
                .map((key) => `"${key}"`)
                .join(', ')})`
            : ' (it is empty)');
        return { ok: false, problem: `${walked} has no "${segment}"${hint}` };
      }
      current = record[segment];
    } else {
      return {
        ok: false,
        problem: `${walked} is ${describeKind(current)}, it has no "${segment}"`,
      };
    }
    walked += `.${segment}`;
  }
  return { ok: true, value: current };
}

/** The problem with one `{{ expression }}`, or undefined. `params` undefined skips the params lookup. */
function checkExpression(
  expression: string,
  source: string,
  params: Record<string, unknown> | undefined,
  hasAfter: boolean | undefined,
): string | undefined {
  if (KNOWN.has(expression)) {
    return hasAfter === false && expression.startsWith('upstream.')
      ? `template "${source}" is set only for a schedule with "after" (it names the run that started this one)`
      : undefined;
  }
  if (expression === 'params') {
    return `template "${source}" needs a path, like "{{ params.retentionDays }}"`;
  }
  if (expression.startsWith('params.')) {
    const segments = expression.slice('params.'.length).split('.');
    if (segments.some((segment) => segment === '')) {
      return `template "${source}" has an empty part in its params path`;
    }
    if (params === undefined) return undefined;
    const found = lookUpParam(params, segments);
    return found.ok
      ? undefined
      : `template "${source}" refers to a missing param: ${found.problem}`;
  }
  const [head = '', ...rest] = expression.split('.');
  const closest =
    rest.length > 0 && head !== 'upstream'
      ? findClosest(head, ['params']) && `params.${rest.join('.')}`
      : findClosest(expression, TEMPLATE_VARIABLES);
  return closest
    ? `unknown template variable "${source}" (did you mean "{{ ${closest} }}"?)`
    : `unknown template variable "${source}" (known: ${TEMPLATE_VARIABLES.join(', ')}, params.PATH; ${ESCAPE_HINT})`;
}

/**
 * Every problem with the templates in `text`, one sentence each: unknown variables, params
 * paths not present in `params`, unclosed `{{`. Empty when the text renders cleanly.
 */
export function findTemplateProblems(text: string, params: Record<string, unknown>): string[] {
  return checkTemplateText(text, params);
}

/**
 * Like `findTemplateProblems`; with `params` undefined only the variable names are checked
 * (used for Defaults, whose params paths are checked against each schedule later). `hasAfter`
 * false makes `upstream.*` an error; undefined leaves it to the merge (Defaults).
 */
export function checkTemplateText(
  text: string,
  params: Record<string, unknown> | undefined,
  hasAfter?: boolean,
): string[] {
  if (!text.includes('{{')) return [];
  const { parts, problems } = splitTemplate(text);
  for (const part of parts) {
    if ('expression' in part) {
      const problem = checkExpression(part.expression, part.source, params, hasAfter);
      if (problem !== undefined) problems.push(problem);
    }
  }
  return problems;
}

/** Whether `text` uses `{{ params.… }}` (so it must be checked against each schedule's params). */
export function usesParams(text: string): boolean {
  return /\{\{\s*params[.\s}]/.test(text);
}

/** Whether `text` uses `{{ upstream.… }}` (so a Defaults string is checked against each schedule's `after`). */
export function usesUpstream(text: string): boolean {
  return /\{\{\s*upstream\./.test(text);
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * The text of one `{{ expression }}` for a run: strings as they are, lists and mappings as JSON, null as
 * nothing. Templates are checked at load time, so an unknown variable here is a broken invariant and throws.
 */
export function renderExpression(
  part: { expression: string; source: string },
  context: TemplateContext,
): string {
  if (KNOWN.has(part.expression)) return context.values[part.expression as TemplateVariable];
  if (part.expression.startsWith('params.')) {
    const found = lookUpParam(context.params, part.expression.slice('params.'.length).split('.'));
    if (!found.ok)
      throw new SchedulerError('MANIFEST_INVALID', `template "${part.source}": ${found.problem}`);
    return renderValue(found.value);
  }
  throw new SchedulerError('MANIFEST_INVALID', `unknown template variable "${part.source}"`);
}

/** Render `text` with the run's values pasted in as plain text (for argv items, env, HTTP fields). */
export function renderTemplate(text: string, context: TemplateContext): string {
  if (!text.includes('{{')) return text;
  let out = '';
  for (const part of splitTemplate(text).parts)
    out += 'text' in part ? part.text : renderExpression(part, context);
  return out;
}

const WEEKDAY_NAMES = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
];

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** ISO 8601 week number of a calendar date: the week holding that week's Thursday. */
function computeIsoWeek(year: number, month: number, day: number): number {
  const date = Date.UTC(year, month - 1, day);
  const weekdayFromMonday = (new Date(date).getUTCDay() + 6) % 7;
  const thursday = new Date(date + (3 - weekdayFromMonday) * 86_400_000);
  const dayOfYear = (thursday.getTime() - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / 86_400_000;
  return Math.floor(dayOfYear / 7) + 1;
}

/** The values of every template variable for one run; date and time variables in the schedule's zone. */
export function buildTemplateContext(input: TemplateContextInput): TemplateContext {
  // A chain's steps share the root's date: a night's pipeline keeps one date past midnight.
  const instant = input.logicalTime ?? input.scheduledTime;
  const wholeSecondMs = Math.floor(instant.getTime() / 1000) * 1000;
  // From the offsets the firing engine caches per zone and day: no ICU reading per run (about 0.1 ms).
  const offsetMs = offsetAt(input.timeZone, wholeSecondMs);
  const wall = toWallTime(wholeSecondMs + offsetMs);
  const offsetMinutes = Math.round(offsetMs / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const offset = `${sign}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
  const date = `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}`;
  const weekday = new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay();
  return {
    values: {
      name: input.name,
      runId: input.runId,
      attempt: String(input.attempt),
      trigger: input.trigger,
      scheduledTime: input.scheduledTime.toISOString(),
      date,
      time: `${pad(wall.hour)}:${pad(wall.minute)}`,
      datetime: `${date}T${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}${offset}`,
      year: pad(wall.year, 4),
      month: pad(wall.month),
      monthName: MONTH_NAMES[wall.month - 1] ?? '',
      day: pad(wall.day),
      weekday: WEEKDAY_NAMES[weekday] ?? '',
      week: pad(computeIsoWeek(wall.year, wall.month, wall.day)),
      timestamp: String(Math.floor(instant.getTime() / 1000)),
      logicalTime: instant.toISOString(),
      'upstream.schedule': input.upstream?.schedule ?? '',
      'upstream.runId': input.upstream?.runId ?? '',
      'upstream.status': input.upstream?.status ?? '',
    },
    params: input.params,
  };
}
