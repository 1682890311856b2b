// Turns a schedule expression (cron, macro or @every) into a CompiledSchedule, or into errors a person can act on.
import { createRequire } from 'node:module';
import type * as NodeCron from 'node-cron';
import type { CronFieldError } from 'node-cron';
import type {
  CompileResult,
  CompiledSchedule,
  CronFieldName,
  CronFields,
  ScheduleExpressionError,
} from './types.js';
import { canEverMatchDay } from './calendar.js';
import { parseEveryDuration } from './every.js';
import { explainFieldError, findFieldProblem } from './field-errors.js';
import { MONTH_NAMES } from '../shared/month-names.js';

let nodeCron: typeof NodeCron | undefined;

/**
 * node-cron's validator, loaded the first time an expression is compiled (synchronously, through
 * require): a daemon that starts from the parse cache compiles nothing and never loads it.
 */
function validateDetailed(expression: string): ReturnType<typeof NodeCron.validateDetailed> {
  nodeCron ??= createRequire(import.meta.url)('node-cron') as typeof NodeCron;
  return nodeCron.validateDetailed(expression);
}

/** The macros and the 5-field expressions they stand for (Vixie cron's list, without @reboot). */
export const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FIELD_NAMES_5: readonly CronFieldName[] = [
  'minute',
  'hour',
  'day of month',
  'month',
  'day of week',
];
const FIELD_NAMES_6: readonly CronFieldName[] = ['second', ...FIELD_NAMES_5];

/** node-cron's field keys, in the words cronops uses. */
const NODE_CRON_FIELDS: Readonly<Record<string, CronFieldName>> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'day of month',
  month: 'month',
  dayOfWeek: 'day of week',
};

const EXAMPLES = 'such as "30 2 * * *", "@daily" or "@every 15m"';

/**
 * Compile a schedule expression: 5-field cron, 6-field cron (seconds first), a macro
 * (`@yearly @annually @monthly @weekly @daily @midnight @hourly`) or `@every <duration>`.
 * Every problem found is returned, each naming the field and the offending text.
 */
export function compileSchedule(expression: string): CompileResult {
  if (typeof expression !== 'string') {
    return fail({ field: 'schedule', message: `expected a schedule expression ${EXAMPLES}` });
  }
  const source = expression.trim();
  if (source === '') {
    return fail({
      field: 'schedule',
      value: expression,
      message: `schedule is empty; expected an expression ${EXAMPLES}`,
    });
  }
  if (source.startsWith('@')) return compileMacro(source);
  return compileCron(source, source.split(/\s+/), source);
}

function fail(...errors: ScheduleExpressionError[]): CompileResult {
  return { ok: false, errors };
}

function compileMacro(source: string): CompileResult {
  const [word = '', ...rest] = source.split(/\s+/);
  const keyword = word.toLowerCase();
  if (keyword === '@every') {
    if (rest.length !== 1) {
      return fail({
        field: 'schedule',
        value: source,
        message: `"@every" takes exactly one duration, e.g. "@every 15m" or "@every 1h30m"`,
      });
    }
    const parsed = parseEveryDuration(rest[0]!);
    if (!parsed.ok) {
      return fail({ field: 'schedule', value: rest[0]!, message: `@every: ${parsed.message}` });
    }
    return { ok: true, schedule: { kind: 'every', source, everyMs: parsed.everyMs } };
  }
  const expansion = MACROS[keyword];
  if (expansion === undefined) {
    const message =
      keyword === '@reboot'
        ? '"@reboot" is not supported: cronops fires schedules by the clock only'
        : `unknown macro "${word}"; expected one of ${Object.keys(MACROS).join(', ')} or "@every <duration>"`;
    return fail({ field: 'schedule', value: word, message });
  }
  if (rest.length > 0) {
    return fail({
      field: 'schedule',
      value: source,
      message: `"${word}" stands alone; remove "${rest.join(' ')}" after it`,
    });
  }
  return compileCron(expansion, expansion.split(' '), source);
}

