// Merging a directory's Defaults under a Schedule: the schedule's own fields win, maps merge key by key, lists are replaced.
import type { DefaultsSpec, JobSpec, ScheduleMetadata } from './schema.js';

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function wrote(written: unknown, key: string): boolean {
  return isRecord(written) && Object.hasOwn(written, key);
}

/** Field by field: what the schedule wrote, else what Defaults set, else the schema default. */
function mergeFields<T extends object>(
  resolved: T,
  fromDefaults: Partial<Record<keyof T, unknown>> | undefined,
  written: unknown,
): T {
  if (fromDefaults === undefined) return resolved;
  const merged = { ...resolved };
  for (const key of Object.keys(resolved) as (keyof T & string)[]) {
    const value = fromDefaults[key];
    if (!wrote(written, key) && value !== undefined) merged[key] = value as T[typeof key];
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
 * The spec a schedule runs with, given its resolved spec, what it wrote (`written`, to tell a
 * written value from a schema default) and the directory's Defaults:
 * - a field the schedule wrote wins; otherwise the Defaults value; otherwise the schema default;
 * - `retries`, `output` and `history` merge field by field;
 * - `task.env` merges key by key (the schedule's keys win); `task.workingDir` comes from Defaults
 *   when the schedule has none;
 * - lists (`notify`) are replaced, never appended.
 */
export function mergeDefaults(defaults: DefaultsSpec, written: Fields, spec: JobSpec): JobSpec {
  const merged: JobSpec = { ...spec };
  const target = merged as unknown as Fields;
  for (const key of TOP_LEVEL_FIELDS) {
    const value = defaults[key];
    if (!wrote(written, key) && value !== undefined) target[key] = value;
  }
  merged.retries = mergeFields(spec.retries, defaults.retries, written.retries);
  merged.output = mergeFields(spec.output, defaults.output, written.output);
  merged.history = mergeFields(spec.history, defaults.history, written.history);
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
