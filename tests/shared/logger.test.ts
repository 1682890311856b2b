// The logger's asynchronous stdout: a line is on its way before the daemon goes on with long work.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { destination as pinoDestination } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, logWritten, withoutRedaction } from '../../src/shared/logger.js';

const roots: string[] = [];

afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe('shared/logger', () => {
  it('logWritten resolves once an asynchronous destination has written the lines logged before it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cronops-logger-'));
    roots.push(root);
    const file = join(root, 'out.log');
    // What pino writes to stdout with: a SonicBoom, asynchronous.
    const destination = pinoDestination({ dest: file, sync: false });
    await new Promise((resolve) => destination.once('ready', resolve));
    const log = createLogger({ destination });
    for (let i = 0; i < 50; i += 1) log.info({ i }, 'line');
    log.info('cronops started');
    // The writes are in flight: nothing of the last line is in the file yet.
    expect(readFileSync(file, 'utf8')).not.toContain('cronops started');
    const began = Date.now();
    await logWritten(log);
    expect(Date.now() - began).toBeLessThan(100);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(51);
    expect(lines.at(-1)).toContain('"msg":"cronops started"');
    destination.end();
  });

  it('logWritten resolves at once for a synchronous destination', async () => {
    const written: string[] = [];
    const log = createLogger({
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          written.push(chunk.toString());
          done();
        },
      }),
    });
    log.info('cronops started');
    const began = Date.now();
    await logWritten(log, 5_000);
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(written.join('')).toContain('cronops started');
  });

  it('withoutRedaction writes the lines of a run as the logger does, and leaves the logger redacting', () => {
    const written: string[] = [];
    const log = createLogger({
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          written.push(chunk.toString());
          done();
        },
      }),
    });
    const fields = {
      schedule: 'backup',
      runId: '01J0000000000000000000000',
      attempt: 2,
      trigger: 'schedule',
      scheduledAt: '2026-03-01T12:00:00.000Z',
      status: 'failed',
      durationMs: 1234,
      reason: 'exited with code 3',
      retryInMs: 1000,
      error: 'command not found: pg_dumpp',
    };
    const runLog = withoutRedaction(log);
    log.warn(fields, 'attempt failed; retrying');
    runLog.warn(fields, 'attempt failed; retrying');
    log.info({ schedule: 'backup', env: { PW: 's3cret' }, task: { token: 't0ken' } }, 'redacted');
    const [viaLogger, viaChild, redacted] = written.map((line) =>
      line.replace(/"time":"[^"]*"/, '"time":"T"'),
    );
    expect(viaChild).toBe(viaLogger);
    expect(redacted).toContain('"env":"[redacted]"');
    expect(redacted).toContain('"task":{"token":"[redacted]"}');
  });
});
