// Pure calendar arithmetic for cron fields: the days of a month that match, and the next matching wall time.
import type { CronFields } from './types.js';
import { SchedulerError } from '../shared/errors.js';

/** A wall-clock time (no zone): the fields a cron expression talks about. Mutable on purpose. */
export interface WallTime {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The cron fields, prepared for fast "next allowed value" questions. */
export interface CalendarMatcher {
  /** next[v] = the smallest allowed value >= v, or -1. Sized one past the maximum. */
  nextSecond: Int8Array;
  nextMinute: Int8Array;
  nextHour: Int8Array;
  /** nextMonth[m] for m in 1..13. */
  nextMonth: Int8Array;
  /** Days of the month that match, for one (year, month); computed lazily. */
  daysIn(year: number, month: number): readonly number[];
}

const LAST_OFFSET = /^L-(\d{1,2})$/;
const NEAREST_WEEKDAY = /^(\d{1,2})W$/;
const LAST_OF_WEEKDAY = /^([0-7])L$/;
const NTH_WEEKDAY = /^([0-7])#([1-5])$/;

/** Entries kept in one matcher's month cache before it is dropped. */
const MAX_CACHED_MONTHS = 4_800;

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Day of week (0 = Sunday) of a calendar date, proleptic Gregorian. */
export function weekdayOf(year: number, month: number, day: number): number {
  // Sakamoto's method: no Date objects, works for any year.
  const t = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4] as const;
  const y = month < 3 ? year - 1 : year;
  const w =
    (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + t[month - 1]! + day) % 7;
  return w < 0 ? w + 7 : w;
}

/** The weekday (Mon–Fri) nearest to `target` without leaving the month (Quartz "W"); -1 if `target` is past the end. */
function nearestWeekday(length: number, firstWeekday: number, target: number): number {
  if (target < 1 || target > length) return -1;
  const weekday = (firstWeekday + target - 1) % 7;
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === length ? target - 2 : target + 1;
  return target;
}

function buildNextTable(values: readonly number[], size: number, fieldName: string): Int8Array {
  const table = new Int8Array(size + 1).fill(-1);
  for (const value of values) {
    if (!Number.isInteger(value) || value < 0 || value >= size) {
      throw new SchedulerError(
        'INTERNAL',
        `cron ${fieldName} value ${String(value)} is out of range`,
      );
    }
    table[value] = value;
  }
  for (let v = size - 1; v >= 0; v--) if (table[v] === -1) table[v] = table[v + 1]!;
  return table;
}

interface DayRule {
  dayNumbers: Set<number>;
  last: boolean;
  lastWeekday: boolean;
  nearest: number[];
  lastOffsets: number[];
  weekdays: Set<number>;
  lastOfWeekday: number[];
  nth: { weekday: number; nth: number }[];
}

function parseDayRule(fields: CronFields): DayRule {
  const rule: DayRule = {
    dayNumbers: new Set(),
    last: false,
    lastWeekday: false,
    nearest: [],
    lastOffsets: [],
    weekdays: new Set(),
    lastOfWeekday: [],
    nth: [],
  };
  for (const token of fields.dayOfMonth) {
    if (typeof token === 'number') {
      rule.dayNumbers.add(token);
      continue;
    }
    const text = token.toUpperCase();
    let match: RegExpExecArray | null;
    if (text === 'L') rule.last = true;
    else if (text === 'LW') rule.lastWeekday = true;
    else if ((match = NEAREST_WEEKDAY.exec(text))) rule.nearest.push(Number(match[1]));
    else if ((match = LAST_OFFSET.exec(text))) rule.lastOffsets.push(Number(match[1]));
    else throw new SchedulerError('INTERNAL', `unknown day-of-month token "${token}"`);
  }
  for (const token of fields.dayOfWeek) {
    if (typeof token === 'number') {
      rule.weekdays.add(token % 7);
      continue;
    }
    const text = token.toUpperCase();
    let match: RegExpExecArray | null;
    if ((match = LAST_OF_WEEKDAY.exec(text))) rule.lastOfWeekday.push(Number(match[1]) % 7);
    else if ((match = NTH_WEEKDAY.exec(text))) {
      rule.nth.push({ weekday: Number(match[1]) % 7, nth: Number(match[2]) });
    } else throw new SchedulerError('INTERNAL', `unknown day-of-week token "${token}"`);
  }
  return rule;
}

