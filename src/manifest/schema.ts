// The manifest's single source of truth: the zod schema, the types users write and the resolved types the daemon runs.
import { z } from 'zod';
import { afterListSchema, type AfterSpec } from './after-schema.js';
import { checkTimeZone } from './timezone.js';
import { compileScheduleCached, formatScheduleError } from './schedule-expression.js';
import { describeValue } from './issue-messages.js';
import {
  envMapSchema,
  jsonValueSchema,
  notifySchema,
  taskSchema,
  workingDirSchema,
  type NotifySpec,
  type TaskSpec,
} from './task-schema.js';
import { durationSchema, sizeSchema } from './unit-schemas.js';

export {
  ENV_NAME_PATTERN,
  HTTP_METHODS,
  NOTIFY_EVENTS,
  TASK_KINDS,
  type EnvValue,
  type NotifySpec,
  type TaskSpec,
} from './task-schema.js';

export { AFTER_WHEN, type AfterSpec, type AfterWhen } from './after-schema.js';

export const API_VERSION = 'cronops/v1';

/** `metadata.name`: a DNS label, like Kubernetes object names. */
export const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const NAME_MAX_LENGTH = 63;
/** The most output a run may keep per attempt. */
export const OUTPUT_MAX_BYTES_LIMIT = 64 * 1024 * 1024;

export const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace', 'Queue'] as const;
export const CATCH_UP_MODES = ['latest', 'all', 'none'] as const;
export const BACKOFF_KINDS = ['none', 'fixed', 'linear', 'exponential'] as const;

// ---- Resolved types: what the rest of cronops codes against -------------------------------

/** A schedule's spec with every default applied: durations in ms, sizes in bytes, instants as ISO strings. */
export interface JobSpec {
  /** The clock times; absent for a schedule that runs only after others (see `after`). */
  schedule?: string;
  /** The schedules whose runs start this one; absent when none. */
  after?: AfterSpec[];
  timezone: string;
  suspend: boolean;
  concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace' | 'Queue';
  startingDeadline: number;
  catchUp: 'latest' | 'all' | 'none';
  jitter: number;
  timeout: number;
  killGracePeriod: number;
  retries: {
    limit: number;
    backoff: 'none' | 'fixed' | 'linear' | 'exponential';
    delay: number;
    maxDelay: number;
  };
  activeFrom?: string;
  activeUntil?: string;
  params: Record<string, unknown>;
  task: TaskSpec;
  output: { maxBytes: number };
  history: { successfulRunsLimit: number; failedRunsLimit: number };
  maxSuccessAge?: number;
  notify: NotifySpec[];
}

/** A schedule's metadata with defaults applied. */
export interface ScheduleMetadata {
  name: string;
  description?: string;
  labels: Record<string, string>;
}
const timezoneSchema = z
  .string()
  .check(
    z.superRefine((name, ctx) => {
      const result = checkTimeZone(name);
      if (!result.ok) ctx.addIssue({ code: 'custom', input: name, message: result.message });
    }),
  )
  .meta({
    description:
      "IANA time zone the schedule is read in, e.g. Europe/Berlin (case-sensitive). Default: the Defaults document's, else UTC.",
  });

const scheduleExpressionSchema = z
  .string()
  .min(1, {
    error:
      'expected a cron expression like "30 2 * * *", a macro like "@daily" or "@every 15m", got ""',
  })
  .check(
    z.superRefine((expression, ctx) => {
      const result = compileScheduleCached(expression);
      if (result.ok) return;
      for (const error of result.errors) {
        ctx.addIssue({ code: 'custom', input: expression, message: formatScheduleError(error) });
      }
    }),
  )
  .meta({
    description:
      'When to fire: 5-field cron (min hour dom month dow), 6-field cron with seconds first, @yearly/@annually, @monthly, @weekly, @daily/@midnight, @hourly, or "@every <duration>". Quote it in YAML. Optional when "after" is given.',
  });

const instantSchema = (description: string) =>
  z.iso
    .datetime({
      offset: true,
      error: (iss) =>
        `expected an ISO 8601 date-time with a zone, like "2026-01-01T00:00:00Z", got ${describeValue(iss.input)}`,
    })
    .transform((text) => new Date(text).toISOString())
    .meta({ description });

