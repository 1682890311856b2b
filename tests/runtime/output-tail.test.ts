import { describe, expect, it } from 'vitest';
import { OutputTail, redactSecrets } from '../../src/runtime/output-tail.js';

function tailOf(maxBytes: number, chunks: (string | Buffer)[], secrets: string[] = []): OutputTail {
  const tail = new OutputTail(maxBytes, secrets);
  for (const chunk of chunks) tail.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return tail;
}

describe('runtime/output-tail', () => {
  it.each([
    { title: 'short output is kept whole', max: 10, chunks: ['abc', 'def'], text: 'abcdef' },
    {
      title: 'keeps the last bytes across chunks',
      max: 5,
      chunks: ['abc', 'def', 'ghi'],
      text: 'efghi',
    },
    { title: 'a chunk larger than the tail', max: 4, chunks: ['abcdefghij'], text: 'ghij' },
    {
      title: 'wraps the ring many times',
      max: 3,
      chunks: ['ab', 'cd', 'ef', 'gh', 'i'],
      text: 'ghi',
    },
    { title: 'zero bytes keeps nothing', max: 0, chunks: ['abc'], text: '' },
    { title: 'a cut UTF-8 character is dropped, not garbled', max: 4, chunks: ['aé€'], text: '€' },
  ])('$title', ({ max, chunks, text }) => {
    expect(tailOf(max, chunks).toString()).toBe(text);
  });

  it('counts every byte pushed and says when it dropped some', () => {
    const tail = tailOf(4, ['abc', 'def']);
    expect(tail.totalBytes).toBe(6);
    expect(tail.truncated).toBe(true);
    expect(tailOf(10, ['abc']).truncated).toBe(false);
  });

  it('stays bounded and exact over a long stream of small chunks', () => {
    const tail = new OutputTail(1000);
    let all = '';
    for (let i = 0; i < 5000; i += 1) {
      const line = `line ${i}\n`;
      all += line;
      tail.push(Buffer.from(line));
    }
    expect(tail.toString()).toBe(all.slice(-1000));
  });

  it('grows from a small buffer to its full window and stays exact (64 KiB window, 200 KiB pushed)', () => {
    const tail = new OutputTail(64 * 1024);
    let all = '';
    for (let i = 0; all.length < 200 * 1024; i += 1) {
      const line = `output line ${i} ${'x'.repeat(i % 97)}\n`;
      all += line;
      tail.push(Buffer.from(line));
      if (all.length < 64 * 1024) expect(tail.toString()).toBe(all);
    }
    expect(tail.toString()).toBe(all.slice(-64 * 1024));
  });

  it.each([
    {
      title: 'inside the window',
      max: 100,
      chunks: ['user=bob pass=hunter2 ok'],
      text: 'user=bob pass=[redacted] ok',
    },
    {
      title: 'split across chunks',
      max: 100,
      chunks: ['pass=hun', 'ter2 ok'],
      text: 'pass=[redacted] ok',
    },
    {
      title: 'every occurrence',
      max: 100,
      chunks: ['hunter2 hunter2'],
      text: '[redacted] [redacted]',
    },
    // The window starts inside the secret: the part of it that would be visible is redacted too.
    {
      title: 'straddling the start of the window',
      max: 20,
      chunks: ['xxcorrect-horse-', 'battery-staple ok'],
      text: '[redacted] ok',
    },
    { title: 'just before the window is not shown', max: 3, chunks: ['hunter2 ok'], text: ' ok' },
  ])('redacts a secret $title', ({ max, chunks, text }) => {
    expect(tailOf(max, chunks, ['hunter2', 'correct-horse-battery-staple']).toString()).toBe(text);
  });

  it('never leaks a fragment of a secret, whatever the window', () => {
    const secret = 'S3CR3T-v4lue';
    const text = `a${secret}bb${secret}${secret}ccc`;
    for (let max = 1; max <= text.length; max += 1) {
      for (let chunkSize = 1; chunkSize <= 5; chunkSize += 1) {
        const chunks: string[] = [];
        for (let i = 0; i < text.length; i += chunkSize) chunks.push(text.slice(i, i + chunkSize));
        const out = tailOf(max, chunks, [secret]).toString();
        expect(Buffer.byteLength(out)).toBeLessThanOrEqual(max);
        for (let n = 3; n <= secret.length; n += 1) {
          for (let at = 0; at + n <= secret.length; at += 1) {
            expect(out, `max=${max} chunk=${chunkSize}`).not.toContain(secret.slice(at, at + n));
          }
        }
      }
    }
  });

  it('redacts secrets in plain text, longest first', () => {
    expect(redactSecrets('token abc and abcdef', ['abc', 'abcdef', ''])).toBe(
      'token [redacted] and [redacted]',
    );
  });
});
