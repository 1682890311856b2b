// "Run now" (POST /api/v1/schedules/{name}/trigger): the one write, present only with a trigger token, checked in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteResponse, StatusRoute, TriggerOptions, TriggerResult } from './route-types.js';

/** How a request's credentials compare with the token. */
export type BearerCheck = 'ok' | 'missing' | 'wrong';

/** A fixed-length digest, so the comparison takes the same time whatever the lengths. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Check `Authorization: Bearer <token>` against `expected`. Both sides are hashed first, so
 * `timingSafeEqual` compares equal-length buffers and neither the token's content nor its
 * length leaks through timing.
 */
export function checkBearerToken(
  header: string | string[] | undefined,
  expected: string,
): BearerCheck {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value ?? '');
  if (match === null) return 'missing';
  return timingSafeEqual(digest(match[1] ?? ''), digest(expected)) ? 'ok' : 'wrong';
}

/** The answer to an authorised trigger. */
function answerTrigger(name: string, result: TriggerResult | undefined): RouteResponse {
  if (result === undefined) {
    return {
      status: 404,
      body: { error: 'not found', schedule: name, message: `no schedule named "${name}"` },
    };
  }
  const reason = result.reason !== undefined ? { reason: result.reason } : {};
  if (result.outcome === 'skipped') {
    return {
      status: 409,
      body: {
        error: 'not started',
        message: `run of "${name}" not started: ${result.reason ?? 'skipped'}`,
        runId: result.runId,
        outcome: result.outcome,
        ...reason,
      },
    };
  }
  return { status: 202, body: { runId: result.runId, outcome: result.outcome, ...reason } };
}

/** Check the credentials, then start the run. */
export function handleTriggerRequest(
  name: string,
  headers: IncomingHttpHeaders,
  options: TriggerOptions,
): RouteResponse | Promise<RouteResponse> {
  const check = checkBearerToken(headers.authorization, options.token);
  if (check === 'missing') {
    return {
      status: 401,
      body: {
        error: 'unauthorized',
        message: 'this endpoint needs the trigger token as "Authorization: Bearer <token>"',
      },
      headers: { 'WWW-Authenticate': 'Bearer realm="cronops"' },
    };
  }
  if (check === 'wrong') {
    return {
      status: 403,
      body: {
        error: 'forbidden',
        message: 'the trigger token is not the one the daemon was started with',
      },
    };
  }
  const requestId = readRequestId(headers[REQUEST_ID_HEADER]);
  if (requestId === false) {
    return {
      status: 400,
      body: {
        error: 'bad request',
        message: `the ${REQUEST_ID_HEADER} header must be 1 to 200 printable ASCII characters`,
      },
    };
  }
  const result = options.start(name, requestId);
  return result instanceof Promise
    ? result.then((settled) => answerTrigger(name, settled))
    : answerTrigger(name, result);
}

/** The header naming a run-now request: the same id starts one run, whichever replica it reaches. */
export const REQUEST_ID_HEADER = 'idempotency-key';

/** The request id, undefined when absent, false when malformed. */
function readRequestId(header: string | string[] | undefined): string | undefined | false {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  return /^[\x21-\x7e]{1,200}$/.test(value) ? value : false;
}

/**
 * The trigger route. Without a token it allows no method, so any request to it (POST
 * included) is a 405 like every other write.
 */
export function createTriggerRoute(options: TriggerOptions | undefined): StatusRoute {
  return {
    path: '/api/v1/schedules/{name}/trigger',
    methods: options === undefined ? [] : ['POST'],
    handle: (context) =>
      options === undefined
        ? { status: 405, body: { error: 'method not allowed', allowed: [] } }
        : handleTriggerRequest(context.params['name'] ?? '', context.headers, options),
  };
}
