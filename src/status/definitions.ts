// The resolved definition of every running schedule, masked: what `cronops plan` diffs field by field. Kept
// out of the status document, which is rewritten after every run, since it is most of its size.
import { createHash } from 'node:crypto';
import type { EnvValue, JobSpec, TaskSpec } from '../manifest/schema.js';
import { compareByName } from '../shared/compare-text.js';

/** The format of the definitions document; raised only when a field changes meaning or disappears. */
export const DEFINITIONS_FORMAT = 1;

/** One running schedule's definition. */
export interface ScheduleDefinition {
  name: string;
  /** The fingerprint of this version: the status document's `specHash` for the same version. */
  specHash: string;
  /**
   * The resolved spec (Defaults merged, every default applied). Literal `env` and `headers` values are
   * shown as `sha256:<first 12 hex>` (a change still shows, the value never does); `{ fromEnv }` /
   * `{ fromFile }` references are shown as written.
   */
  definition: JobSpec;
}

/** `<state-dir>/definitions.json` and `GET /api/v1/definitions`. */
export interface DefinitionsDocument {
  definitionsFormat: typeof DEFINITIONS_FORMAT;
  /** Sorted by name. */
  schedules: ScheduleDefinition[];
}

/** What a definition is built from: a running schedule's name, fingerprint and resolved spec. */
export interface DefinedSchedule {
  name: string;
  hash: string;
  spec: JobSpec;
}

/** One schedule's definition. Pure; the masked spec is cached per spec. */
export function buildScheduleDefinition(schedule: DefinedSchedule): ScheduleDefinition {
  return {
    name: schedule.name,
    specHash: schedule.hash,
    definition: maskScheduleSpec(schedule.spec),
  };
}

/** The definitions document of these schedules. Pure. */
export function buildDefinitionsDocument(
  schedules: Iterable<DefinedSchedule>,
): DefinitionsDocument {
  const list = [...schedules].map(buildScheduleDefinition);
  list.sort(compareByName);
  return { definitionsFormat: DEFINITIONS_FORMAT, schedules: list };
}

/** `sha256:<first 12 hex digits>` of a literal env or header value. */
export function maskLiteralValue(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest().toString('hex', 0, 6)}`;
}

/**
 * Masked tasks and notification lists by the (immutable) ones they came from. Schedules written alike share
 * their task and notify objects (manifest/shared-parts.ts), so they share the masked ones too; the spec
 * around them is copied per call, which costs less than keeping a masked copy of every spec.
 */
const maskedTasks = new WeakMap<TaskSpec, TaskSpec>();
const maskedNotify = new WeakMap<JobSpec['notify'], JobSpec['notify']>();

/**
 * A spec as it is shown: every literal `env` value (task) and `headers` value (http task, webhooks)
 * masked with maskLiteralValue; secret references stay as written. Pure; the masked parts are cached.
 */
export function maskScheduleSpec(spec: JobSpec): JobSpec {
  let task = maskedTasks.get(spec.task);
  if (task === undefined) {
    task =
      spec.task.kind === 'http'
        ? { ...spec.task, env: maskValues(spec.task.env), headers: maskValues(spec.task.headers) }
        : { ...spec.task, env: maskValues(spec.task.env) };
    maskedTasks.set(spec.task, task);
  }
  let notify = maskedNotify.get(spec.notify);
  if (notify === undefined) {
    notify = spec.notify.map((target) =>
      target.webhook
        ? { ...target, webhook: { ...target.webhook, headers: maskValues(target.webhook.headers) } }
        : target,
    );
    maskedNotify.set(spec.notify, notify);
  }
  return { ...spec, task, notify };
}

function maskValues(values: Record<string, EnvValue>): Record<string, EnvValue> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      typeof value === 'string' ? maskLiteralValue(value) : value,
    ]),
  );
}
