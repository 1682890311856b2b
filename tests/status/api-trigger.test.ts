import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startStatusServer, type StatusServer } from '../../src/status/http.js';
import { buildStatusSnapshot } from '../../src/status/snapshot.js';
import type { TriggerOptions, TriggerResult } from '../../src/status/route-types.js';
import { checkBearerToken, handleTriggerRequest } from '../../src/status/trigger.js';

const TOKEN = 'c2f1e0d9b8a7c6d5e4f3a2b1';

function snapshot() {
  return buildStatusSnapshot({
    now: new Date('2026-03-10T12:00:00.000Z'),
    daemon: {
      version: '0.1.0',
      pid: 1,
      startedAt: new Date('2026-03-10T11:00:00.000Z'),
      configDir: 'd',
      stateDir: 's',
      watchMode: 'off',
      listen: null,
      maxConcurrentRuns: null,
      shuttingDown: false,
    },
    files: [],
    schedules: [],
    history: { writable: true, pendingWrites: 0, corrupt: [] },
  });
}

/** A trigger that records what it was asked and answers from a table. */
function fakeTrigger(answers: Record<string, TriggerResult>): TriggerOptions & { calls: string[] } {
  const calls: string[] = [];
  return { token: TOKEN, calls, start: (name) => (calls.push(name), answers[name]) };
}

const ANSWERS: Record<string, TriggerResult> = {
  backup: { runId: '01JP0000000000000000000001', outcome: 'started' },
  queued: {
    runId: '01JP0000000000000000000002',
    outcome: 'waiting',
    reason: 'queued behind run 01JP0000000000000000000000',
  },
  busy: {
    runId: '01JP0000000000000000000003',
    outcome: 'skipped',
    reason: 'previous run 01JP0000000000000000000000 is still running (concurrencyPolicy Forbid)',
  },
};

const servers: StatusServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

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

