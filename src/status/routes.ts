// The endpoint's route table (probes, /status, the API, the trigger, the page) and how a request is matched against it.
import { API_ROUTES } from './api.js';
import type { RouteRequest, RouteResponse, StatusRoute, StatusSources } from './route-types.js';
import { createSnapshotView, type SnapshotView } from './snapshot-cache.js';
import type { StatusSnapshot } from './snapshot.js';
import { TIMELINE_ROUTE } from './timeline.js';
import { createTriggerRoute } from './trigger.js';

/** The probes and the status document. */
export const STATUS_ROUTES: readonly StatusRoute[] = [
  {
    path: '/healthz',
    methods: ['GET'],
    handle: () => ({ status: 200, body: { status: 'ok' } }),
  },
  {
    path: '/readyz',
    methods: ['GET'],
    handle: ({ getSnapshot, sources }) => {
      const readiness = sources.readiness?.() ?? {
        ready: getSnapshot().ready,
        reasons: getSnapshot().notReadyReasons,
      };
      return readiness.ready
        ? { status: 200, body: { ready: true } }
        : { status: 503, body: { ready: false, reasons: readiness.reasons } };
    },
  },
  {
    path: '/status',
    methods: ['GET'],
    handle: ({ view }) => ({
      status: 200,
      prepared: view().prepare('status', (snapshot) => snapshot),
    }),
  },
];

/**
 * Every route for `sources`: the probes and /status, the /api/v1 API, /metrics, the event
 * stream, the trigger path (405 for every method without a token), and `/` when a dashboard
 * page is available.
 */
export function buildStatusRoutes(sources: StatusSources): StatusRoute[] {
  const routes: StatusRoute[] = [
    ...STATUS_ROUTES,
    ...API_ROUTES,
    TIMELINE_ROUTE,
    {
      ...createTriggerRoute(sources.trigger),
      ...(sources.trigger === undefined
        ? {
            methodHint:
              'run now is disabled: start the daemon with --trigger-token or CRONOPS_TRIGGER_TOKEN',
          }
        : {}),
    },
  ];
  const dashboard = sources.dashboard;
  if (dashboard !== undefined) {
    routes.push({
      path: '/',
      methods: ['GET'],
      handle: () => ({
        status: 200,
        text: dashboard,
        contentType: 'text/html; charset=utf-8',
        headers: { 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer' },
      }),
    });
  }
  return routes;
}

/**
 * Answer one request from the route table: 404 for an unknown path, 405 (with Allow) for
 * another method, 413 for a body on a read, else the route's answer. `sources` may be just a
 * snapshot getter, which serves the probes and /status (STATUS_ROUTES).
 */
export async function routeStatusRequest(
  request: RouteRequest,
  sources: StatusSources | (() => StatusSnapshot),
  routes?: readonly StatusRoute[],
): Promise<RouteResponse> {
  const resolved: StatusSources =
    typeof sources === 'function' ? { view: () => createSnapshotView(sources()) } : sources;
  const table =
    routes ?? (typeof sources === 'function' ? STATUS_ROUTES : buildStatusRoutes(resolved));
  let url: URL;
  try {
    url = new URL(request.url, 'http://status.invalid');
  } catch {
    return { status: 400, body: { error: 'bad request' } };
  }
  const segments = url.pathname.split('/');
  for (const route of table) {
    const params = matchSegments(splitPattern(route.path), segments);
    if (params === undefined) continue;
    const allowed = route.methods.includes('GET') ? [...route.methods, 'HEAD'] : [...route.methods];
    if (!allowed.includes(request.method)) {
      return {
        status: 405,
        body: {
          error: 'method not allowed',
          allowed,
          ...(route.methodHint !== undefined ? { message: route.methodHint } : {}),
        },
        headers: { Allow: allowed.join(', ') },
      };
    }
    if (request.hasBody && request.method !== 'POST') {
      return { status: 413, body: { error: 'request body not allowed' } };
    }
    let view: SnapshotView | undefined;
    const getView = (): SnapshotView => (view ??= resolved.view());
    return route.handle({
      getSnapshot: () => getView().snapshot,
      view: getView,
      sources: resolved,
      params,
      url,
      headers: request.headers ?? {},
    });
  }
  return { status: 404, body: { error: 'not found', path: url.pathname } };
}

/** The `{name}` values when `pathname` matches `pattern`, else undefined. */
export function matchRoutePath(
  pattern: string,
  pathname: string,
): Record<string, string> | undefined {
  return matchSegments(splitPattern(pattern), pathname.split('/'));
}

/** Route patterns split once: every request is matched against every route. */
const PATTERN_SEGMENTS = new Map<string, readonly string[]>();

function splitPattern(pattern: string): readonly string[] {
  let parts = PATTERN_SEGMENTS.get(pattern);
  if (parts === undefined) {
    parts = pattern.split('/');
    PATTERN_SEGMENTS.set(pattern, parts);
  }
  return parts;
}

function matchSegments(
  want: readonly string[],
  got: readonly string[],
): Record<string, string> | undefined {
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const segment = got[index] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      if (segment === '') return undefined;
      try {
        params[part.slice(1, -1)] = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}
