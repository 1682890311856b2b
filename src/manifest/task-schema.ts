// The task a run executes and the notifications it sends: env values, secrets, argv, HTTP calls.
import { z } from 'zod';
import { requireExactlyOne } from './exactly-one.js';
import { describeValue } from './issue-messages.js';
import { durationSchema } from './unit-schemas.js';

/** Environment variable names (also the names `fromEnv` reads). */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const NOTIFY_EVENTS = ['failure', 'success', 'recovery', 'missed'] as const;
/** `change`: notify when the outcome changes (the default); `every`: on every matching outcome. */
export const NOTIFY_MODES = ['change', 'every'] as const;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** The keys that choose a task's kind; exactly one must be present. */
export const TASK_KINDS = ['command', 'shell', 'http'] as const;

/** An environment or header value: literal, or a secret read when the run starts. */
export type EnvValue = string | { fromEnv: string } | { fromFile: string };

/** What a run executes; `kind` says which of the three task forms it is. */
export type TaskSpec =
  | { kind: 'command'; command: string[]; env: Record<string, EnvValue>; workingDir?: string }
  | { kind: 'shell'; shell: string; env: Record<string, EnvValue>; workingDir?: string }
  | {
      kind: 'http';
      url: string;
      method: string;
      headers: Record<string, EnvValue>;
      /** JSON bodies are already stringified. */
      body?: string;
      /** Inclusive ranges of accepted status codes. */
      expectStatus: [number, number][];
      env: Record<string, EnvValue>;
      workingDir?: string;
    };

/** One notification target: a webhook or a command, and the run outcomes it wants. */
export interface NotifySpec {
  on: ('failure' | 'success' | 'recovery' | 'missed')[];
  /** When to send: on a change of the schedule's last final outcome, or every time. @default 'change' */
  mode?: (typeof NOTIFY_MODES)[number];
  /** mode change: send again while the outcome stays the same, this often (ms). */
  repeatInterval?: number;
  webhook?: { url: string; headers: Record<string, EnvValue> };
  command?: string[];
}

const nonEmptyString = (description: string) =>
  z.string().min(1, { error: 'expected a non-empty string, got ""' }).meta({ description });

const envNameSchema = z.string().regex(ENV_NAME_PATTERN, {
  error: (iss) =>
    `expected an environment variable name (letters, digits and "_", not starting with a digit), got ${describeValue(iss.input)}`,
});

const fromEnvSchema = envNameSchema.meta({
  description:
    "Name of an environment variable of the daemon's own environment to read the value from when the run starts.",
});
const fromFileSchema = z
  .string()
  .regex(/^\//, {
    error: (iss) =>
      `expected an absolute file path (starting with "/"), got ${describeValue(iss.input)}`,
  })
  .meta({
    description:
      'Absolute path of a file to read the value from when the run starts (trailing newline removed), e.g. a mounted secret.',
  });

const secretRefSchema = requireExactlyOne(
  z.strictObject({ fromEnv: fromEnvSchema.optional(), fromFile: fromFileSchema.optional() }).meta({
    description: 'A value read when the run starts, never stored in history, status or logs.',
  }),
  ['fromEnv', 'fromFile'],
  'a secret reference',
);

/** A literal value (numbers and booleans become strings) or a secret reference. */
const envValueSchema = z
  .union([z.string(), z.number(), z.boolean(), secretRefSchema], {
    error: (iss) =>
      `expected a string, { fromEnv: NAME } or { fromFile: /path }, got ${describeValue(iss.input)}`,
  })
  .transform((value): EnvValue => {
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value === 'string') return value;
    return value.fromEnv !== undefined
      ? { fromEnv: value.fromEnv }
      : { fromFile: value.fromFile ?? '' };
  })
  .meta({
    description:
      'A literal value (templates allowed), or { fromEnv: NAME } / { fromFile: /path } for secrets.',
  });

export const envMapSchema = z.record(envNameSchema, envValueSchema).meta({
  description:
    "Environment variables for the task, added to the daemon's environment. Values may use templates.",
});