describe('status/trigger', () => {
  it.each([
    { header: undefined, result: 'missing' },
    { header: '', result: 'missing' },
    { header: `Basic ${TOKEN}`, result: 'missing' },
    { header: 'Bearer', result: 'missing' },
    { header: `Bearer ${TOKEN}`, result: 'ok' },
    { header: `bearer   ${TOKEN} `, result: 'ok' },
    { header: [`Bearer ${TOKEN}`], result: 'ok' },
    { header: `Bearer ${TOKEN}x`, result: 'wrong' },
    { header: `Bearer ${TOKEN.slice(0, -1)}`, result: 'wrong' },
    { header: 'Bearer x', result: 'wrong' },
  ])('checkBearerToken($header) → $result', ({ header, result }) => {
    expect(checkBearerToken(header, TOKEN)).toBe(result);
  });

  it.each([
    {
      name: 'backup',
      auth: undefined,
      status: 401,
      body: {
        error: 'unauthorized',
        message: 'this endpoint needs the trigger token as "Authorization: Bearer <token>"',
      },
      headers: { 'WWW-Authenticate': 'Bearer realm="cronops"' },
      calls: [],
    },
    {
      name: 'backup',
      auth: 'Bearer nope',
      status: 403,
      body: {
        error: 'forbidden',
        message: 'the trigger token is not the one the daemon was started with',
      },
      calls: [],
    },
    {
      name: 'nope',
      auth: `Bearer ${TOKEN}`,
      status: 404,
      body: { error: 'not found', schedule: 'nope', message: 'no schedule named "nope"' },
      calls: ['nope'],
    },
    {
      name: 'backup',
      auth: `Bearer ${TOKEN}`,
      status: 202,
      body: { runId: '01JP0000000000000000000001', outcome: 'started' },
      calls: ['backup'],
    },
    {
      name: 'queued',
      auth: `Bearer ${TOKEN}`,
      status: 202,
      body: {
        runId: '01JP0000000000000000000002',
        outcome: 'waiting',
        reason: 'queued behind run 01JP0000000000000000000000',
      },
      calls: ['queued'],
    },
    {
      name: 'busy',
      auth: `Bearer ${TOKEN}`,
      status: 409,
      body: {
        error: 'not started',
        message:
          'run of "busy" not started: previous run 01JP0000000000000000000000 is still running (concurrencyPolicy Forbid)',
        runId: '01JP0000000000000000000003',
        outcome: 'skipped',
        reason:
          'previous run 01JP0000000000000000000000 is still running (concurrencyPolicy Forbid)',
      },
      calls: ['busy'],
    },
  ])('$name with $auth → $status', ({ name, auth, status, body, headers, calls }) => {
    const trigger = fakeTrigger(ANSWERS);
    const answer = handleTriggerRequest(
      name,
      auth === undefined ? {} : { authorization: auth },
      trigger,
    );
    expect(answer).toEqual({ status, body, ...(headers ? { headers } : {}) });
    expect(trigger.calls).toEqual(calls);
  });

  it('over HTTP: POST only, 202 with the run id, GET is 405 with Allow: POST', async () => {
    const trigger = fakeTrigger(ANSWERS);
    const server = await startStatusServer({
      listen: '127.0.0.1:0',
      getSnapshot: snapshot,
      trigger,
      dashboard: null,
      defaultMetrics: false,
    });
    servers.push(server);
    const url = `${server.url}/api/v1/schedules/backup/trigger`;
    const started = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(started.status).toBe(202);
    expect(started.headers.get('cache-control')).toBe('no-store');
    expect(await started.json()).toEqual({
      runId: '01JP0000000000000000000001',
      outcome: 'started',
    });
    const unauthorised = await fetch(url, { method: 'POST' });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.headers.get('www-authenticate')).toBe('Bearer realm="cronops"');
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(trigger.calls).toEqual(['backup']);
  });

  it('never reads a request body: answers at once and closes the connection', async () => {
    const trigger = fakeTrigger(ANSWERS);
    const server = await startStatusServer({
      listen: '127.0.0.1:0',
      getSnapshot: snapshot,
      trigger,
      dashboard: null,
      defaultMetrics: false,
    });
    servers.push(server);
    // Announces 1 GB but sends a few bytes: the answer must not wait for the rest.
    const answer = await sendRaw(
      server.port,
      `POST /api/v1/schedules/backup/trigger HTTP/1.1\r\nHost: localhost:${server.port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 1000000000\r\n\r\n{"a":`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 202 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    const continued = await sendRaw(
      server.port,
      `POST /api/v1/schedules/busy/trigger HTTP/1.1\r\nHost: localhost:${server.port}\r\nAuthorization: Bearer ${TOKEN}\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n`,
    );
    expect(continued).toMatch(/^HTTP\/1\.1 409 /);
    expect(continued).not.toContain('100 Continue');
    expect(trigger.calls).toEqual(['backup', 'busy']);
  });

  it('passes the Idempotency-Key on as the request id, waits for an answer that comes later, and refuses a malformed one', async () => {
    const asked: (string | undefined)[] = [];
    const trigger: TriggerOptions = {
      token: TOKEN,
      start: (_name, requestId) => {
        asked.push(requestId);
        return Promise.resolve({ runId: '01JP0000000000000000000009', outcome: 'started' });
      },
    };
    const auth = { authorization: `Bearer ${TOKEN}` };
    await expect(
      handleTriggerRequest('backup', { ...auth, 'idempotency-key': 'deploy-42' }, trigger),
    ).resolves.toEqual({
      status: 202,
      body: { runId: '01JP0000000000000000000009', outcome: 'started' },
    });
    expect(asked).toEqual(['deploy-42']);
    expect(
      handleTriggerRequest('backup', { ...auth, 'idempotency-key': 'two words' }, trigger),
    ).toEqual({
      status: 400,
      body: {
        error: 'bad request',
        message: 'the idempotency-key header must be 1 to 200 printable ASCII characters',
      },
    });
    expect(asked).toEqual(['deploy-42']);
  });
});
