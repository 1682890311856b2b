import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/history/store.js';
import {
  EventStreamHub,
  formatServerSentEvent,
  selectStreamEvent,
  type IntervalTimers,
  type StatusEvent,
} from '../../src/status/events.js';

const RUN: RunRecord = {
  id: '01JP0000000000000000000001',
  schedule: 'backup',
  trigger: 'manual',
  scheduledAt: '2026-03-10T12:00:00.000Z',
  startedAt: '2026-03-10T12:00:00.005Z',
  status: 'running',
  attempts: [
    { attempt: 1, startedAt: '2026-03-10T12:00:00.006Z', pid: 77, outputTail: 'partial output' },
  ],
  specHash: 'h',
};

const API_RUN = {
  id: '01JP0000000000000000000001',
  schedule: 'backup',
  trigger: 'manual',
  status: 'running',
  scheduledAt: '2026-03-10T12:00:00.000Z',
  startedAt: '2026-03-10T12:00:00.005Z',
  finishedAt: null,
  durationMs: null,
  reason: null,
  specHash: 'h',
  missed: null,
  attempts: [
    {
      attempt: 1,
      startedAt: '2026-03-10T12:00:00.006Z',
      finishedAt: null,
      exitCode: null,
      signal: null,
      error: null,
      pid: 77,
    },
  ],
};

/** Intervals that fire only when the test says so. */
function manualIntervals(): IntervalTimers & { fire(): void; active: () => number } {
  const callbacks = new Map<number, () => void>();
  let next = 1;
  return {
    every: (callback) => {
      callbacks.set(next, callback);
      return next++;
    },
    cancel: (handle) => void callbacks.delete(handle as number),
    fire: () => [...callbacks.values()].forEach((callback) => callback()),
    active: () => callbacks.size,
  };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server whose every request becomes a stream of `hub`. */
async function serve(hub: EventStreamHub): Promise<number> {
  const server = createServer((request, response) => {
    if (hub.isFull) {
      response.statusCode = 503;
      response.end();
    } else hub.accept(request, response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Open a stream; `text()` is everything received so far, `until` waits for a substring. */
function open(port: number, headers: Record<string, string> = {}) {
  return new Promise<{
    response: IncomingMessage;
    text: () => string;
    until: (s: string) => Promise<void>;
  }>((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path: '/', headers }, (response) => {
      let text = '';
      const waiters: { needle: string; done: () => void }[] = [];
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        for (const waiter of waiters.splice(0)) {
          if (text.includes(waiter.needle)) waiter.done();
          else waiters.push(waiter);
        }
      });
      resolve({
        response,
        text: () => text,
        until: (needle) =>
          text.includes(needle)
            ? Promise.resolve()
            : new Promise((done) => waiters.push({ needle, done })),
      });
    });
    request.on('error', reject);
  });
}

describe('status/events', () => {
  it.each<{ event: StatusEvent; wire: unknown }>([
    {
      event: { type: 'run:started', run: RUN },
      wire: { event: 'run.started', data: { schedule: 'backup', run: API_RUN } },
    },
    {
      event: { type: 'run:finished', run: { ...RUN, status: 'succeeded' } },
      wire: {
        event: 'run.finished',
        data: { schedule: 'backup', run: { ...API_RUN, status: 'succeeded' } },
      },
    },
    {
      event: {
        type: 'run:recorded',
        run: { ...RUN, status: 'skipped', attempts: [], reason: 'still running' },
      },
      wire: {
        event: 'run.finished',
        data: {
          schedule: 'backup',
          run: { ...API_RUN, status: 'skipped', attempts: [], reason: 'still running' },
        },
      },
    },
    {
      event: { type: 'config:reloaded', trigger: 'watch', ok: false, errors: 2 },
      wire: { event: 'config.reloaded', data: { trigger: 'watch', ok: false, errors: 2 } },
    },
    {
      event: {
        type: 'config:error',
        trigger: 'SIGHUP',
        issues: [
          {
            file: 'a.yaml',
            line: 3,
            col: 5,
            path: 'spec.timezone',
            message: 'unknown time zone "X"',
          },
        ],
      },
      wire: {
        event: 'config.error',
        data: {
          trigger: 'SIGHUP',
          issues: [
            {
              file: 'a.yaml',
              line: 3,
              col: 5,
              path: 'spec.timezone',
              message: 'unknown time zone "X"',
              text: 'a.yaml:3:5: spec.timezone: unknown time zone "X"',
            },
          ],
        },
      },
    },
  ])('selectStreamEvent($event.type)', ({ event, wire }) => {
    expect(selectStreamEvent(event)).toEqual(wire);
  });

  it('formats one event as id, event and a single data line', () => {
    expect(
      formatServerSentEvent(7, {
        event: 'config.reloaded',
        data: { trigger: 'a\nb', ok: true, errors: 0 },
      }),
    ).toBe('id: 7\nevent: config.reloaded\ndata: {"trigger":"a\\nb","ok":true,"errors":0}\n\n');
  });

  it('streams events to every client, with a retry hint and heartbeats', async () => {
    const timers = manualIntervals();
    const hub = new EventStreamHub({ timers, retryMs: 2500 });
    const port = await serve(hub);
    const first = await open(port);
    const second = await open(port);
    expect(first.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(first.response.headers['cache-control']).toBe('no-store');
    await first.until(': connected');
    expect(first.text()).toBe('retry: 2500\n: connected\n\n');
    await second.until(': connected');
    hub.publish({ type: 'config:reloaded', trigger: 'watch', ok: true, errors: 0 });
    const expected =
      'id: 1\nevent: config.reloaded\ndata: {"trigger":"watch","ok":true,"errors":0}\n\n';
    await Promise.all([first.until(expected), second.until(expected)]);
    timers.fire();
    await Promise.all([first.until(': heartbeat\n\n'), second.until(': heartbeat\n\n')]);
    expect(hub.clientCount).toBe(2);
    hub.close();
  });

  it('replays the events after Last-Event-ID', async () => {
    const hub = new EventStreamHub({ timers: manualIntervals(), replayLimit: 2 });
    const port = await serve(hub);
    for (const errors of [1, 2, 3])
      hub.publish({ type: 'config:reloaded', trigger: 't', ok: false, errors });
    const resumed = await open(port, { 'Last-Event-ID': '1' });
    await resumed.until('"errors":3');
    // Event 2 is kept (the last two), event 1 is before the resume point.
    expect(resumed.text()).toContain('id: 2\n');
    expect(resumed.text()).toContain('id: 3\n');
    expect(resumed.text()).not.toContain('id: 1\n');
    const fresh = await open(port, { 'Last-Event-ID': 'nonsense' });
    await fresh.until(': connected');
    expect(fresh.text()).not.toContain('id:');
    hub.close();
  });

  it('refuses clients beyond the limit, forgets closed ones and stops the heartbeat', async () => {
    const timers = manualIntervals();
    const hub = new EventStreamHub({ timers, maxClients: 1 });
    const port = await serve(hub);
    const first = await open(port);
    await first.until(': connected');
    expect(hub.isFull).toBe(true);
    const refused = await new Promise<number>((resolve) =>
      get({ host: '127.0.0.1', port, path: '/' }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }),
    );
    expect(refused).toBe(503);
    expect(timers.active()).toBe(1);
    first.response.destroy();
    for (let i = 0; i < 100 && hub.clientCount > 0; i += 1)
      await new Promise((r) => setImmediate(r));
    expect(hub.clientCount).toBe(0);
    expect(hub.isFull).toBe(false);
    expect(timers.active()).toBe(0);
    hub.close();
    expect(hub.isFull).toBe(true);
  });
});