const headerMapSchema = z
  .record(
    z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, {
      error: (iss) => `expected an HTTP header name, got ${describeValue(iss.input)}`,
    }),
    envValueSchema,
  )
  .meta({ description: 'HTTP request headers. Values may use templates or be secret references.' });

const argvSchema = (description: string) =>
  z
    .array(z.string().meta({ description: 'One argument; templates allowed.' }))
    .min(1, {
      error: 'expected a non-empty list (the program and its arguments), got an empty list',
    })
    .check(
      z.superRefine((argv, ctx) => {
        if (argv[0] === '')
          ctx.addIssue({
            code: 'custom',
            path: [0],
            input: '',
            message: 'expected the program to run, got ""',
          });
      }),
    )
    .meta({ description });

/** Any JSON value (params, JSON bodies); one shared instance so the JSON Schema names it once. */
export const jsonValueSchema = z
  .json()
  .register(z.globalRegistry, { id: 'JsonValue', description: 'Any JSON value.' });

const STATUS_RANGE_PATTERN = /^(?:[1-5]\d\d(?:-[1-5]\d\d)?|[1-5]xx)$/;
const statusCodeSchema = z
  .int({
    error: (iss) => `expected an HTTP status code (100-599), got ${describeValue(iss.input)}`,
  })
  .min(100, {
    error: (iss) => `expected an HTTP status code (100-599), got ${describeValue(iss.input)}`,
  })
  .max(599, {
    error: (iss) => `expected an HTTP status code (100-599), got ${describeValue(iss.input)}`,
  });
const statusRangeSchema = z.string().regex(STATUS_RANGE_PATTERN, {
  error: (iss) =>
    `expected a status code, a range like "200-299" or a class like "2xx", got ${describeValue(iss.input)}`,
});
const statusItemSchema = z.union([statusCodeSchema, statusRangeSchema], {
  error: (iss) =>
    `expected a status code, a range like "200-299" or a class like "2xx", got ${describeValue(iss.input)}`,
});

function toStatusRange(item: number | string): [number, number] {
  if (typeof item === 'number') return [item, item];
  if (item.endsWith('xx')) {
    const base = Number(item[0]) * 100;
    return [base, base + 99];
  }
  const [from = '0', to = from] = item.split('-');
  return [Number(from), Number(to)];
}

const expectStatusSchema = z
  .union(
    [
      statusItemSchema,
      z
        .array(statusItemSchema)
        .min(1, { error: 'expected at least one status code, got an empty list' }),
    ],
    {
      error: (iss) =>
        `expected a status code, a range like "200-299", or a list of them, got ${describeValue(iss.input)}`,
    },
  )
  .check(
    z.superRefine((value, ctx) => {
      const items = Array.isArray(value) ? value : [value];
      items.forEach((item, index) => {
        const [from, to] = toStatusRange(item);
        if (from > to) {
          ctx.addIssue({
            code: 'custom',
            input: item,
            path: Array.isArray(value) ? [index] : [],
            message: `expected a range from low to high, got "${String(item)}"`,
          });
        }
      });
    }),
  )
  .transform((value) => (Array.isArray(value) ? value : [value]).map(toStatusRange));

const httpSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^(?:https?:\/\/|\{\{)/i, {
        error: (iss) => `expected an http:// or https:// URL, got ${describeValue(iss.input)}`,
      })
      .meta({ description: 'The URL to call (http or https). Templates allowed.' }),
    method: z.enum(HTTP_METHODS).default('GET').meta({ description: 'The HTTP method.' }),
    headers: headerMapSchema.default({}),
    body: jsonValueSchema.optional().meta({
      description:
        'The request body: a string (templates allowed), or any YAML value sent as JSON.',
    }),
    expectStatus: expectStatusSchema.prefault('200-299').meta({
      description:
        'Status codes that count as success: a code (204), a range ("200-299"), a class ("2xx"), or a list of them.',
    }),
  })
  .meta({
    description: 'Call an HTTP endpoint; the run succeeds when the response status is expected.',
  });

export const workingDirSchema = nonEmptyString(
  "The directory the task runs in. Default: the daemon's working directory.",
);