const retriesFields = {
  limit: z
    .int({
      error: (iss) =>
        `expected a whole number of retries from 0 to 100, got ${describeValue(iss.input)}`,
    })
    .min(0)
    .max(100)
    .meta({ description: 'How many times a failed or timed-out attempt is retried. Default 0.' }),
  backoff: z.enum(BACKOFF_KINDS).meta({
    description:
      'How the delay grows between retries: none (retry at once), fixed, linear, exponential (default).',
  }),
  delay: durationSchema().meta({ description: 'Delay before the first retry (default 30s).' }),
  maxDelay: durationSchema().meta({
    description: 'The longest delay between retries (default 10m).',
  }),
};

const historyFields = {
  successfulRunsLimit: z
    .int()
    .min(0)
    .max(100_000)
    .meta({ description: 'Successful runs kept in the history (default 50).' }),
  failedRunsLimit: z
    .int()
    .min(0)
    .max(100_000)
    .meta({ description: 'Unsuccessful runs kept in the history (default 50).' }),
};

const outputFields = {
  maxBytes: sizeSchema({ maxBytes: OUTPUT_MAX_BYTES_LIMIT }).meta({
    description:
      'How much of the combined stdout and stderr tail is kept per attempt, e.g. 64KiB (default), 1MiB, 10kB, or a number of bytes. At most 64MiB.',
  }),
};

/** Spec fields that Defaults may also set, without their defaults (so a merge sees only what was written). */
const sharedSpecFields = {
  timezone: timezoneSchema,
  suspend: z.boolean().meta({
    description:
      'true: the schedule is loaded and shown but the clock never fires it. Default false.',
  }),
  concurrencyPolicy: z.enum(CONCURRENCY_POLICIES).meta({
    description:
      'When a fire comes while a run is active: Allow both, Forbid the new one (default), Replace the old one, or Queue one.',
  }),
  startingDeadline: durationSchema({ minMs: 1000 }).meta({
    description: 'The latest a fire may start after its scheduled time (default 1h).',
  }),
  catchUp: z.enum(CATCH_UP_MODES).meta({
    description: 'After downtime: run the latest missed fire (default), all of them, or none.',
  }),
  jitter: durationSchema().meta({
    description: 'A random delay in [0, jitter) before each fire (default 0s).',
  }),
  timeout: durationSchema({ minMs: 1000 }).meta({
    description: 'Time limit per attempt (default 30m); then SIGTERM, then SIGKILL.',
  }),
  killGracePeriod: durationSchema().meta({
    description: 'Delay between SIGTERM and SIGKILL (default 10s).',
  }),
  activeFrom: instantSchema(
    'The clock fires the schedule only from this instant on (ISO 8601 with a zone).',
  ),
  activeUntil: instantSchema(
    'The clock fires the schedule only until this instant (ISO 8601 with a zone).',
  ),
  maxSuccessAge: durationSchema({ minMs: 1000 }).meta({
    description: 'The schedule is "stale" when its last success is older than this. Optional.',
  }),
  notify: z.array(notifySchema).meta({
    description:
      'Notifications sent after a run ends. A list in a schedule replaces the Defaults list.',
  }),
};

/** A schedule needs times of its own, upstreams, or both. */
function checkScheduleOrAfter(
  spec: { schedule?: string | undefined; after?: unknown },
  ctx: z.RefinementCtx,
): void {
  if (spec.schedule !== undefined || spec.after !== undefined) return;
  ctx.addIssue({
    code: 'custom',
    path: ['schedule'],
    input: spec,
    message:
      'missing required field "schedule" (or "after", to run after another schedule\'s runs)',
  });
}

function checkActiveWindow(
  spec: { activeFrom?: string | undefined; activeUntil?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (
    spec.activeFrom !== undefined &&
    spec.activeUntil !== undefined &&
    spec.activeFrom >= spec.activeUntil
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['activeUntil'],
      input: spec.activeUntil,
      message: `expected activeUntil to be after activeFrom (${spec.activeFrom}), got ${spec.activeUntil}`,
    });
  }
}

// ---- The spec of a Schedule -----------------------------------------------------------------

/** `T` with each optional property also allowed to be present as undefined (what zod gives). */
type WithUndefinedOptionals<T> = {
  [K in keyof T]: undefined extends T[K] ? T[K] | undefined : T[K];
};

/**
 * The resolved spec, its keys always in this order. Built by assignment rather than as a literal that
 * starts with a spread: V8 (Node.js 20) gives every object made from `{ ...a, b }` a hidden class of its
 * own, and with 10,000 schedules those cost megabytes.
 */