function compileCron(text: string, raw: readonly string[], source: string): CompileResult {
  if (raw.length !== 5 && raw.length !== 6) {
    return fail({
      field: 'schedule',
      value: text,
      message: `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got ${raw.length}`,
    });
  }
  const names = raw.length === 6 ? FIELD_NAMES_6 : FIELD_NAMES_5;
  const rawOf = (field: CronFieldName): string => raw[names.indexOf(field)] ?? '0';
  const startsWild = (field: CronFieldName): boolean => /^[*?]/.test(rawOf(field));
  const dayOr = !startsWild('day of month') && !startsWild('day of week');
  const fixedTime = !rawOf('minute').startsWith('*') && !rawOf('hour').startsWith('*');

  const parsed = parseFields(raw, names);
  if (!parsed.ok) return parsed;
  const { fields } = parsed;

  if (!canEverMatchDay(fields, dayOr)) {
    const restricted = (field: CronFieldName): string | undefined => {
      const value = rawOf(field);
      return value === '*' || value === '?' ? undefined : `${field} "${value}"`;
    };
    const days = [restricted('day of month'), restricted('day of week')]
      .filter((part) => part !== undefined)
      .join(dayOr ? ' or ' : ' and ');
    return fail({
      field: 'schedule',
      value: text,
      message: `can never fire: no date matches ${days} in ${describeMonths(fields.month)}`,
    });
  }
  const schedule: CompiledSchedule = { kind: 'cron', source, fields, dayOr, fixedTime };
  return { ok: true, schedule };
}

type ParsedFields =
  { ok: true; fields: CronFields } | { ok: false; errors: ScheduleExpressionError[] };

/** Let node-cron parse and expand the fields; translate its errors. */
function parseFields(raw: readonly string[], names: readonly CronFieldName[]): ParsedFields {
  const result = validateDetailed(raw.join(' '));
  if (result.valid && result.fields) return { ok: true, fields: normalizeFields(result.fields) };

  const impossibleDay =
    result.errors.length === 1 && /impossible day of month/.test(result.errors[0]!.message);
  if (impossibleDay) {
    // node-cron rejects "30 2" outright, but under the Vixie OR rule `0 0 30 2 1` still fires
    // on Mondays in February; expand the two fields apart and let the never-fires check decide.
    const dom = names.indexOf('day of month');
    const month = names.indexOf('month');
    const withoutMonth = validateDetailed(raw.map((f, i) => (i === month ? '*' : f)).join(' '));
    const withoutDay = validateDetailed(raw.map((f, i) => (i === dom ? '*' : f)).join(' '));
    if (withoutMonth.fields && withoutDay.fields) {
      return {
        ok: true,
        fields: normalizeFields({ ...withoutMonth.fields, month: withoutDay.fields.month }),
      };
    }
  }
  return { ok: false, errors: translateErrors(result.errors, raw, names) };
}

function translateErrors(
  errors: readonly CronFieldError[],
  raw: readonly string[],
  names: readonly CronFieldName[],
): ScheduleExpressionError[] {
  const out: ScheduleExpressionError[] = [];
  for (const error of errors) {
    const field = NODE_CRON_FIELDS[error.field];
    if (field !== undefined) {
      const value = error.value ?? raw[names.indexOf(field)] ?? '';
      out.push({ field, value, message: explainFieldError(field, value) });
      continue;
    }
    // A whole-expression complaint (illegal characters): find the fields responsible.
    names.forEach((name, i) => {
      const value = raw[i]!;
      const problem = findFieldProblem(name, value);
      if (problem !== undefined) out.push({ field: name, value, message: `${name}: ${problem}` });
    });
    if (out.length === 0) {
      out.push({
        field: 'schedule',
        value: error.value ?? raw.join(' '),
        message: `not a valid cron expression (${error.message})`,
      });
    }
  }
  return out;
}

/** Sorted, de-duplicated numbers first, then the special tokens in the order written. */
function normalizeValues<T extends number | string>(values: readonly T[]): T[] {
  const numbers = [...new Set(values.filter((v): v is T & number => typeof v === 'number'))].sort(
    (a, b) => a - b,
  );
  const tokens = [...new Set(values.filter((v) => typeof v === 'string'))];
  return [...numbers, ...tokens] as T[];
}

function normalizeFields(fields: CronFields): CronFields {
  return {
    second: normalizeValues(fields.second),
    minute: normalizeValues(fields.minute),
    hour: normalizeValues(fields.hour),
    dayOfMonth: normalizeValues(fields.dayOfMonth),
    month: normalizeValues(fields.month),
    dayOfWeek: normalizeValues(fields.dayOfWeek.map((d) => (d === 7 ? 0 : d))),
  };
}

function describeMonths(months: readonly number[]): string {
  if (months.length === 12) return 'any month';
  const words = months.map((m) => MONTH_NAMES[m - 1] ?? String(m));
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`;
}
