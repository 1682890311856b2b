// Redacting secrets from a live byte stream, where a secret can arrive split across two chunks.
import { findSecretRanges, REDACTED } from './output-tail.js';

/**
 * Redacts secret values from a stream of chunks as they arrive (`cronops exec` streams a job's output).
 *
 * A chunk is passed on except for its end when that end could be the start of a secret (`pass` for a
 * secret `password`): those bytes are held until the next chunk shows whether the secret follows, or
 * until `end()`. So no fragment of a secret is ever written, wherever the chunks are cut, at the cost of
 * holding back at most (longest secret − 1) bytes while the job is quiet. Every occurrence is replaced
 * by `[redacted]`, as in output tails; overlapping occurrences become one marker.
 */
export class StreamRedactor {
  readonly #secrets: Buffer[];
  #pending: Buffer = Buffer.alloc(0);

  constructor(secrets: readonly string[]) {
    this.#secrets = [...new Set(secrets)]
      .filter((s) => s !== '')
      .map((s) => Buffer.from(s, 'utf8'));
  }

  /** Take a chunk; returns what may be written now (possibly empty). */
  push(chunk: Uint8Array): Buffer {
    if (this.#secrets.length === 0) return Buffer.from(chunk);
    const data =
      this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    const ranges = findSecretRanges(data, this.#secrets);
    let hold = findHeldStart(data, this.#secrets);
    // A whole occurrence that reaches into the held bytes is held with them, so it is redacted as one.
    for (let changed = true; changed;) {
      changed = false;
      for (const [from, to] of ranges) {
        if (from < hold && to > hold) {
          hold = from;
          changed = true;
        }
      }
    }
    this.#pending = Buffer.from(data.subarray(hold));
    return redactRanges(data.subarray(0, hold), ranges);
  }

  /** The stream ended: returns the held bytes, redacted. */
  end(): Buffer {
    const data = this.#pending;
    this.#pending = Buffer.alloc(0);
    return redactRanges(data, findSecretRanges(data, this.#secrets));
  }
}

/** The earliest offset from which the rest of `data` is a proper prefix of some secret (data.length if none). */
function findHeldStart(data: Buffer, secrets: readonly Buffer[]): number {
  const longest = secrets.reduce((max, s) => Math.max(max, s.length), 0);
  for (let start = Math.max(0, data.length - longest + 1); start < data.length; start += 1) {
    const rest = data.subarray(start);
    if (secrets.some((s) => s.length > rest.length && s.subarray(0, rest.length).equals(rest)))
      return start;
  }
  return data.length;
}

/** `data` with the ranges inside it replaced by the marker (ranges reaching past its end are not). */
function redactRanges(data: Buffer, ranges: readonly [number, number][]): Buffer {
  const pieces: Buffer[] = [];
  let position = 0;
  for (const [from, to] of ranges) {
    if (to > data.length) break;
    if (from > position) pieces.push(data.subarray(position, from));
    pieces.push(Buffer.from(REDACTED));
    position = Math.max(position, to);
  }
  if (position < data.length) pieces.push(data.subarray(position));
  return Buffer.concat(pieces);
}
