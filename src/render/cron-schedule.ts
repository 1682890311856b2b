// A cronops schedule expression as a CronJob `schedule` (robfig/cron's 5-field syntax), or why it cannot be one.
import type { CompiledSchedule, CronFields } from '../cron/types.js';

/** How `spec.schedule` and `spec.timezone` are written in a CronJob, or why they cannot be. */
export type CronScheduleMapping =
  | {
      ok: true;
      /** `spec.schedule` of the CronJob: 5 fields or a macro. */
      schedule: string;
      /** `spec.timeZone` of the CronJob. */
      timeZone: string;
      /** Differences from cronops that the user should know about (empty: none). */
      warnings: string[];
    }
  | { ok: false; reason: string };

const MINUTE_MS = 60_000;

/** The macros robfig/cron (the CronJob controller's parser) knows, lowercase as it wants them. */
const ROBFIG_MACROS = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
]);

type FieldKey = Exclude<keyof CronFields, 'second'>;

/** The five fields in CronJob order, with the bounds robfig/cron accepts. */
const FIELDS: readonly { key: FieldKey; min: number; max: number }[] = [
  { key: 'minute', min: 0, max: 59 },
  { key: 'hour', min: 0, max: 23 },
  { key: 'dayOfMonth', min: 1, max: 31 },
  { key: 'month', min: 1, max: 12 },
  { key: 'dayOfWeek', min: 0, max: 6 },
];

/** One comma part robfig/cron reads exactly as node-cron does: `*`, `?`, `N`, `N-M`, each with an optional `/STEP`. */
const PORTABLE_PART = /^(?:\?|(?:\*|\d+(?:-\d+)?)(?:\/\d+)?)$/;

/**
 * Map a compiled expression to a CronJob schedule. 6-field (seconds) expressions and the `L`,
 * `W` and `#` tokens cannot be mapped. `@every` maps only when its period is whole minutes that
 * divide the hour, or whole hours that divide the day; it is then written in UTC, where the
 * clock's minute and hour marks are exactly the epoch-counted instants cronops fires at.
 */
export function mapCronSchedule(compiled: CompiledSchedule, timezone: string): CronScheduleMapping {
  if (compiled.kind === 'every') return mapEvery(compiled.source, compiled.everyMs);
  if (compiled.kind === 'after')
    return { ok: false, reason: `it has no times of its own: it runs ${compiled.source}` };
  const source = compiled.source;
  const special = [...compiled.fields.dayOfMonth, ...compiled.fields.dayOfWeek].filter(
    (value): value is string => typeof value === 'string',
  );
  if (special.length > 0) {
    return {
      ok: false,
      reason: `"${special[0]}" in "${source}" (the L, W and # day tokens) has no equivalent in CronJob schedules`,
    };
  }
  if (source.startsWith('@')) {
    const macro = source.toLowerCase();
    if (ROBFIG_MACROS.has(macro))
      return { ok: true, schedule: macro, timeZone: timezone, warnings: [] };
  }
  const raw = source.split(/\s+/);
  if (raw.length === 6) {
    const hint =
      raw[0] === '0'
        ? `; its seconds field is "0", so write it as "${raw.slice(1).join(' ')}"`
        : '';
    return {
      ok: false,
      reason: `"${source}" has a seconds field; CronJob schedules have exactly 5 fields (minute resolution)${hint}`,
    };
  }
  const parts = FIELDS.map(({ key, min, max }, index) =>
    writeField(raw[index] ?? '*', compiled.fields[key] as readonly number[], min, max),
  );
  return { ok: true, schedule: parts.join(' '), timeZone: timezone, warnings: [] };
}

function mapEvery(source: string, everyMs: number): CronScheduleMapping {
  const period = source.split(/\s+/)[1] ?? source;
  if (everyMs < MINUTE_MS) {
    return {
      ok: false,
      reason: `"${source}" fires more often than once a minute; a CronJob fires at most once a minute`,
    };
  }
  if (everyMs % MINUTE_MS !== 0) {
    return {
      ok: false,
      reason: `"${source}" is not a whole number of minutes; CronJob schedules have minute resolution`,
    };
  }
  const minutes = everyMs / MINUTE_MS;
  let schedule: string | undefined;
  if (60 % minutes === 0) {
    schedule = minutes === 1 ? '* * * * *' : minutes === 60 ? '0 * * * *' : `*/${minutes} * * * *`;
  } else if (minutes % 60 === 0 && 24 % (minutes / 60) === 0) {
    const hours = minutes / 60;
    schedule = hours === 24 ? '0 0 * * *' : `0 */${hours} * * *`;
  }
  if (schedule === undefined) {
    const why =
      1440 % minutes === 0
        ? 'divides the day but is not a whole number of hours, so no single 5-field expression fires at its instants'
        : 'divides neither the hour nor the day, so a cron expression cannot repeat it';
    return { ok: false, reason: `the period of "${source}" ${why}` };
  }
  return {
    ok: true,
    schedule,
    timeZone: 'Etc/UTC',
    warnings: [
      `"${source}" becomes "${schedule}" in Etc/UTC: its phase is now set by the clock's marks instead of a period counted from the Unix epoch (the instants are the same because ${period} divides the ${60 % minutes === 0 ? 'hour' : 'day'}, in UTC whatever spec.timezone says)`,
    ],
  };
}

/** The field as written when robfig/cron reads it the same way, else its values written out as numbers. */
function writeField(raw: string, values: readonly number[], min: number, max: number): string {
  const portable = raw.split(',').every((part) => {
    if (!PORTABLE_PART.test(part)) return false;
    return (part.match(/\d+/g) ?? [])
      .slice(0, part.includes('/') ? -1 : undefined)
      .every((digits) => Number(digits) >= min && Number(digits) <= max);
  });
  if (portable) return raw;
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  // A field written as a wildcard stays one, so the day-of-month/day-of-week OR rule is kept.
  if (/^[*?]/.test(raw) && sorted.length === max - min + 1) return '*';
  return compressRuns(sorted);
}

/** `1,2,3,5` → `1-3,5`. */
function compressRuns(sorted: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j += 1;
    parts.push(j - i >= 2 ? `${sorted[i]}-${sorted[j]}` : sorted.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',');
}
