// Plain-English reasons why a cron field is invalid, to replace node-cron's terse "X is a invalid expression for Y".
import type { CronFieldName } from './types.js';

interface FieldRule {
  min: number;
  max: number;
  /** Names accepted instead of numbers, lower case, index = value - nameBase. */
  names?: readonly (readonly string[])[];
  nameBase?: number;
  /** How the names are written, for messages. */
  namesHint?: string;
}

const MONTH_NAMES = [
  ['jan', 'january'],
  ['feb', 'february'],
  ['mar', 'march'],
  ['apr', 'april'],
  ['may'],
  ['jun', 'june'],
  ['jul', 'july'],
  ['aug', 'august'],
  ['sep', 'september'],
  ['oct', 'october'],
  ['nov', 'november'],
  ['dec', 'december'],
] as const;

const DAY_NAMES = [
  ['sun', 'sunday'],
  ['mon', 'monday'],
  ['tue', 'tuesday'],
  ['wed', 'wednesday'],
  ['thu', 'thursday'],
  ['fri', 'friday'],
  ['sat', 'saturday'],
] as const;

const RULES: Record<CronFieldName, FieldRule> = {
  second: { min: 0, max: 59 },
  minute: { min: 0, max: 59 },
  hour: { min: 0, max: 23 },
  'day of month': { min: 1, max: 31 },
  month: { min: 1, max: 12, names: MONTH_NAMES, nameBase: 1, namesHint: 'JAN-DEC' },
  'day of week': { min: 0, max: 7, names: DAY_NAMES, nameBase: 0, namesHint: 'SUN-SAT' },
};

const SPECIALS_HINT =
  '"L", "W" and "#" are only allowed in day of month (L, LW, 15W, L-3) and day of week (5L, 5#2)';

/**
 * Why `value` is not a valid `field`, as "<field>: <reason>"; a general sentence when no
 * specific reason is found.
 */
export function explainFieldError(field: CronFieldName, value: string): string {
  const reason = findFieldProblem(field, value);
  const rule = RULES[field];
  return `${field}: ${reason ?? `"${value}" is not a valid ${field} (expected numbers ${rule.min}-${rule.max}${rule.namesHint ? ` or ${rule.namesHint}` : ''}, lists "a,b", ranges "a-b" and steps "*/n")`}`;
}

/** The first specific problem in `value`, or undefined when nothing specific is wrong. */
export function findFieldProblem(field: CronFieldName, value: string): string | undefined {
  const quote = (piece: string): string =>
    piece === value ? `"${value}"` : `"${piece}" in "${value}"`;
  const illegal = /[^A-Za-z0-9*/,#?-]/.exec(value);
  if (illegal) return `${quote(value)} contains "${illegal[0]}", which cron fields do not use`;
  const isDayField = field === 'day of month' || field === 'day of week';
  if (value.includes('?')) {
    if (!isDayField) return `"?" is only allowed in day of month and day of week`;
    if (value !== '?') return `"?" must be the whole field, not part of ${quote(value)}`;
    return undefined;
  }
  for (const token of value.split(',')) {
    if (token === '') return `${quote(value)} has an empty item in its list`;
    const problem = findTokenProblem(field, token, quote);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function findTokenProblem(
  field: CronFieldName,
  token: string,
  quote: (piece: string) => string,
): string | undefined {
  const rule = RULES[field];
  const upper = token.toUpperCase();
  if (field === 'day of month') {
    if (upper === 'L' || upper === 'LW') return undefined;
    const nearest = /^(\d+)W$/.exec(upper);
    if (nearest) {
      const day = Number(nearest[1]);
      return day >= 1 && day <= 31
        ? undefined
        : `day ${day} in ${quote(token)} is out of range (1-31)`;
    }
    const offset = /^L-(\d+)$/.exec(upper);
    if (offset) {
      const days = Number(offset[1]);
      return days >= 1 && days <= 30
        ? undefined
        : `${quote(token)}: the number of days before the last day must be 1-30`;
    }
  }
  if (field === 'day of week') {
    const last = /^(.+)L$/.exec(upper);
    if (last && !/[-/*]/.test(last[1]!)) {
      return findValueProblem(field, last[1]!, token, quote);
    }
    const nth = /^(.+)#(.*)$/.exec(upper);
    if (nth) {
      const weekdayProblem = findValueProblem(field, nth[1]!, token, quote);
      if (weekdayProblem !== undefined) return weekdayProblem;
      const count = nth[2]!;
      return /^[1-5]$/.test(count)
        ? undefined
        : `${quote(token)}: the number after "#" must be 1-5 (the 1st to 5th such weekday of the month)`;
    }
  }
  const pieces = token.split('/');
  if (pieces.length > 2) return `${quote(token)} has more than one "/"`;
  const [base = '', step] = pieces;
  if (step !== undefined) {
    if (!/^\d+$/.test(step)) return `step "${step}" in ${quote(token)} is not a whole number`;
    if (Number(step) < 1) return `step "${step}" in ${quote(token)} must be at least 1`;
  }
  if (base === '*') return undefined;
  const ends = base.split('-');
  if (ends.length > 2 || ends.includes('')) {
    return `${quote(token)} is not a value or a range like "1-5"`;
  }
  if (ends.length === 1 && step !== undefined) {
    return `${quote(token)}: a step needs "*" or a range before it, e.g. "*/${step}" or "${base}-${rule.max}/${step}"`;
  }
  for (const end of ends) {
    const problem = findValueProblem(field, end, token, quote);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function findValueProblem(
  field: CronFieldName,
  text: string,
  token: string,
  quote: (piece: string) => string,
): string | undefined {
  const rule = RULES[field];
  const where = text === token ? quote(token) : `"${text}" in ${quote(token)}`;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= rule.min && n <= rule.max
      ? undefined
      : `${where} is out of range (${rule.min}-${rule.max})`;
  }
  const lower = text.toLowerCase();
  if (rule.names?.some((aliases) => aliases.includes(lower))) return undefined;
  if (/[LW#]/i.test(text) && !rule.names) return `${where}: ${SPECIALS_HINT}`;
  return rule.names
    ? `${where} is not a ${field} (${rule.min}-${rule.max} or ${rule.namesHint ?? ''})`
    : `${where} is not a number (${rule.min}-${rule.max})`;
}
