// A bounded tail of a job's combined output, with secret values redacted when it is read.

/** What a secret value is replaced with in output tails, error texts and logs. */
export const REDACTED = '[redacted]';

/** What a tail allocates before the first output; it grows geometrically up to its capacity. */
const INITIAL_BYTES = 1024;

/**
 * Keeps the last `maxBytes` bytes of everything pushed into it, in a ring buffer that never
 * grows past `maxBytes` plus the length of the longest secret, however much is pushed: a job
 * printing gigabytes costs the daemon this much memory and a copy per chunk, nothing more.
 *
 * The extra bytes kept before the window make redaction exact at the window's edge: a secret
 * that starts before the window and ends inside it is still seen whole, so no fragment of it
 * leaks into the tail.
 */
export class OutputTail {
  readonly #maxBytes: number;
  readonly #secrets: Buffer[];
  readonly #capacity: number;
  #buffer: Buffer;
  /** Index of the oldest stored byte (always 0 until the buffer has wrapped). */
  #start = 0;
  /** How many bytes are stored. */
  #filled = 0;
  #total = 0;

  constructor(maxBytes: number, secrets: readonly string[] = []) {
    this.#maxBytes = Math.max(0, Math.floor(maxBytes));
    this.#secrets = [...new Set(secrets)]
      .filter((s) => s !== '')
      .map((s) => Buffer.from(s, 'utf8'));
    const slack = this.#secrets.reduce((max, s) => Math.max(max, s.length), 0);
    this.#capacity = this.#maxBytes === 0 ? 0 : this.#maxBytes + slack;
    // Most jobs print a line or two: start small and grow (a burst of attempts holds one of these each).
    this.#buffer = Buffer.alloc(Math.min(this.#capacity, INITIAL_BYTES));
  }

  /** How many bytes were pushed in total. */
  get totalBytes(): number {
    return this.#total;
  }

  /** Whether output was dropped from the front to keep within `maxBytes`. */
  get truncated(): boolean {
    return this.#total > this.#maxBytes;
  }

  /** Append a chunk of output. */
  push(chunk: Uint8Array): void {
    this.#total += chunk.length;
    const capacity = this.#capacity;
    if (capacity === 0 || chunk.length === 0) return;
    if (chunk.length >= capacity) {
      this.#ensureSize(capacity);
      this.#buffer.set(chunk.subarray(chunk.length - capacity));
      this.#start = 0;
      this.#filled = capacity;
      return;
    }
    if (this.#buffer.length < capacity) {
      // Still linear (nothing dropped yet): grow geometrically up to the capacity.
      const needed = this.#filled + chunk.length;
      if (needed > this.#buffer.length) {
        this.#ensureSize(Math.min(capacity, Math.max(needed, this.#buffer.length * 2)));
      }
      if (needed <= this.#buffer.length) {
        this.#buffer.set(chunk, this.#filled);
        this.#filled = needed;
        return;
      }
    }
    this.#writeRing(chunk);
  }

  /** The kept tail as text: at most `maxBytes` bytes of UTF-8, secrets replaced by `[redacted]`. */
  toString(): string {
    const data = this.#contents();
    const windowStart = Math.max(0, data.length - this.#maxBytes);
    const cutAtHead = windowStart > 0 || this.#total > data.length;
    const pieces: Buffer[] = [];
    let position = windowStart;
    let startsWithMarker = false;
    for (const [from, to] of findSecretRanges(data, this.#secrets)) {
      if (to <= windowStart) continue;
      if (from > position) pieces.push(data.subarray(position, from));
      else if (pieces.length === 0) startsWithMarker = true;
      pieces.push(Buffer.from(REDACTED));
      position = to;
    }
    if (position < data.length) pieces.push(data.subarray(position));
    let bytes = Buffer.concat(pieces);
    let headCut = cutAtHead && !startsWithMarker;
    if (bytes.length > this.#maxBytes) {
      // Markers longer than the secrets they replace: cut again, after redaction.
      bytes = bytes.subarray(bytes.length - this.#maxBytes);
      headCut = true;
    }
    return (headCut ? skipContinuationBytes(bytes) : bytes).toString('utf8');
  }

  #ensureSize(size: number): void {
    if (this.#buffer.length >= size) return;
    const next = Buffer.alloc(size);
    this.#buffer.copy(next, 0, 0, this.#filled);
    this.#buffer = next;
  }

  #writeRing(chunk: Uint8Array): void {
    const capacity = this.#capacity;
    const end = (this.#start + this.#filled) % capacity;
    const first = Math.min(chunk.length, capacity - end);
    this.#buffer.set(chunk.subarray(0, first), end);
    if (first < chunk.length) this.#buffer.set(chunk.subarray(first), 0);
    const overflow = this.#filled + chunk.length - capacity;
    if (overflow > 0) {
      this.#start = (this.#start + overflow) % capacity;
      this.#filled = capacity;
    } else {
      this.#filled += chunk.length;
    }
  }

  #contents(): Buffer {
    const end = this.#start + this.#filled;
    if (end <= this.#buffer.length) return this.#buffer.subarray(this.#start, end);
    return Buffer.concat([
      this.#buffer.subarray(this.#start),
      this.#buffer.subarray(0, end - this.#buffer.length),
    ]);
  }
}

/** Replace every occurrence of every secret in a text (longest first, so overlaps are covered). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const sorted = [...new Set(secrets)].filter((s) => s !== '').sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of sorted) out = out.split(secret).join(REDACTED);
  return out;
}

/** Byte ranges covered by any occurrence of any secret (overlapping occurrences included), merged and sorted. */
export function findSecretRanges(data: Buffer, secrets: readonly Buffer[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const secret of secrets) {
    for (let at = data.indexOf(secret); at !== -1; at = data.indexOf(secret, at + 1)) {
      ranges.push([at, at + secret.length]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

/** Drop the tail end of a UTF-8 character cut in half at the start of the buffer. */
function skipContinuationBytes(bytes: Buffer): Buffer {
  let i = 0;
  while (i < 3 && i < bytes.length && ((bytes[i] ?? 0) & 0xc0) === 0x80) i += 1;
  return bytes.subarray(i);
}