function toJobSpec(spec: WithUndefinedOptionals<JobSpec>): JobSpec {
  const out = {} as JobSpec;
  if (spec.schedule !== undefined) out.schedule = spec.schedule;
  if (spec.after !== undefined) out.after = spec.after;
  out.timezone = spec.timezone;
  out.suspend = spec.suspend;
  out.concurrencyPolicy = spec.concurrencyPolicy;
  out.startingDeadline = spec.startingDeadline;
  out.catchUp = spec.catchUp;
  out.jitter = spec.jitter;
  out.timeout = spec.timeout;
  out.killGracePeriod = spec.killGracePeriod;
  out.retries = spec.retries;
  if (spec.activeFrom !== undefined) out.activeFrom = spec.activeFrom;
  if (spec.activeUntil !== undefined) out.activeUntil = spec.activeUntil;
  out.params = spec.params;
  out.task = spec.task;
  out.output = spec.output;
  out.history = spec.history;
  if (spec.maxSuccessAge !== undefined) out.maxSuccessAge = spec.maxSuccessAge;
  out.notify = spec.notify;
  return out;
}

/** A Schedule's spec: input as written, output the resolved JobSpec. */
export const JobSpecSchema = z
  .strictObject({
    schedule: scheduleExpressionSchema.optional(),
    after: afterListSchema.optional(),
    ...sharedSpecFields,
    timezone: sharedSpecFields.timezone.default('UTC'),
    suspend: sharedSpecFields.suspend.default(false),
    concurrencyPolicy: sharedSpecFields.concurrencyPolicy.default('Forbid'),
    startingDeadline: sharedSpecFields.startingDeadline.prefault('1h'),
    catchUp: sharedSpecFields.catchUp.default('latest'),
    jitter: sharedSpecFields.jitter.prefault('0s'),
    timeout: sharedSpecFields.timeout.prefault('30m'),
    killGracePeriod: sharedSpecFields.killGracePeriod.prefault('10s'),
    retries: z
      .strictObject({
        limit: retriesFields.limit.default(0),
        backoff: retriesFields.backoff.default('exponential'),
        delay: retriesFields.delay.prefault('30s'),
        maxDelay: retriesFields.maxDelay.prefault('10m'),
      })
      .prefault({})
      .meta({ description: 'Retrying failed or timed-out attempts.' }),
    activeFrom: sharedSpecFields.activeFrom.optional(),
    activeUntil: sharedSpecFields.activeUntil.optional(),
    params: z.record(z.string(), jsonValueSchema).default({}).meta({
      description:
        'Free-form values for templates: {{ params.PATH }} (dot path; numeric parts index lists).',
    }),
    task: taskSchema,
    output: z
      .strictObject({ maxBytes: outputFields.maxBytes.prefault('64KiB') })
      .prefault({})
      .meta({ description: 'How much output is kept per attempt.' }),
    history: z
      .strictObject({
        successfulRunsLimit: historyFields.successfulRunsLimit.default(50),
        failedRunsLimit: historyFields.failedRunsLimit.default(50),
      })
      .prefault({})
      .meta({ description: 'How many runs are kept in the history of this schedule.' }),
    maxSuccessAge: sharedSpecFields.maxSuccessAge.optional(),
    notify: sharedSpecFields.notify.default([]),
  })
  .check(
    z.superRefine((spec, ctx) => {
      checkScheduleOrAfter(spec, ctx);
      checkActiveWindow(spec, ctx);
    }),
  )
  .transform(toJobSpec)
  .meta({
    description: 'What to run and when.',
    // What checkScheduleOrAfter says, for editors: times of its own, upstreams, or both.
    anyOf: [{ required: ['schedule'] }, { required: ['after'] }],
  });

/** A Defaults spec: any spec field except schedule, params and the task kind; nothing is defaulted. */
export const DefaultsSpecSchema = z
  .strictObject({
    timezone: sharedSpecFields.timezone.optional(),
    suspend: sharedSpecFields.suspend.optional(),
    concurrencyPolicy: sharedSpecFields.concurrencyPolicy.optional(),
    startingDeadline: sharedSpecFields.startingDeadline.optional(),
    catchUp: sharedSpecFields.catchUp.optional(),
    jitter: sharedSpecFields.jitter.optional(),
    timeout: sharedSpecFields.timeout.optional(),
    killGracePeriod: sharedSpecFields.killGracePeriod.optional(),
    retries: z
      .strictObject({
        limit: retriesFields.limit.optional(),
        backoff: retriesFields.backoff.optional(),
        delay: retriesFields.delay.optional(),
        maxDelay: retriesFields.maxDelay.optional(),
      })
      .optional()
      .meta({
        description: "Retry settings; a schedule's own retries fields win, field by field.",
      }),
    activeFrom: sharedSpecFields.activeFrom.optional(),
    activeUntil: sharedSpecFields.activeUntil.optional(),
    task: z
      .strictObject({ env: envMapSchema.optional(), workingDir: workingDirSchema.optional() })
      .optional()
      .meta({
        description:
          "Only env (merged key by key under each schedule's env) and workingDir; the task kind is set per schedule.",
      }),
    output: z
      .strictObject({ maxBytes: outputFields.maxBytes.optional() })
      .optional()
      .meta({ description: 'How much output is kept per attempt.' }),
    history: z
      .strictObject({
        successfulRunsLimit: historyFields.successfulRunsLimit.optional(),
        failedRunsLimit: historyFields.failedRunsLimit.optional(),
      })
      .optional()
      .meta({ description: 'How many runs are kept per schedule.' }),
    maxSuccessAge: sharedSpecFields.maxSuccessAge.optional(),
    notify: sharedSpecFields.notify.optional(),
  })
  .check(z.superRefine((spec, ctx) => checkActiveWindow(spec, ctx)))
  .meta({
    description:
      "Settings merged under every Schedule in the same directory; a schedule's own fields win.",
  });

