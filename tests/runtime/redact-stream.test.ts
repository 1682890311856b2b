import { describe, expect, it } from 'vitest';
import { OutputTail } from '../../src/runtime/output-tail.js';
import { StreamRedactor } from '../../src/runtime/redact-stream.js';

/** Feed `chunks` through a redactor and collect everything it lets out, the end included. */
function stream(secrets: string[], chunks: string[]): string {
  const redactor = new StreamRedactor(secrets);
  const out = chunks.map((chunk) => redactor.push(Buffer.from(chunk)));
  out.push(redactor.end());
  return Buffer.concat(out).toString('utf8');
}

/** Every way to cut `text` into two chunks, and into single bytes. */
function cuts(text: string): string[][] {
  const all: string[][] = [];
  for (let at = 0; at <= text.length; at += 1) all.push([text.slice(0, at), text.slice(at)]);
  all.push([...text]);
  return all;
}

describe('runtime/redact-stream', () => {
  it.each([
    { secrets: ['s3cr3t'], text: 'token=s3cr3t\n', expected: 'token=[redacted]\n' },
    { secrets: ['s3cr3t'], text: 's3cr3t s3cr3t', expected: '[redacted] [redacted]' },
    { secrets: ['ab', 'abcd'], text: 'x abcd y ab z', expected: 'x [redacted] y [redacted] z' },
    { secrets: ['aa'], text: 'aaab', expected: '[redacted]b' },
    { secrets: ['pass'], text: 'pas pa p', expected: 'pas pa p' },
    { secrets: ['pässwörd'], text: 'é pässwörd é', expected: 'é [redacted] é' },
  ])(
    'redacts $text with secrets $secrets however the chunks are cut',
    ({ secrets, text, expected }) => {
      for (const chunks of cuts(text)) expect(stream(secrets, chunks)).toBe(expected);
    },
  );

  it('never lets out a fragment of a secret before the rest of it arrives', () => {
    const redactor = new StreamRedactor(['hunter2']);
    expect(redactor.push(Buffer.from('pw=hun')).toString()).toBe('pw=');
    expect(redactor.push(Buffer.from('ter2!')).toString()).toBe('[redacted]!');
    expect(redactor.push(Buffer.from('hunt')).toString()).toBe('');
    expect(redactor.end().toString()).toBe('hunt');
  });

  it('passes chunks through untouched when there is no secret', () => {
    expect(stream([], ['a', 'b'])).toBe('ab');
    expect(stream([''], ['a', 'b'])).toBe('ab');
  });

  it('redacts exactly as the output tail does, on random text cut at random places', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const secrets = ['abc', 'bca', 'cab', 'aa'];
    for (let round = 0; round < 300; round += 1) {
      const text = Array.from({ length: 40 }, () => 'abcx'[random(4)]).join('');
      const chunks: string[] = [];
      for (let at = 0; at < text.length;) {
        const size = 1 + random(6);
        chunks.push(text.slice(at, at + size));
        at += size;
      }
      const out = stream(secrets, chunks);
      for (const secret of secrets) expect(out).not.toContain(secret);
      const tail = new OutputTail(1024, secrets);
      tail.push(Buffer.from(text));
      expect(out).toBe(tail.toString());
    }
  });
});