/** The matching days of a month with `length` days whose 1st falls on `firstWeekday`. */
function matchDays(rule: DayRule, dayOr: boolean, length: number, firstWeekday: number): number[] {
  const days: number[] = [];
  const lastWeekdayDay = rule.lastWeekday ? nearestWeekday(length, firstWeekday, length) : -1;
  const nearestDays = rule.nearest.map((n) => nearestWeekday(length, firstWeekday, n));
  const offsetDays = rule.lastOffsets.map((n) => length - n);
  for (let day = 1; day <= length; day++) {
    const weekday = (firstWeekday + day - 1) % 7;
    const byMonthDay =
      rule.dayNumbers.has(day) ||
      (rule.last && day === length) ||
      day === lastWeekdayDay ||
      nearestDays.includes(day) ||
      offsetDays.includes(day);
    const byWeekday =
      rule.weekdays.has(weekday) ||
      (rule.lastOfWeekday.includes(weekday) && day + 7 > length) ||
      rule.nth.some((n) => n.weekday === weekday && Math.floor((day - 1) / 7) + 1 === n.nth);
    if (dayOr ? byMonthDay || byWeekday : byMonthDay && byWeekday) days.push(day);
  }
  return days;
}

/** Prepare the fields of a cron schedule for `findNextWallTime`. */
export function createCalendarMatcher(fields: CronFields, dayOr: boolean): CalendarMatcher {
  const rule = parseDayRule(fields);
  const months = new Set(fields.month);
  const byMonth = new Map<number, readonly number[]>();
  const byShape = new Map<number, readonly number[]>();
  const nextMonth = new Int8Array(14).fill(-1);
  for (let m = 12; m >= 1; m--) nextMonth[m] = months.has(m) ? m : nextMonth[m + 1]!;
  return {
    nextSecond: buildNextTable(fields.second, 60, 'second'),
    nextMinute: buildNextTable(fields.minute, 60, 'minute'),
    nextHour: buildNextTable(fields.hour, 24, 'hour'),
    nextMonth,
    daysIn(year: number, month: number): readonly number[] {
      const key = year * 12 + month;
      let days = byMonth.get(key);
      if (days === undefined) {
        // A month's matching days depend only on its length and the weekday of its 1st.
        const length = daysInMonth(year, month);
        const firstWeekday = weekdayOf(year, month, 1);
        const shape = length * 7 + firstWeekday;
        days = byShape.get(shape);
        if (days === undefined) {
          days = matchDays(rule, dayOr, length, firstWeekday);
          byShape.set(shape, days);
        }
        if (byMonth.size >= MAX_CACHED_MONTHS) byMonth.clear();
        byMonth.set(key, days);
      }
      return days;
    },
  };
}

/**
 * Move `at` forward to the first wall time >= `at` that the fields match; false when there
 * is none up to the end of `lastYear`. Skips whole months, days, hours and minutes at once.
 */
export function findNextWallTime(
  matcher: CalendarMatcher,
  at: WallTime,
  lastYear: number,
): boolean {
  for (;;) {
    if (at.year > lastYear) return false;
    const month = matcher.nextMonth[at.month]!;
    if (month === -1) {
      at.year++;
      at.month = 1;
      at.day = 1;
      at.hour = at.minute = at.second = 0;
      continue;
    }
    if (month !== at.month) {
      at.month = month;
      at.day = 1;
      at.hour = at.minute = at.second = 0;
    }
    const days = matcher.daysIn(at.year, at.month);
    let day = -1;
    for (const candidate of days) {
      if (candidate >= at.day) {
        day = candidate;
        break;
      }
    }
    if (day === -1) {
      at.month++;
      at.day = 1;
      at.hour = at.minute = at.second = 0;
      continue;
    }
    if (day !== at.day) {
      at.day = day;
      at.hour = at.minute = at.second = 0;
    }
    const hour = matcher.nextHour[at.hour]!;
    if (hour === -1) {
      at.day++;
      at.hour = at.minute = at.second = 0;
      continue;
    }
    if (hour !== at.hour) {
      at.hour = hour;
      at.minute = at.second = 0;
    }
    const minute = matcher.nextMinute[at.minute]!;
    if (minute === -1) {
      at.hour++;
      at.minute = at.second = 0;
      continue;
    }
    if (minute !== at.minute) {
      at.minute = minute;
      at.second = 0;
    }
    const second = matcher.nextSecond[at.second]!;
    if (second === -1) {
      at.minute++;
      at.second = 0;
      continue;
    }
    at.second = second;
    return true;
  }
}

/**
 * Whether the day fields can ever match within the given months. Every combination of
 * month length and weekday of the 1st occurs within each 400-year Gregorian cycle (February
 * with 28 and with 29 days), so checking the shapes is exact and costs at most 12 × 14 months.
 */
export function canEverMatchDay(fields: CronFields, dayOr: boolean): boolean {
  const rule = parseDayRule(fields);
  for (const month of new Set(fields.month)) {
    const lengths = month === 2 ? [28, 29] : [daysInMonth(2001, month)];
    for (const length of lengths) {
      for (let firstWeekday = 0; firstWeekday < 7; firstWeekday++) {
        if (matchDays(rule, dayOr, length, firstWeekday).length > 0) return true;
      }
    }
  }
  return false;
}
