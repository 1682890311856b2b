import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { runTask, type TaskInvocation } from '../../src/runtime/run-job.js';

const clock = new ManualClock('2026-03-08T02:30:00.000Z');
const BIG_BODY_BYTES = 8 * 1024 * 1024;
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      switch (req.url) {
        case '/ok':
          res.end('scan started');
          return;
        case '/teapot':
          res.writeHead(418).end('short and stout');
          return;
        case '/slow':
          return; // never answers
        case '/echo':
          res.end(
            JSON.stringify({
              method: req.method,
              token: req.headers['x-token'],
              body: Buffer.concat(chunks).toString(),
            }),
          );
          return;
        case '/big': {
          // Streamed in 64 KiB blocks, ending with a recognisable marker.
          const block = Buffer.alloc(64 * 1024, 'b');
          let left = BIG_BODY_BYTES;
          const write = (): void => {
            while (left > 0) {
              left -= block.length;
              if (left <= 0) {
                res.end(Buffer.concat([block.subarray(0, block.length - 4), Buffer.from('END!')]));
                return;
              }
              if (!res.write(block)) {
                res.once('drain', write);
                return;
              }
            }
          };
          write();
          return;
        }
        default:
          res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function http(
  path: string,
  overrides: Partial<Extract<TaskInvocation['task'], { kind: 'http' }>> = {},
): TaskInvocation['task'] {
  return {
    kind: 'http',
    url: `${base}${path}`,
    method: 'GET',
    headers: {},
    expectStatus: [[200, 299]],
    ...overrides,
  };
}

function invocation(
  task: TaskInvocation['task'],
  overrides: Partial<TaskInvocation> = {},
): TaskInvocation {
  return {
    task,
    env: {},
    timeoutMs: 10_000,
    killGraceMs: 1_000,
    maxOutputBytes: 64 * 1024,
    secrets: [],
    ...overrides,
  };
}

describe('runtime/http-task', () => {
  it('a status in the expected range succeeds; the tail is the status line and the body', async () => {
    const result = await runTask(invocation(http('/ok')), { clock });
    expect(result).toEqual({
      outcome: 'succeeded',
      exitCode: null,
      signal: null,
      httpStatus: 200,
      outputTail: 'HTTP 200 OK\nscan started',
      startedAt: new Date('2026-03-08T02:30:00.000Z'),
      finishedAt: new Date('2026-03-08T02:30:00.000Z'),
    });
  });

  it('a status outside the expected ranges fails', async () => {
    const result = await runTask(invocation(http('/teapot')), { clock });
    expect(result).toMatchObject({
      outcome: 'failed',
      httpStatus: 418,
      outputTail: "HTTP 418 I'm a Teapot\nshort and stout",
      error: `GET ${base}/teapot answered HTTP 418 I'm a Teapot, expected 200-299`,
    });
  });

  it('any of several expected ranges matches', async () => {
    const result = await runTask(
      invocation(
        http('/teapot', {
          expectStatus: [
            [200, 299],
            [418, 418],
          ],
        }),
      ),
      { clock },
    );
    expect(result).toMatchObject({ outcome: 'succeeded', httpStatus: 418 });
  });

  it('sends method, headers and body; secrets are redacted from the tail', async () => {
    const task = http('/echo', {
      method: 'POST',
      headers: { 'x-token': 't0ps3cret' },
      body: '{"full":true}',
    });
    const result = await runTask(invocation(task, { secrets: ['t0ps3cret'] }), { clock });
    expect(result.outputTail).toBe(
      'HTTP 200 OK\n{"method":"POST","token":"[redacted]","body":"{\\"full\\":true}"}',
    );
  });

  it('no answer within the timeout is timed-out', async () => {
    const started = performance.now();
    const result = await runTask(invocation(http('/slow'), { timeoutMs: 300 }), { clock });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ outcome: 'timed-out', error: 'timed out after 300 ms' });
  });

  it('an abort is killed', async () => {
    const controller = new AbortController();
    const pending = runTask(invocation(http('/slow')), { clock, signal: controller.signal });
    setImmediate(() => controller.abort('shutdown'));
    expect(await pending).toMatchObject({ outcome: 'killed', error: 'cancelled: shutdown' });
  });

  it('a big body is streamed into a bounded tail', async () => {
    const maxOutputBytes = 1024;
    const result = await runTask(invocation(http('/big'), { maxOutputBytes }), { clock });
    expect(result.outcome).toBe('succeeded');
    expect(Buffer.byteLength(result.outputTail)).toBe(maxOutputBytes);
    expect(result.outputTail.startsWith('HTTP 200 OK\nbbbb')).toBe(true);
    expect(result.outputTail.endsWith('bbbbEND!')).toBe(true);
  });

  it('a network error fails with the error text', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await runTask(
      invocation(http('/ok', { url: `http://127.0.0.1:${port}/sync` })),
      { clock },
    );
    expect(result.outcome).toBe('failed');
    expect(result.httpStatus).toBeUndefined();
    expect(result.error).toBe(
      `GET http://127.0.0.1:${port}/sync: fetch failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });
});
