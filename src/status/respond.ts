// Writing a route's answer to the socket: JSON (gzip when large and accepted), text, or a stream; HEAD without a body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteResponse } from './route-types.js';

/** JSON bodies at least this large are gzip-compressed for clients that accept it. */
const GZIP_MIN_BYTES = 2048;

/** Write one answer; resolves with the status sent. */
export async function sendAnswer(
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

export function writeBody(
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
