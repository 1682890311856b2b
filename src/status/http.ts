// The HTTP endpoint (SPEC 7): starts node:http over the route table (./routes.ts) serving the status, the API, metrics and events; read-only but for "run now".
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../shared/clock.js';
import { SchedulerError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { EventStreamHub, type SubscribeToEvents } from './events.js';
import { buildHostPolicy, isHostAllowed, refuseHost, type HostPolicy } from './host-check.js';
import { formatListenAddress, parseListenAddress, type ListenAddress } from './listen-address.js';
import { createStatusMetrics } from './metrics.js';
import { sendAnswer, writeBody } from './respond.js';
import type {
  DefinitionsSource,
  Readiness,
  RouteResponse,
  RunReader,
  StatusSources,
  TriggerOptions,
} from './route-types.js';
import { buildStatusRoutes, routeStatusRequest } from './routes.js';
import { createSnapshotCache, type SnapshotCache } from './snapshot-cache.js';
import type { StatusSnapshot } from './snapshot.js';

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
  /** Readiness without a snapshot, for /readyz. @default read from the snapshot */
  readiness?: () => Readiness;
  /** Open event streams allowed at once. @default 64 */
  maxEventStreams?: number;
  /** Interval of the event-stream heartbeat comment. @default 15000 */
  heartbeatMs?: number;
  /** The page for `GET /`; null for none. @default renderDashboardPage from ./dashboard-page.js when that module exists */
  dashboard?: (() => string | Promise<string>) | null;
  /**
   * Extra Host header values to accept (`--allowed-hosts`): a name, or `name:port`. On a loopback
   * listen address the listen address and localhost are always accepted; on another address the
   * check is on only when this is given (see host-check.ts). @default []
   */
  allowedHosts?: readonly string[];
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
    ...(options.readiness ? { readiness: options.readiness } : {}),
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

  let hostPolicy: HostPolicy = null;
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    request.on('error', () => undefined);
    const method = request.method ?? 'GET';
    const hasBody =
      request.headers['transfer-encoding'] !== undefined ||
      (request.headers['content-length'] !== undefined &&
        request.headers['content-length'] !== '0');
    const host = request.headers.host;
    const routed = isHostAllowed(hostPolicy, host)
      ? routeStatusRequest(
          { method, url: request.url ?? '/', hasBody, headers: request.headers },
          sources,
          routes,
        )
      : Promise.resolve(refuseHost(host ?? ''));
    routed
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
  hostPolicy = buildHostPolicy(address, bound.port, options.allowedHosts ?? []);
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
