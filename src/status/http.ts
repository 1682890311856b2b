// The HTTP endpoint (SPEC 7): a route table over node:http serving the status, the API, metrics and events; read-only but for "run now".
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../shared/clock.js';
import { SchedulerError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { API_ROUTES, type RunReader } from './api.js';
import type { DefinitionsDocument, ScheduleDefinition } from './definitions.js';
import { EventStreamHub, type SubscribeToEvents } from './events.js';
import { createStatusMetrics, type StatusMetrics } from './metrics.js';
import {
  createSnapshotCache,
  createSnapshotView,
  type PreparedBody,
  type SnapshotCache,
  type SnapshotView,
} from './snapshot-cache.js';
import type { StatusSnapshot } from './snapshot.js';
import { createTriggerRoute, type TriggerOptions } from './trigger.js';

/** Where the server listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

const LISTEN_PATTERN = /^(?:\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/**
 * Parse `--listen`: `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` for every IPv4 interface (0.0.0.0).
 * Port 0 asks the system for a free port. Throws a SchedulerError (USAGE) saying what was expected.
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = LISTEN_PATTERN.exec(text);
  if (match === null) {
    const colons = text.split(':').length - 1;
    if (colons > 1 && !text.startsWith('[')) {
      throw new SchedulerError(
        'USAGE',
        `--listen: IPv6 addresses need brackets, like "[::1]:8787", got "${text}"`,
      );
    }
    throw new SchedulerError('USAGE', `--listen: expected HOST:PORT or "off", got "${text}"`);
  }
  const [, ipv6, name = '', portText = ''] = match;
  const port = Number(portText);
  if (port > 65_535) {
    throw new SchedulerError('USAGE', `--listen: port must be between 0 and 65535, got "${text}"`);
  }
  if (ipv6 !== undefined) return { host: ipv6, port };
  if (name === '') return { host: '0.0.0.0', port };
  if (!HOST_NAME.test(name)) {
    throw new SchedulerError('USAGE', `--listen: expected HOST:PORT or "off", got "${text}"`);
  }
  return { host: name, port };
}

/** `--listen` as the daemon takes it: `off` (any case) disables the endpoint. */
export function parseListenOption(text: string): ListenAddress | null {
  return text.toLowerCase() === 'off' ? null : parseListenAddress(text);
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatListenAddress(address: ListenAddress): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

/** What a route answers: a status, a body of one of the kinds below, and extra headers. */
export interface RouteResponse {
  status: number;
  /** A JSON body. */
  body?: unknown;
  /** A JSON body serialised in advance (shared by many requests); sent gzip-compressed when the client accepts it. */
  prepared?: PreparedBody;
  /** A large JSON body serialised when it is sent, in steps that do not block the event loop; gzip as `prepared`. */
  deferred?: () => Promise<PreparedBody>;
  /** A body that is not JSON (metrics text, the dashboard page), produced when sent; with `contentType`. */
  text?: () => string | Promise<string>;
  contentType?: string;
  /** Takes the response over (server-sent events). */
  stream?: (request: IncomingMessage, response: ServerResponse) => void;
  headers?: Record<string, string>;
}

/** Everything the routes answer from; only `view` is required. */
export interface StatusSources {
  /** The current status snapshot (possibly cached) and the bodies derived from it. */
  view: () => SnapshotView;
  /** Run history: /api/v1/runs… answer 404 without it. */
  history?: RunReader;
  /** The event streams of /api/v1/events. */
  events?: EventStreamHub;
  /** The registry behind /metrics. */
  metrics?: StatusMetrics;
  /** "Run now"; without it the trigger path allows no method. */
  trigger?: TriggerOptions;
  /** The dashboard page served on `/`. */
  dashboard?: () => string | Promise<string>;
  /** Running schedules' definitions: /api/v1/definitions answers 404 without them. */
  definitions?: DefinitionsSource;
}

/** The masked definitions of the running schedules (not part of the status document). */
export interface DefinitionsSource {
  /** Every running schedule's, sorted by name. */
  all(): DefinitionsDocument;
  /** One running schedule's. */
  find(name: string): ScheduleDefinition | undefined;
}

/** What a route handler gets. */
export interface RouteContext {
  /** The status document (built once per request at most). */
  getSnapshot: () => StatusSnapshot;
  /** The snapshot with its cached bodies. */
  view: () => SnapshotView;
  sources: StatusSources;
  /** Values of `{name}` segments in the route's path. */
  params: Record<string, string>;
  url: URL;
  headers: IncomingHttpHeaders;
}

/** One entry of the route table. HEAD is answered wherever GET is. */
export interface StatusRoute {
  /** An absolute path; a segment written `{name}` matches any one segment. */
  path: string;
  methods: readonly ('GET' | 'POST')[];
  /** Added to the 405 answer of this path (e.g. how to enable a disabled write). */
  methodHint?: string;
  /** A promise for answers that need I/O first (the run history). */
  handle(context: RouteContext): RouteResponse | Promise<RouteResponse>;
}

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
    handle: ({ getSnapshot }) => {
      const snapshot = getSnapshot();
      return snapshot.ready
        ? { status: 200, body: { ready: true } }
        : { status: 503, body: { ready: false, reasons: snapshot.notReadyReasons } };
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

/** The parts of a request routing looks at. */
export interface RouteRequest {
  method: string;
  /** The request target as received (`/status?x=1`). */
  url: string;
  /** The request announces a body (Content-Length > 0 or Transfer-Encoding). */
  hasBody: boolean;
  headers?: IncomingHttpHeaders;
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

export interface StatusServerOptions {
  /** `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (see parseListenAddress). */
  listen: string;
  getSnapshot: () => StatusSnapshot;
  logger?: Logger;
  /** Run history for /api/v1/runs and /api/v1/schedules/{name}/runs. */
  history?: RunReader;
  /** The daemon's events: fed to /api/v1/events and the metric counters, and they mark the cached snapshot stale. */
  subscribe?: SubscribeToEvents;
  /** Enables `POST /api/v1/schedules/{name}/trigger`. @default disabled */
  trigger?: TriggerOptions;
  /**
   * Reuse a built snapshot for this long while nothing changes (after a change, for at least
   * 100 ms). 0 builds one per request. Ignored with `snapshots`. @default 0
   */
  snapshotRefreshMs?: number;
  /** A snapshot cache shared with the caller (the daemon's status file uses the same builds). @default one of its own over getSnapshot */
  snapshots?: SnapshotCache;
  /** Running schedules' definitions for /api/v1/definitions and /api/v1/schedules/{name}. @default none */
  definitions?: DefinitionsSource;
  /** Open event streams allowed at once. @default 64 */
  maxEventStreams?: number;
  /** Interval of the event-stream heartbeat comment. @default 15000 */
  heartbeatMs?: number;
  /** The page for `GET /`; null for none. @default renderDashboardPage from ./dashboard-page.js when that module exists */
  dashboard?: (() => string | Promise<string>) | null;
  /** Add the default process metrics to /metrics. @default true */
  defaultMetrics?: boolean;
  /** @default systemClock */
  clock?: Clock;
  /** Time a client has to send the request headers. @default 10000 */
  headersTimeoutMs?: number;
  /** Time a client has to send the whole request. @default 30000 */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open. @default 5000 */
  keepAliveTimeoutMs?: number;
}

export interface StatusServer {
  /** Where a local client reaches the server (`http://127.0.0.1:8787`; wildcard hosts shown as loopback). */
  url: string;
  /** The bound port (the real one when 0 was asked for). */
  port: number;
  /** Stop accepting connections, end event streams, close idle ones, and resolve once the server is closed. */
  close(): Promise<void>;
}

/** Total size of the request line and headers. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Number of request headers looked at. */
export const MAX_HEADERS_COUNT = 100;
/** JSON bodies at least this large are gzip-compressed for clients that accept it. */
const GZIP_MIN_BYTES = 2048;

/** Start the endpoint. Rejects with a SchedulerError (STATUS_PORT_IN_USE, …) when it cannot listen. */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const address = parseListenAddress(options.listen);
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const cache =
    options.snapshots ??
    createSnapshotCache({
      build: options.getSnapshot,
      clock,
      refreshMs: options.snapshotRefreshMs ?? 0,
    });
  const events = new EventStreamHub({
    ...(options.maxEventStreams !== undefined ? { maxClients: options.maxEventStreams } : {}),
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  const metrics = createStatusMetrics({
    getSnapshot: () => cache.current().snapshot,
    defaultMetrics: options.defaultMetrics ?? true,
  });
  const dashboard =
    options.dashboard === undefined
      ? await loadDashboardPage(logger)
      : (options.dashboard ?? undefined);
  const sources: StatusSources = {
    view: () => cache.current(),
    events,
    metrics,
    ...(options.history ? { history: options.history } : {}),
    ...(options.trigger ? { trigger: options.trigger } : {}),
    ...(dashboard ? { dashboard } : {}),
    ...(options.definitions ? { definitions: options.definitions } : {}),
  };
  const routes = buildStatusRoutes(sources);
  const unsubscribe = options.subscribe?.((event) => {
    cache.invalidate();
    metrics.observe(event);
    events.publish(event);
  });

  const server = createServer({
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    // How often slow clients are looked for; node's default (30 s) would let headersTimeout run long.
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(headersTimeout / 4))),
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;
  server.maxHeadersCount = MAX_HEADERS_COUNT;

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    request.on('error', () => undefined);
    const method = request.method ?? 'GET';
    const hasBody =
      request.headers['transfer-encoding'] !== undefined ||
      (request.headers['content-length'] !== undefined &&
        request.headers['content-length'] !== '0');
    routeStatusRequest(
      { method, url: request.url ?? '/', hasBody, headers: request.headers },
      sources,
      routes,
    )
      .catch((error: unknown): RouteResponse => {
        logger?.error({ err: error, method, path: request.url }, 'status request failed');
        return { status: 500, body: { error: 'internal error' } };
      })
      .then((answer) => sendAnswer(request, response, answer, hasBody))
      .then(
        (status) => logger?.debug({ method, path: request.url, status }, 'status request'),
        (error: unknown) => {
          logger?.error({ err: error, method, path: request.url }, 'status request failed');
          if (!response.headersSent) {
            writeBody(
              response,
              method,
              { status: 500, headers: {} },
              'application/json; charset=utf-8',
              Buffer.from('{"error":"internal error"}'),
              hasBody,
            );
          } else {
            response.destroy();
          }
        },
      );
  };
  server.on('request', handle);
  // Answer `Expect: 100-continue` directly, without inviting the body.
  server.on('checkContinue', handle);

  await listenOn(server, address);
  const bound = server.address() as AddressInfo;
  const host =
    address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  const url = `http://${formatListenAddress({ host, port: bound.port })}`;
  logger?.info(
    { url, listen: formatListenAddress({ host: address.host, port: bound.port }) },
    'status endpoint listening',
  );
  return {
    url,
    port: bound.port,
    close: () => {
      unsubscribe?.();
      events.close();
      return closeServer(server);
    },
  };
}

/** Write one answer; resolves with the status sent. */
async function sendAnswer(
  request: IncomingMessage,
  response: ServerResponse,
  answer: RouteResponse,
  hasBody: boolean,
): Promise<number> {
  const method = request.method ?? 'GET';
  if (answer.stream !== undefined) {
    answer.stream(request, response);
    return response.statusCode;
  }
  const headers = { ...answer.headers };
  if (answer.text !== undefined) {
    const text = await answer.text();
    const type = answer.contentType ?? 'text/plain; charset=utf-8';
    writeBody(
      response,
      method,
      { status: answer.status, headers },
      type,
      Buffer.from(text, 'utf8'),
      hasBody,
    );
    return answer.status;
  }
  let bytes: Buffer;
  const prepared = answer.deferred !== undefined ? await answer.deferred() : answer.prepared;
  if (prepared !== undefined) {
    bytes = prepared.json;
    headers['Vary'] = 'Accept-Encoding';
    if (bytes.length >= GZIP_MIN_BYTES && acceptsGzip(request.headers['accept-encoding'])) {
      bytes = prepared.gzip();
      headers['Content-Encoding'] = 'gzip';
    }
  } else {
    bytes = Buffer.from(JSON.stringify(answer.body ?? null), 'utf8');
  }
  writeBody(
    response,
    method,
    { status: answer.status, headers },
    'application/json; charset=utf-8',
    bytes,
    hasBody,
  );
  return answer.status;
}

function writeBody(
  response: ServerResponse,
  method: string,
  head: { status: number; headers: Record<string, string> },
  contentType: string,
  bytes: Buffer,
  hasBody: boolean,
): void {
  response.writeHead(head.status, {
    'Content-Type': contentType,
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...head.headers,
    // The body is never read: close the connection rather than drain it.
    ...(hasBody ? { Connection: 'close' } : {}),
  });
  response.end(method === 'HEAD' ? undefined : bytes);
}

/** Whether an Accept-Encoding header allows gzip (and does not refuse it with q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding = '', ...parameters] = part.trim().toLowerCase().split(';');
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') return false;
    const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** The dashboard module is optional: `/` is served only when it is there. */
const DASHBOARD_MODULE = './dashboard-page.js';

/** `renderDashboardPage` from ./dashboard-page.js, or undefined when that module does not exist. */
async function loadDashboardPage(
  logger: Logger | undefined,
): Promise<(() => string | Promise<string>) | undefined> {
  try {
    // A specifier in a variable: the module is optional, so the compiler must not require it.
    const loaded = (await import(DASHBOARD_MODULE)) as {
      renderDashboardPage?: () => string | Promise<string>;
    };
    return typeof loaded.renderDashboardPage === 'function'
      ? () => (loaded.renderDashboardPage as () => string | Promise<string>)()
      : undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND') logger?.debug({ err: error }, 'no dashboard page');
    return undefined;
  }
}

function listenOn(server: ReturnType<typeof createServer>, address: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(toListenError(error, address));
    };
    server.once('error', onError);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** A listen failure as one clear line. */
function toListenError(error: NodeJS.ErrnoException, address: ListenAddress): SchedulerError {
  const where = `cannot listen on ${formatListenAddress(address)}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new SchedulerError('STATUS_PORT_IN_USE', `${where}: address already in use`, {
        cause: error,
      });
    case 'EACCES':
      return new SchedulerError('STATUS_PORT_IN_USE', `${where}: permission denied`, {
        cause: error,
      });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SchedulerError('USAGE', `${where}: no such address on this host`, {
        cause: error,
      });
    default:
      return new SchedulerError('INTERNAL', `${where}: ${error.message}`, { cause: error });
  }
}

function closeServer(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((resolve) => {
    // Responses are quick; a connection still open after a second is cut.
    const force = setTimeout(() => server.closeAllConnections(), 1_000);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
