// The read-only JSON API under /api/v1 (schedules, definitions, runs, one run) plus /metrics and the event stream: routes and query parsing.
import { RUN_STATUSES, type RunQuery, type RunStatus } from '../history/store.js';
import type { RouteContext, RouteResponse, RunReader, StatusRoute } from './route-types.js';
import { buildApiRun } from './run-view.js';
import { prepareBodyInSteps } from './snapshot-cache.js';
import type { StatusSchedule } from './snapshot.js';

/** Runs per page when `limit` is not given. */
export const DEFAULT_RUNS_LIMIT = 50;
/** The largest `limit` accepted. */
export const MAX_RUNS_LIMIT = 500;

/** A parsed run-list request. */
export interface RunListRequest {
  /** Any of these statuses (empty: all). */
  status: RunStatus[];
  /** Only these schedules (empty: all). */
  schedules: string[];
  /** Every one of these labels must match (the schedule's metadata.labels). */
  labels: { key: string; value: string }[];
  since?: Date;
  until?: Date;
  limit: number;
  /** Only runs older than this id (the `nextCursor` of the previous page). */
  cursor?: string;
  /** Only the runs of the chain started by this run (`spec.after`). */
  chain?: string;
}

/** A query string the endpoint cannot use: which parameter, and what was expected. */
export interface QueryProblem {
  parameter: string;
  message: string;
}

const ISO_INSTANT =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;
const RUN_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const LABEL = /^([^=]+)=(.*)$/;

/**
 * Parse the query string of `GET /api/v1/runs` (`perSchedule: false`) or of
 * `GET /api/v1/schedules/{name}/runs` (`perSchedule: true`, where `schedule` and `label` do not apply).
 * Lists are comma-separated and parameters may repeat. Unknown parameters are refused, so a typo
 * (`?satus=failed`) is an error rather than an unfiltered answer.
 */
export function parseRunListQuery(
  params: URLSearchParams,
  options: { perSchedule: boolean },
): { ok: true; request: RunListRequest } | { ok: false; problem: QueryProblem } {
  const known = options.perSchedule
    ? ['status', 'since', 'until', 'limit', 'cursor']
    : ['status', 'schedule', 'label', 'chain', 'since', 'until', 'limit', 'cursor'];
  for (const name of new Set(params.keys())) {
    if (!known.includes(name)) {
      return fail(name, `unknown parameter "${name}" (expected ${known.join(', ')})`);
    }
  }
  const list = (name: string): string[] =>
    params
      .getAll(name)
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter((value) => value !== '');
  const request: RunListRequest = {
    status: [],
    schedules: [],
    labels: [],
    limit: DEFAULT_RUNS_LIMIT,
  };
  for (const status of list('status')) {
    if (!(RUN_STATUSES as readonly string[]).includes(status)) {
      return fail(
        'status',
        `status: unknown status "${status}" (expected a comma-separated list of ${RUN_STATUSES.join(', ')})`,
      );
    }
    if (!request.status.includes(status as RunStatus)) request.status.push(status as RunStatus);
  }
  request.schedules = [...new Set(list('schedule'))];
  for (const text of params.getAll('label')) {
    const match = LABEL.exec(text);
    const key = match?.[1]?.trim() ?? '';
    if (match === null || key === '') {
      return fail('label', `label: expected key=value like "team=data", got "${text}"`);
    }
    request.labels.push({ key, value: (match[2] ?? '').trim() });
  }
  for (const name of ['since', 'until'] as const) {
    const text = params.get(name);
    if (text === null) continue;
    const at = new Date(text);
    if (!ISO_INSTANT.test(text) || Number.isNaN(at.getTime())) {
      return fail(
        name,
        `${name}: expected an ISO 8601 instant like "2026-03-10T00:00:00Z", got "${text}"`,
      );
    }
    request[name] = at;
  }
  const limit = params.get('limit');
  if (limit !== null) {
    const value = /^\d+$/.test(limit) ? Number(limit) : Number.NaN;
    if (!(value >= 1 && value <= MAX_RUNS_LIMIT)) {
      return fail(
        'limit',
        `limit: expected a whole number from 1 to ${MAX_RUNS_LIMIT}, got "${limit}"`,
      );
    }
    request.limit = value;
  }
  const cursor = params.get('cursor');
  if (cursor !== null) {
    if (!RUN_ID.test(cursor)) {
      return fail('cursor', `cursor: expected the nextCursor of a previous page, got "${cursor}"`);
    }
    request.cursor = cursor;
  }
  const chain = params.get('chain');
  if (chain !== null) {
    if (!RUN_ID.test(chain)) {
      return fail('chain', `chain: expected the id of a chain's first run, got "${chain}"`);
    }
    request.chain = chain;
  }
  return { ok: true, request };
}

function fail(parameter: string, message: string): { ok: false; problem: QueryProblem } {
  return { ok: false, problem: { parameter, message } };
}

/** One page of runs: newest first, without output tails, and the cursor of the next page (null on the last). */
export interface RunPage {
  runs: ReturnType<typeof buildApiRun>[];
  nextCursor: string | null;
}

/**
 * Select one page. `schedules` are the loaded schedules (for label filters: runs of schedules
 * that are not loaded have no labels and never match one). A page holds `limit` runs; the
 * next page starts after the last of them, so runs recorded meanwhile never shift a page.
 */
