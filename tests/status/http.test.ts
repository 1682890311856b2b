import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SchedulerError } from '../../src/shared/errors.js';
import { createLogger } from '../../src/shared/logger.js';
import { startStatusServer, type StatusServer } from '../../src/status/http.js';
import { parseListenAddress, parseListenOption } from '../../src/status/listen-address.js';
import { matchRoutePath, routeStatusRequest } from '../../src/status/routes.js';
import { createSnapshotView } from '../../src/status/snapshot-cache.js';
import {
  buildStatusSnapshot,
  type StatusInput,
  type StatusSnapshot,
} from '../../src/status/snapshot.js';

function makeSnapshot(ready = true): StatusSnapshot {
  const input: StatusInput = {
    now: new Date('2026-03-10T12:00:00.000Z'),
    daemon: {
      version: '0.1.0',
      pid: 7,
      startedAt: new Date('2026-03-10T11:00:00.000Z'),
      configDir: 'schedules.d',
      stateDir: '.cronops',
      watchMode: 'auto',
      listen: '127.0.0.1:0',
      maxConcurrentRuns: 4,
      shuttingDown: false,
    },
    lastReconcile: {
      at: new Date('2026-03-10T11:00:00.000Z'),
      ok: true,
      created: 0,
      updated: 0,
      removed: 0,
      unchanged: 0,
      errors: 0,
      trigger: 'startup',
    },
    files: [],
    schedules: [],
    history: ready
      ? { writable: true, pendingWrites: 0, corrupt: [] }
      : {
          writable: false,
          lastError: 'EROFS: read-only file system',
          pendingWrites: 1,
          corrupt: [],
        },
  };
  return buildStatusSnapshot(input);
}

/** Send raw bytes, collect everything the server sends until it closes the connection. */
function sendRaw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.write(text);
  });
}

const servers: StatusServer[] = [];

