import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { deliverNotification, type NotificationPayload } from '../../src/runtime/notify.js';

const JOBS = fileURLToPath(new URL('../fixtures/jobs/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cronops-notify-'));
const clock = new ManualClock('2026-03-08T02:31:00.000Z');
const payload: NotificationPayload = {
  event: 'failure',
  schedule: 'nightly-db-backup',
  run: { id: '01JNR7W3ZP4X9M2B8K6T5Q0V1C', status: 'failed', attempts: [{ exitCode: 3 }] },
};

/** How the webhook answers each request in turn (the last entry repeats). */
let answers: { status: number; statusText?: string }[] = [];
let received: { headers: IncomingHttpHeaders; body: string }[] = [];
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      const answer = answers[Math.min(received.length, answers.length) - 1] ?? { status: 200 };
      res.writeHead(answer.status, answer.statusText).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T0K3N-IN-PATH`;
});
beforeEach(() => {
  answers = [];
  received = [];
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  const slept: number[] = [];
  const sleep = (ms: number) => {
    slept.push(ms);
    return Promise.resolve();
  };
  return { lines, logger, slept, sleep };
}

describe('runtime/notify', () => {
  it('retries a webhook that fails twice, with backoff, then delivers', async () => {
    answers = [{ status: 500 }, { status: 503 }, { status: 204 }];
    const { lines, logger, slept, sleep } = capture();
    const result = await deliverNotification(
      { webhook: { url, headers: { authorization: 'Bearer hook-s3cret' } } },
      payload,
      { clock, logger, sleep, secrets: ['hook-s3cret'] },
    );
    expect(result).toEqual({ delivered: true });
    expect(slept).toEqual([1000, 2000]);
    expect(received).toHaveLength(3);
    expect(JSON.parse(received[2]?.body ?? '')).toEqual(payload);
    expect(received[2]?.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer hook-s3cret',
    });
    expect(lines.map((l) => [l.level, l.msg, l.err])).toEqual([
      [
        40,
        'notification delivery failed, retrying',
        `webhook ${new URL(url).origin} answered HTTP 500 Internal Server Error`,
      ],
      [
        40,
        'notification delivery failed, retrying',
        `webhook ${new URL(url).origin} answered HTTP 503 Service Unavailable`,
      ],
      [30, 'notification delivered after retrying', undefined],
    ]);
    expect(lines[0]).toMatchObject({ schedule: 'nightly-db-backup', event: 'failure', attempt: 1 });
  });

  it('gives up after the attempts, logs once as an error, redacts secrets, never throws', async () => {
    answers = [{ status: 401, statusText: 'token hook-s3cret rejected' }];
    const { lines, logger, sleep } = capture();
    const result = await deliverNotification({ webhook: { url, headers: {} } }, payload, {
      clock,
      logger,
      sleep,
      attempts: 2,
      secrets: ['hook-s3cret'],
    });
    const error = `webhook ${new URL(url).origin} answered HTTP 401 token [redacted] rejected`;
    expect(result).toEqual({ delivered: false, error });
    expect(received).toHaveLength(2);
    expect(lines.filter((l) => l.level === 50)).toEqual([
      expect.objectContaining({ msg: 'notification not delivered', err: error }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('hook-s3cret');
    expect(JSON.stringify(lines)).not.toContain('T0K3N-IN-PATH');
  });

  it('an unreachable webhook is a failed delivery, not an exception', async () => {
    const { logger, sleep } = capture();
    const result = await deliverNotification(
      { webhook: { url: 'http://127.0.0.1:1/hook', headers: {} } },
      payload,
      {
        clock,
        logger,
        sleep,
        attempts: 1,
      },
    );
    expect(result.delivered).toBe(false);
    expect(result.error).toMatch(/^webhook http:\/\/127\.0\.0\.1:1: fetch failed/);
  });

  it('runs a command with the payload on stdin and CRONOPS_EVENT in its env', async () => {
    const out = join(dir, 'command-out.json');
    const { logger, sleep } = capture();
    const result = await deliverNotification(
      { command: [process.execPath, join(JOBS, 'read-stdin.js'), out] },
      { ...payload, event: 'recovery' },
      { clock, logger, sleep },
    );
    expect(result).toEqual({ delivered: true });
    const seen = JSON.parse(readFileSync(out, 'utf8')) as { event: string; stdin: string };
    expect(seen.event).toBe('recovery');
    expect(JSON.parse(seen.stdin)).toEqual({ ...payload, event: 'recovery' });
  });

  it('retries a failing command and reports its exit code', async () => {
    const { logger, slept, sleep } = capture();
    const result = await deliverNotification(
      { command: [process.execPath, join(JOBS, 'read-stdin.js'), join(dir, 'fail-out.json'), '2'] },
      payload,
      { clock, logger, sleep, attempts: 3, backoffMs: 10 },
    );
    expect(slept).toEqual([10, 20]);
    expect(result).toEqual({
      delivered: false,
      error: `notification command ${process.execPath}: exited with code 2`,
    });
  });

  it('a target with nothing to deliver to is reported', async () => {
    const { logger, sleep } = capture();
    const result = await deliverNotification({}, payload, { clock, logger, sleep, attempts: 1 });
    expect(result).toEqual({
      delivered: false,
      error: 'notification target has neither a webhook nor a command',
    });
  });
});