// ---- Metadata and documents ---------------------------------------------------------------

const labelsSchema = z.record(z.string(), z.string()).meta({
  description:
    'Free-form string labels, for filtering runs and status. Merged key by key with the Defaults labels.',
});

const nameSchema = z
  .string()
  .max(NAME_MAX_LENGTH, {
    error: (iss) =>
      `expected a name of at most ${NAME_MAX_LENGTH} characters, got ${String((iss.input as string).length)}`,
  })
  .regex(NAME_PATTERN, {
    error: (iss) =>
      `expected a name of lowercase letters, digits and "-" that starts and ends with a letter or digit (like "nightly-db-backup"), got ${describeValue(iss.input)}`,
  })
  .meta({
    description:
      'The schedule\'s name: lowercase letters, digits and "-", at most 63 characters, unique in the directory.',
  });

export const ScheduleMetadataSchema = z
  .strictObject({
    name: nameSchema,
    description: z
      .string()
      .optional()
      .meta({ description: 'What the schedule is for, in a sentence.' }),
    labels: labelsSchema.default({}),
  })
  .transform((metadata): ScheduleMetadata => ({
    name: metadata.name,
    ...(metadata.description !== undefined && { description: metadata.description }),
    labels: metadata.labels,
  }))
  .meta({ description: 'Identifies the schedule.' });

export const DefaultsMetadataSchema = z
  .strictObject({
    name: nameSchema.optional(),
    description: z.string().optional().meta({ description: 'What these defaults are for.' }),
    labels: labelsSchema.optional(),
  })
  .meta({
    description: "Optional name and description; labels are merged under every schedule's labels.",
  });

const apiVersionSchema = z
  .literal(API_VERSION)
  .meta({ description: 'The manifest format version: cronops/v1.' });

export const ScheduleDocumentSchema = z
  .strictObject({
    apiVersion: apiVersionSchema,
    kind: z.literal('Schedule').meta({ description: 'A schedule: one job and when it runs.' }),
    metadata: ScheduleMetadataSchema,
    spec: JobSpecSchema,
  })
  .meta({ title: 'Schedule', description: 'One job and when it runs.' });

export const DefaultsDocumentSchema = z
  .strictObject({
    apiVersion: apiVersionSchema,
    kind: z.literal('Defaults').meta({
      description:
        'Settings shared by every schedule in the directory (at most one per directory).',
    }),
    metadata: DefaultsMetadataSchema.optional(),
    spec: DefaultsSpecSchema,
  })
  .meta({
    title: 'Defaults',
    description: 'Settings merged under every Schedule in the same directory.',
  });

/** One manifest document: a Schedule or the directory's Defaults. */
export const ManifestSchema = z.discriminatedUnion('kind', [
  ScheduleDocumentSchema,
  DefaultsDocumentSchema,
]);

/** A document as users write it. */
export type ManifestInput = z.input<typeof ManifestSchema>;
/** A Schedule document as written. */
export type ScheduleDocumentInput = z.input<typeof ScheduleDocumentSchema>;
/** A Defaults document as written. */
export type DefaultsDocumentInput = z.input<typeof DefaultsDocumentSchema>;
/** A Schedule's spec as written. */
export type JobSpecInput = z.input<typeof JobSpecSchema>;
/** A Defaults spec as written. */
export type DefaultsSpecInput = z.input<typeof DefaultsSpecSchema>;
/** A Defaults spec resolved (durations in ms, sizes in bytes); only the fields that were written are set. */
export type DefaultsSpec = z.output<typeof DefaultsSpecSchema>;
