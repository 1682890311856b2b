// Merging a directory's Defaults under a Schedule: the schedule's own fields win, maps merge key by key, lists are replaced.
import type { DefaultsSpec, JobSpec, ScheduleMetadata } from './schema.js';

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The spec fields merged key by key with the Defaults ones. */
const NESTED_FIELDS = ['retries', 'output', 'history'] as const;

/**
 * The fields a Schedule's spec (as written, validated) sets, as far as merging Defaults asks: its keys,
 * the keys of `retries`, `output` and `history` (`retries.limit`) and the names in `task.env`
 * (`task.env.TOKEN`), sorted, each between spaces. Kept instead of the spec as written: one short string,
 * the same for schedules written alike (shared), where the written spec cost a tree of objects per schedule.
 * Keys are schema fields and environment variable names, so none holds a space.
 */
export function listWrittenFields(written: Fields): string {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(written)) {
    paths.push(key);
    if ((NESTED_FIELDS as readonly string[]).includes(key) && isRecord(value))
      for (const inner of Object.keys(value)) paths.push(`${key}.${inner}`);
    if (key === 'task' && isRecord(value) && isRecord(value.env))
      for (const name of Object.keys(value.env)) paths.push(`task.env.${name}`);
  }
  return ` ${paths.sort().join(' ')} `;
}

/** Whether the schedule wrote the field at `path` (`timezone`, `retries.limit`, `task.env.TOKEN`). */
export function wroteField(written: string, path: string): boolean {
  return written.includes(` ${path} `);
}

/** Field by field: what the schedule wrote, else what Defaults set, else the schema default. */
function mergeFields<T extends object>(
  resolved: T,
  fromDefaults: Partial<Record<keyof T, unknown>> | undefined,
  written: string,
  field: string,
): T {
  if (fromDefaults === undefined) return resolved;
  const merged = { ...resolved };
  for (const key of Object.keys(resolved) as (keyof T & string)[]) {
    const value = fromDefaults[key];
    if (!wroteField(written, `${field}.${key}`) && value !== undefined)
      merged[key] = value as T[typeof key];
  }
  return merged;
}

const SIMPLE_FIELDS = [
  'timezone',
  'suspend',
  'concurrencyPolicy',
  'startingDeadline',
  'catchUp',
  'jitter',
  'timeout',
  'killGracePeriod',
  'notify',
] as const;
const OPTIONAL_FIELDS = ['activeFrom', 'activeUntil', 'maxSuccessAge'] as const;
const TOP_LEVEL_FIELDS = [...SIMPLE_FIELDS, ...OPTIONAL_FIELDS];

/**
 * The spec a schedule runs with, given its resolved spec, what it wrote (`written`, from
 * listWrittenFields: tells a written value from a schema default) and the directory's Defaults:
 * - a field the schedule wrote wins; otherwise the Defaults value; otherwise the schema default;
 * - `retries`, `output` and `history` merge field by field;
 * - `task.env` merges key by key (the schedule's keys win); `task.workingDir` comes from Defaults
 *   when the schedule has none;
 * - lists (`notify`) are replaced, never appended.
 */
export function mergeDefaults(defaults: DefaultsSpec, written: string, spec: JobSpec): JobSpec {
  const merged: JobSpec = { ...spec };
  const target = merged as unknown as Fields;
  for (const key of TOP_LEVEL_FIELDS) {
    const value = defaults[key];
    if (!wroteField(written, key) && value !== undefined) target[key] = value;
  }
  merged.retries = mergeFields(spec.retries, defaults.retries, written, 'retries');
  merged.output = mergeFields(spec.output, defaults.output, written, 'output');
  merged.history = mergeFields(spec.history, defaults.history, written, 'history');
  const task = defaults.task;
  if (task !== undefined) {
    const env = task.env === undefined ? spec.task.env : { ...task.env, ...spec.task.env };
    const workingDir = spec.task.workingDir ?? task.workingDir;
    merged.task = { ...spec.task, env, ...(workingDir !== undefined && { workingDir }) };
  }
  return merged;
}

/** A schedule's metadata with the Defaults labels merged under its own, key by key. */
export function mergeDefaultsLabels(
  defaultsLabels: Record<string, string> | undefined,
  metadata: ScheduleMetadata,
): ScheduleMetadata {
  if (defaultsLabels === undefined) return metadata;
  return { ...metadata, labels: { ...defaultsLabels, ...metadata.labels } };
}