async function start(
  options: Partial<Parameters<typeof startStatusServer>[0]> = {},
): Promise<StatusServer> {
  const server = await startStatusServer({
    listen: '127.0.0.1:0',
    getSnapshot: () => makeSnapshot(),
    ...options,
  });
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('status/http', () => {
  describe('parseListenAddress', () => {
    it.each([
      { text: '127.0.0.1:8787', host: '127.0.0.1', port: 8787 },
      { text: ':8787', host: '0.0.0.0', port: 8787 },
      { text: '0.0.0.0:80', host: '0.0.0.0', port: 80 },
      { text: '[::1]:0', host: '::1', port: 0 },
      { text: '[::]:8787', host: '::', port: 8787 },
      { text: '[fe80::1%eth0]:9000', host: 'fe80::1%eth0', port: 9000 },
      { text: 'localhost:65535', host: 'localhost', port: 65535 },
      { text: 'status.internal:8080', host: 'status.internal', port: 8080 },
    ])('$text → $host port $port', ({ text, host, port }) => {
      expect(parseListenAddress(text)).toEqual({ host, port });
    });

    it.each([
      { text: '8787', message: '--listen: expected HOST:PORT or "off", got "8787"' },
      { text: '', message: '--listen: expected HOST:PORT or "off", got ""' },
      { text: 'off', message: '--listen: expected HOST:PORT or "off", got "off"' },
      { text: '127.0.0.1:', message: '--listen: expected HOST:PORT or "off", got "127.0.0.1:"' },
      {
        text: '127.0.0.1:http',
        message: '--listen: expected HOST:PORT or "off", got "127.0.0.1:http"',
      },
      {
        text: ' 127.0.0.1:80',
        message: '--listen: expected HOST:PORT or "off", got " 127.0.0.1:80"',
      },
      { text: '-bad-:80', message: '--listen: expected HOST:PORT or "off", got "-bad-:80"' },
      {
        text: '127.0.0.1:70000',
        message: '--listen: port must be between 0 and 65535, got "127.0.0.1:70000"',
      },
      {
        text: '::1:8787',
        message: '--listen: IPv6 addresses need brackets, like "[::1]:8787", got "::1:8787"',
      },
    ])('rejects "$text"', ({ text, message }) => {
      expect(() => parseListenAddress(text)).toThrow(message);
      try {
        parseListenAddress(text);
      } catch (error) {
        expect(error).toBeInstanceOf(SchedulerError);
        expect((error as SchedulerError).code).toBe('USAGE');
      }
    });

    it.each([
      { text: 'off', result: null },
      { text: 'OFF', result: null },
      { text: ':9', result: { host: '0.0.0.0', port: 9 } },
    ])('parseListenOption("$text")', ({ text, result }) => {
      expect(parseListenOption(text)).toEqual(result);
    });
  });

  describe('routeStatusRequest', () => {
    it.each([
      { method: 'GET', url: '/healthz', hasBody: false, status: 200, body: { status: 'ok' } },
      { method: 'HEAD', url: '/healthz', hasBody: false, status: 200, body: { status: 'ok' } },
      {
        method: 'GET',
        url: '/readyz?verbose=1',
        hasBody: false,
        status: 200,
        body: { ready: true },
      },
      {
        method: 'GET',
        url: '/nope',
        hasBody: false,
        status: 404,
        body: { error: 'not found', path: '/nope' },
      },
      {
        method: 'GET',
        url: '/status/',
        hasBody: false,
        status: 404,
        body: { error: 'not found', path: '/status/' },
      },
      {
        method: 'DELETE',
        url: '/nope',
        hasBody: false,
        status: 404,
        body: { error: 'not found', path: '/nope' },
      },
      {
        method: 'POST',
        url: '/status',
        hasBody: true,
        status: 405,
        body: { error: 'method not allowed', allowed: ['GET', 'HEAD'] },
      },
      {
        method: 'OPTIONS',
        url: '/healthz',
        hasBody: false,
        status: 405,
        body: { error: 'method not allowed', allowed: ['GET', 'HEAD'] },
      },
      {
        method: 'GET',
        url: '/status',
        hasBody: true,
        status: 413,
        body: { error: 'request body not allowed' },
      },
      {
        method: 'GET',
        url: 'http://example.com/healthz',
        hasBody: false,
        status: 200,
        body: { status: 'ok' },
      },
    ])(
      '$method $url (body: $hasBody) → $status',
      async ({ method, url, hasBody, status, body }) => {
        const answer = await routeStatusRequest({ method, url, hasBody }, () => makeSnapshot());
        expect(answer.status).toBe(status);
        expect(answer.body).toEqual(body);
        if (status === 405) expect(answer.headers).toEqual({ Allow: 'GET, HEAD' });
      },
    );

    it('answers /readyz from the snapshot', async () => {
      expect(
        await routeStatusRequest({ method: 'GET', url: '/readyz', hasBody: false }, () =>
          makeSnapshot(false),
        ),
      ).toEqual({
        status: 503,
        body: { ready: false, reasons: ['history not writable: EROFS: read-only file system'] },
      });
    });

    it('answers /readyz from the readiness source without building a snapshot', async () => {
      let built = 0;
      const sources = {
        view: () => {
          built += 1;
          return createSnapshotView(makeSnapshot());
        },
        readiness: () => ({ ready: false, reasons: ['manifests not loaded yet'] }),
      };
      expect(
        await routeStatusRequest({ method: 'GET', url: '/readyz', hasBody: false }, sources),
      ).toEqual({ status: 503, body: { ready: false, reasons: ['manifests not loaded yet'] } });
      expect(built).toBe(0);
    });

    it.each([
      { pattern: '/status', path: '/status', params: {} },
      { pattern: '/status', path: '/statusx', params: undefined },
      {
        pattern: '/api/v1/schedules/{name}',
        path: '/api/v1/schedules/db%2Dbackup',
        params: { name: 'db-backup' },
      },
      { pattern: '/api/v1/schedules/{name}', path: '/api/v1/schedules/', params: undefined },
      {
        pattern: '/api/v1/schedules/{name}',
        path: '/api/v1/schedules/%E0%A4%A',
        params: undefined,
      },
      { pattern: '/api/v1/schedules/{name}', path: '/api/v1/schedules/a/runs', params: undefined },
    ])('matchRoutePath($pattern, $path)', ({ pattern, path, params }) => {
      expect(matchRoutePath(pattern, path)).toEqual(params);
    });
  });

  describe('server', () => {
    it('serves /healthz, /readyz and /status as JSON', async () => {
      let ready = true;
      const server = await start({ getSnapshot: () => makeSnapshot(ready) });
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(server.port).toBeGreaterThan(0);

      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const readyz = await fetch(`${server.url}/readyz`);
      expect(readyz.status).toBe(200);
      expect(await readyz.json()).toEqual({ ready: true });
      ready = false;
      const notReady = await fetch(`${server.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        ready: false,
        reasons: ['history not writable: EROFS: read-only file system'],
      });

      const status = await fetch(`${server.url}/status?pretty=1`);
      expect(status.status).toBe(200);
      expect(status.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(status.headers.get('cache-control')).toBe('no-store');
      expect(await status.json()).toEqual(makeSnapshot(false));
    });

    it('answers HEAD like GET, without a body', async () => {
      const server = await start();
      const get = await fetch(`${server.url}/status`);
      const getText = await get.text();
      const head = await fetch(`${server.url}/status`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(getText)));
      expect(await head.text()).toBe('');
    });

    it('answers 404 for unknown paths and 405 with Allow for other methods', async () => {
      const server = await start();
      const missing = await fetch(`${server.url}/api/v1/nothing?x=1`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: 'not found', path: '/api/v1/nothing' });

      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const response = await fetch(`${server.url}/status`, { method });
        expect(response.status).toBe(405);
        expect(response.headers.get('allow')).toBe('GET, HEAD');
        expect(await response.json()).toEqual({
          error: 'method not allowed',
          allowed: ['GET', 'HEAD'],
        });
      }
    });

    it('refuses a body without reading it, and closes the connection', async () => {
      const server = await start();
      const withBody = await sendRaw(
        server.port,
        `GET /status HTTP/1.1\r\nHost: localhost:${server.port}\r\nContent-Length: 1000000\r\n\r\n` +
          'a'.repeat(100),
      );
      expect(withBody).toMatch(/^HTTP\/1\.1 413 /);
      expect(withBody.toLowerCase()).toContain('connection: close');
      expect(withBody).toContain('{"error":"request body not allowed"}');

      const expectContinue = await sendRaw(
        server.port,
        `POST /status HTTP/1.1\r\nHost: localhost:${server.port}\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n`,
      );
      expect(expectContinue).toMatch(/^HTTP\/1\.1 405 /);
      expect(expectContinue).not.toContain('100 Continue');
    });

    it('rejects oversized headers with 431', async () => {
      const server = await start();
      const response = await sendRaw(
        server.port,
        `GET /status HTTP/1.1\r\nHost: localhost:${server.port}\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`,
      );
      expect(response).toMatch(/^HTTP\/1\.1 431 /);
    });

    it('cuts off a client that sends its headers byte by byte', async () => {
      const server = await start({ headersTimeoutMs: 300, requestTimeoutMs: 1_000 });
      const request =
        `GET /status HTTP/1.1\r\nHost: localhost:${server.port}\r\nX-Slow: ` +
        'z'.repeat(10_000) +
        '\r\n\r\n';
      const startedAt = Date.now();
      const received = await new Promise<string>((resolve) => {
        const socket = connect(server.port, '127.0.0.1');
        let index = 0;
        let text = '';
        const drip = setInterval(() => {
          if (index < request.length && !socket.destroyed) socket.write(request[index++] ?? '');
        }, 10);
        socket.on('data', (chunk) => (text += chunk.toString('latin1')));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearInterval(drip);
          resolve(text);
        });
      });
      const elapsed = Date.now() - startedAt;
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(5_000);
    });

    it('fails with STATUS_PORT_IN_USE when the port is taken', async () => {
      const first = await start();
      const attempt = startStatusServer({
        listen: `127.0.0.1:${first.port}`,
        getSnapshot: () => makeSnapshot(),
      });
      await expect(attempt).rejects.toBeInstanceOf(SchedulerError);
      await expect(attempt).rejects.toMatchObject({
        code: 'STATUS_PORT_IN_USE',
        message: `cannot listen on 127.0.0.1:${first.port}: address already in use`,
      });
    });

    it('answers 500 when the snapshot cannot be built, and logs each request at debug level', async () => {
      const lines: Record<string, unknown>[] = [];
      const logger = createLogger({
        level: 'debug',
        destination: {
          write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
        },
      });
      const server = await start({
        logger,
        getSnapshot: () => {
          throw new Error('broken');
        },
      });
      const response = await fetch(`${server.url}/status`);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: 'internal error' });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const requests = lines.filter((line) => line['msg'] === 'status request');
      expect(
        requests.map((line) => [line['level'], line['method'], line['path'], line['status']]),
      ).toEqual([
        [20, 'GET', '/status', 500],
        [20, 'GET', '/healthz', 200],
      ]);
      expect(lines.filter((line) => line['level'] === 50)).toHaveLength(1);
    });

    it('closes promptly with an idle keep-alive connection open', async () => {
      const server = await startStatusServer({
        listen: '127.0.0.1:0',
        getSnapshot: () => makeSnapshot(),
      });
      const socket = connect(server.port, '127.0.0.1');
      const firstResponse = new Promise<string>((resolve) =>
        socket.once('data', (chunk) => resolve(chunk.toString())),
      );
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost:${server.port}\r\n\r\n`);
      expect(await firstResponse).toMatch(/^HTTP\/1\.1 200 /);
      await server.close();
      await closed;
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    });

    it('listens on IPv6 loopback when asked', async () => {
      let server: StatusServer;
      try {
        server = await start({ listen: '[::1]:0' });
      } catch (error) {
        // Hosts without IPv6 cannot bind ::1; that is the only acceptable failure.
        expect((error as SchedulerError).code).toBe('USAGE');
        return;
      }
      expect(server.url).toBe(`http://[::1]:${server.port}`);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    });
  });
});
