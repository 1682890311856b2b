// The read-only HTTP endpoint (SPEC 7): a small route table over node:http that serialises the status snapshot.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SchedulerError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { StatusSnapshot } from './snapshot.js';

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

/** What a route answers: a status, a JSON body and extra headers. */
export interface RouteResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What a route handler gets. */
export interface RouteContext {
  getSnapshot: () => StatusSnapshot;
  /** Values of `{name}` segments in the route's path. */
  params: Record<string, string>;
  url: URL;
}

/** One entry of the route table. HEAD is answered wherever GET is. */
export interface StatusRoute {
  /** An absolute path; a segment written `{name}` matches any one segment. */
  path: string;
  methods: readonly ('GET' | 'POST')[];
  handle(context: RouteContext): RouteResponse;
}

/** The endpoints served today; later ones (API, metrics, dashboard) are added here. */
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
    handle: ({ getSnapshot }) => ({ status: 200, body: getSnapshot() }),
  },
];

/** The parts of a request routing looks at. */
export interface RouteRequest {
  method: string;
  /** The request target as received (`/status?x=1`). */
  url: string;
  /** The request announces a body (Content-Length > 0 or Transfer-Encoding). */
  hasBody: boolean;
}

/**
 * Answer one request from the route table: 404 for an unknown path, 405 (with Allow) for
 * another method, 413 for a body, else the route's answer. Query strings are ignored.
 */
export function routeStatusRequest(
  request: RouteRequest,
  getSnapshot: () => StatusSnapshot,
  routes: readonly StatusRoute[] = STATUS_ROUTES,
): RouteResponse {
  let url: URL;
  try {
    url = new URL(request.url, 'http://status.invalid');
  } catch {
    return { status: 400, body: { error: 'bad request' } };
  }
  for (const route of routes) {
    const params = matchRoutePath(route.path, url.pathname);
    if (params === undefined) continue;
    const allowed = route.methods.includes('GET') ? [...route.methods, 'HEAD'] : [...route.methods];
    if (!allowed.includes(request.method)) {
      return {
        status: 405,
        body: { error: 'method not allowed', allowed },
        headers: { Allow: allowed.join(', ') },
      };
    }
    if (request.hasBody && request.method !== 'POST') {
      return { status: 413, body: { error: 'request body not allowed' } };
    }
    return route.handle({ getSnapshot, params, url });
  }
  return { status: 404, body: { error: 'not found', path: url.pathname } };
}

/** The `{name}` values when `pathname` matches `pattern`, else undefined. */
export function matchRoutePath(
  pattern: string,
  pathname: string,
): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = pathname.split('/');
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
  /** Stop accepting connections, close idle ones, and resolve once the server is closed. */
  close(): Promise<void>;
}

/** Total size of the request line and headers. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Number of request headers looked at. */
export const MAX_HEADERS_COUNT = 100;

/** Start the endpoint. Rejects with a SchedulerError (STATUS_PORT_IN_USE, …) when it cannot listen. */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const address = parseListenAddress(options.listen);
  const { getSnapshot, logger } = options;
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
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
    let answer: RouteResponse;
    try {
      answer = routeStatusRequest({ method, url: request.url ?? '/', hasBody }, getSnapshot);
    } catch (error) {
      logger?.error({ err: error, method, path: request.url }, 'status request failed');
      answer = { status: 500, body: { error: 'internal error' } };
    }
    const text = JSON.stringify(answer.body);
    response.statusCode = answer.status;
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('Content-Length', Buffer.byteLength(text));
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    for (const [name, value] of Object.entries(answer.headers ?? {}))
      response.setHeader(name, value);
    // The body is never read: close the connection rather than drain it.
    if (hasBody) response.setHeader('Connection', 'close');
    response.end(method === 'HEAD' ? undefined : text);
    logger?.debug({ method, path: request.url, status: answer.status }, 'status request');
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
    close: () => closeServer(server),
  };
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
    // Responses are small and fast; a connection still open after a second is cut.
    const force = setTimeout(() => server.closeAllConnections(), 1_000);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
