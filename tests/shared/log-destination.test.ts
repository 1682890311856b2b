// The daemon's log destination: info batched, warnings and errors written before the call returns.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { LogDestination } from '../../src/shared/log-destination.js';
import { waitFor } from '../e2e/daemon-harness.js';

/** A fake write system call: records each write; `answers` replaces the next results (bytes or an error code). */
function recorder(answers: (number | string)[] = []): {
  writes: string[];
  writeFd: (fd: number, data: string | Buffer) => number;
} {
  const writes: string[] = [];
  return {
    writes,
    writeFd(_fd, data) {
      const answer = answers.shift();
      if (typeof answer === 'string') throw Object.assign(new Error(answer), { code: answer });
      const bytes = Buffer.from(data);
      const n = answer ?? bytes.length;
      writes.push(bytes.subarray(0, n).toString('latin1'));
      return n;
    },
  };
}

function messages(writes: readonly string[]): string[] {
  return writes
    .join('')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(Buffer.from(line, 'latin1').toString()) as { msg: string }).msg);
}

describe('shared/log-destination', () => {
  it('batches info lines into one write once the batch is full', () => {
    const { writes, writeFd } = recorder();
    const destination = new LogDestination({ writeFd, bufferChars: 1_000, flushAfterMs: 60_000 });
    const log = pino({}, destination);
    for (let i = 0; i < 5; i += 1) log.info(`line ${i}`);
    expect(writes).toEqual([]);
    for (let i = 5; i < 20; i += 1) log.info(`line ${i}`);
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.length).toBeLessThan(5);
    destination.end();
    expect(messages(writes)).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i}`));
  });

  it('writes batched info lines after flushAfterMs without another line', async () => {
    const { writes, writeFd } = recorder();
    const destination = new LogDestination({ writeFd, flushAfterMs: 5 });
    pino({}, destination).info('alone');
    expect(writes).toEqual([]);
    await waitFor('the timer to write the batch', () => writes.length === 1, 5_000);
    expect(messages(writes)).toEqual(['alone']);
    destination.end();
  });

  it.each(['warn', 'error', 'fatal'] as const)(
    'a %s line writes the batch, then itself, before the call returns',
    (level) => {
      const { writes, writeFd } = recorder();
      const destination = new LogDestination({ writeFd, flushAfterMs: 60_000 });
      const log = pino({}, destination);
      log.info('before');
      log.debug('not at this level');
      log[level]('the problem');
      expect(messages(writes)).toEqual(['before', 'the problem']);
      log.info('after');
      expect(messages(writes)).toEqual(['before', 'the problem']);
      destination.end();
      expect(messages(writes)).toEqual(['before', 'the problem', 'after']);
    },
  );

  it('a full non-blocking pipe keeps info lines batched, and a warning waits until it has room', () => {
    const { writes, writeFd } = recorder(['EAGAIN', 'EAGAIN', 'EAGAIN']);
    const destination = new LogDestination({ writeFd, bufferChars: 10, flushAfterMs: 60_000 });
    const log = pino({}, destination);
    log.info('first');
    // The batch is full, the pipe is not ready: the line stays batched and the call returns.
    expect(writes).toEqual([]);
    expect(destination.pending).toBeGreaterThan(0);
    log.warn('urgent');
    expect(messages(writes)).toEqual(['first', 'urgent']);
    expect(destination.pending).toBe(0);
    destination.end();
  });

  it('a short write goes on from the byte where the pipe stopped, inside a multi-byte character too', () => {
    // 'ü' is two bytes in UTF-8; the first write stops between them.
    const line = '{"level":40,"msg":"grüße"}\n';
    const cut = Buffer.from(line).indexOf(0xbc);
    const { writes, writeFd } = recorder([cut]);
    const destination = new LogDestination({ writeFd });
    destination.lastLevel = 40;
    destination.write(line);
    expect(Buffer.from(writes.join(''), 'latin1').toString()).toBe(line);
    expect(writes).toHaveLength(2);
    destination.end();
  });

  it('a closed pipe ends writing without throwing', () => {
    const { writes, writeFd } = recorder(['EPIPE']);
    const destination = new LogDestination({ writeFd });
    const log = pino({}, destination);
    expect(() => log.error('gone')).not.toThrow();
    expect(() => log.error('still gone')).not.toThrow();
    expect(writes).toEqual([]);
    expect(destination.pending).toBe(0);
    destination.end();
  });

  it('formats each line when given a format (the pretty form), keeping the level rule', () => {
    const { writes, writeFd } = recorder();
    const destination = new LogDestination({
      writeFd,
      flushAfterMs: 60_000,
      format: (line) => `> ${(JSON.parse(line) as { msg: string }).msg}\n`,
    });
    const log = pino({}, destination);
    log.info('one');
    log.warn('two');
    expect(writes.join('')).toBe('> one\n> two\n');
    destination.end();
  });
});