export const taskSchema = requireExactlyOne(
  z
    .strictObject({
      command: argvSchema(
        'Run a program directly (no shell): the program and its arguments. Templates allowed in every item.',
      ).optional(),
      shell: nonEmptyString('Run one string with /bin/sh -c. Templates allowed.').optional(),
      http: httpSchema.optional(),
      env: envMapSchema.default({}),
      workingDir: workingDirSchema.optional(),
    })
    .meta({ description: 'What each run executes: exactly one of command, shell or http.' }),
  TASK_KINDS,
  'a task',
).transform((task): TaskSpec => {
  const common = {
    env: task.env,
    ...(task.workingDir !== undefined && { workingDir: task.workingDir }),
  };
  if (task.command !== undefined) return { kind: 'command', command: task.command, ...common };
  if (task.shell !== undefined) return { kind: 'shell', shell: task.shell, ...common };
  const http = task.http ?? {
    url: '',
    method: 'GET',
    headers: {},
    expectStatus: [[200, 299]] as [number, number][],
  };
  // A mapping or list body is sent as JSON, so say so unless the manifest already names a type.
  const sendsJson =
    http.body !== undefined &&
    typeof http.body !== 'string' &&
    !Object.keys(http.headers).some((h) => h.toLowerCase() === 'content-type');
  return {
    kind: 'http',
    url: http.url,
    method: http.method,
    headers: sendsJson ? { ...http.headers, 'Content-Type': 'application/json' } : http.headers,
    ...(http.body !== undefined && {
      body: typeof http.body === 'string' ? http.body : JSON.stringify(http.body),
    }),
    expectStatus: http.expectStatus,
    ...common,
  };
});

export const notifySchema = requireExactlyOne(
  z
    .strictObject({
      on: z
        .array(z.enum(NOTIFY_EVENTS))
        .min(1, {
          error: `expected at least one of ${NOTIFY_EVENTS.join(', ')}, got an empty list`,
        })
        .meta({
          description:
            'The run outcomes to notify about: failure (failed or timed out), success, recovery (success after a failure), missed.',
        }),
      mode: z
        .enum(NOTIFY_MODES)
        .default('change')
        .meta({
          description:
            'change (default): notify on the first failure, on recovery, on the first missed fire — when the ' +
            "schedule's last final outcome changes, read from the history so a restart does not re-alert. " +
            'every: notify on every matching outcome (the behaviour before mode existed).',
        }),
      repeatInterval: durationSchema({ minMs: 1000 })
        .optional()
        .meta({
          description:
            'mode change only: while the outcome stays the same (still failing, still missing fires), notify ' +
            'again once this long has passed since the last notification, e.g. "6h".',
        }),
      webhook: z
        .strictObject({
          url: z
            .string()
            .regex(/^(?:https?:\/\/|\{\{)/i, {
              error: (iss) =>
                `expected an http:// or https:// URL, got ${describeValue(iss.input)}`,
            })
            .meta({
              description: 'The URL that receives a POST with the run as JSON. Templates allowed.',
            }),
          headers: headerMapSchema.default({}),
        })
        .optional()
        .meta({ description: 'POST the run as JSON to a URL.' }),
      command: argvSchema(
        'Run a program (no shell) with the run as JSON on stdin. Templates allowed in every item.',
      ).optional(),
    })
    .meta({
      description: 'A notification: when to send it, and exactly one of webhook or command.',
    }),
  ['webhook', 'command'],
  'a notification',
).transform((notify, ctx): NotifySpec => {
  if (notify.mode === 'every' && notify.repeatInterval !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['repeatInterval'],
      message: 'repeatInterval applies to mode change only (mode every already sends every time)',
      input: notify.repeatInterval,
    });
  }
  return {
    on: notify.on,
    mode: notify.mode,
    ...(notify.repeatInterval !== undefined && { repeatInterval: notify.repeatInterval }),
    ...(notify.webhook !== undefined && { webhook: notify.webhook }),
    ...(notify.command !== undefined && { command: notify.command }),
  };
});