export async function selectRunPage(
  reader: RunReader,
  request: RunListRequest,
  schedules: readonly Pick<StatusSchedule, 'name' | 'labels'>[],
): Promise<RunPage> {
  let names: string[] | undefined = request.schedules.length > 0 ? request.schedules : undefined;
  if (request.labels.length > 0) {
    const labelled = schedules
      .filter((schedule) =>
        request.labels.every(({ key, value }) => schedule.labels[key] === value),
      )
      .map((schedule) => schedule.name);
    names = names === undefined ? labelled : names.filter((name) => labelled.includes(name));
  }
  const query: RunQuery = {
    limit: request.limit + 1,
    ...(request.status.length > 0 ? { status: request.status } : {}),
    ...(request.since ? { since: request.since } : {}),
    ...(request.until ? { until: request.until } : {}),
    ...(request.cursor ? { before: request.cursor } : {}),
    ...(request.chain ? { chain: request.chain } : {}),
  };
  // One query, even for many schedules: the store reads only the shards that hold the newest runs.
  const found =
    names === undefined
      ? await reader.listRuns(query)
      : names.length === 0
        ? []
        : await reader.listRuns({ ...query, schedules: names });
  const page = found.slice(0, request.limit);
  const last = page[page.length - 1];
  return {
    runs: page.map((run) => buildApiRun(run, { outputTails: false })),
    nextCursor: found.length > request.limit && last !== undefined ? last.id : null,
  };
}

/** 400 naming the parameter and what was expected. */
function badQuery(problem: QueryProblem): RouteResponse {
  return {
    status: 400,
    body: { error: 'bad request', parameter: problem.parameter, message: problem.message },
  };
}

function unknownSchedule(name: string): RouteResponse {
  return {
    status: 404,
    body: { error: 'not found', schedule: name, message: `no schedule named "${name}"` },
  };
}

/** The run list answer, or a 400. */
async function answerRunList(
  context: RouteContext,
  schedule: string | undefined,
): Promise<RouteResponse> {
  const history = context.sources.history;
  if (history === undefined)
    return { status: 404, body: { error: 'not found', path: context.url.pathname } };
  const parsed = parseRunListQuery(context.url.searchParams, {
    perSchedule: schedule !== undefined,
  });
  if (!parsed.ok) return badQuery(parsed.problem);
  const request =
    schedule === undefined ? parsed.request : { ...parsed.request, schedules: [schedule] };
  // The schedules (for labels) are read before the history is: the page matches the status of that moment.
  const schedules = context.view().snapshot.schedules;
  return { status: 200, body: await selectRunPage(history, request, schedules) };
}

/** The /api/v1 routes that read the status snapshot and the history. */
export const API_ROUTES: readonly StatusRoute[] = [
  {
    path: '/api/v1/schedules',
    methods: ['GET'],
    handle: (context) => ({
      status: 200,
      prepared: context.view().prepare('schedules', (snapshot) => snapshot.schedules),
    }),
  },
  {
    path: '/api/v1/schedules/{name}',
    methods: ['GET'],
    handle: (context) => {
      const name = context.params['name'] ?? '';
      const schedule = context.view().findSchedule(name);
      if (!schedule) return unknownSchedule(name);
      const definitions = context.sources.definitions;
      if (definitions === undefined) return { status: 200, body: schedule };
      // The entry may be a moment older than the running version: a definition of another version is not shown.
      const found = definitions.find(name);
      const definition = found && found.specHash === schedule.specHash ? found.definition : null;
      return { status: 200, body: { ...schedule, definition } };
    },
  },
  {
    path: '/api/v1/schedules/{name}/runs',
    methods: ['GET'],
    handle: (context) => {
      const name = context.params['name'] ?? '';
      if (context.view().findSchedule(name) === undefined) return unknownSchedule(name);
      return answerRunList(context, name);
    },
  },
  {
    path: '/api/v1/definitions',
    methods: ['GET'],
    handle: (context) => {
      const definitions = context.sources.definitions;
      if (definitions === undefined)
        return { status: 404, body: { error: 'not found', path: context.url.pathname } };
      // Tens of megabytes with thousands of schedules, and rarely asked for: serialised in steps, not kept.
      return { status: 200, deferred: () => prepareBodyInSteps(definitions.all()) };
    },
  },
  {
    path: '/api/v1/runs',
    methods: ['GET'],
    handle: (context) => answerRunList(context, undefined),
  },
  {
    path: '/api/v1/runs/{id}',
    methods: ['GET'],
    handle: async (context) => {
      const id = context.params['id'] ?? '';
      const run = await context.sources.history?.getRun(id);
      return run
        ? { status: 200, body: buildApiRun(run, { outputTails: true }) }
        : {
            status: 404,
            body: { error: 'not found', runId: id, message: `no run with id "${id}"` },
          };
    },
  },
  {
    path: '/api/v1/events',
    methods: ['GET'],
    handle: (context) => {
      const hub = context.sources.events;
      if (hub === undefined)
        return { status: 404, body: { error: 'not found', path: context.url.pathname } };
      if (hub.isFull) {
        return {
          status: 503,
          body: {
            error: 'too many event streams',
            message: `at most ${hub.maxClients} event streams may be open at once; retry later`,
          },
          headers: { 'Retry-After': '5' },
        };
      }
      return { status: 200, stream: (request, response) => hub.accept(request, response) };
    },
  },
  {
    path: '/metrics',
    methods: ['GET'],
    handle: (context) => {
      const metrics = context.sources.metrics;
      if (metrics === undefined)
        return { status: 404, body: { error: 'not found', path: context.url.pathname } };
      return { status: 200, text: () => metrics.render(), contentType: metrics.contentType };
    },
  },
];
