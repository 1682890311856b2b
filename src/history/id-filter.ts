// A Bloom filter over a shard's run ids: tells which shards may hold a run without reading them.
/** Bits per id: with HASHES probes, about 1 false "maybe" in 2,000 shards that do not hold the id. */
const BITS_PER_ID = 16;
const HASHES = 10;
/** The smallest filter, in bytes (an empty or tiny shard). */
const MIN_BYTES = 8;

/** The filter's bits, `8 × length` of them. */
export type IdFilter = Uint8Array;

/** The probes of one id, computed once and checked against any number of filters. */
export interface IdProbe {
  h1: number;
  h2: number;
}

/** Two 32-bit FNV-1a hashes of the id (different offset bases), for double hashing. */
export function probeId(id: string): IdProbe {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let index = 0; index < id.length; index += 1) {
    const code = id.charCodeAt(index);
    a = Math.imul(a ^ code, 0x01000193) >>> 0;
    b = Math.imul(b ^ code, 0x01000193) >>> 0;
  }
  // An odd step visits HASHES distinct bits for any power-of-two or larger filter.
  return { h1: a, h2: (b | 1) >>> 0 };
}

/**
 * The filter of a shard without runs, shared by all of them (10,000 empty shards would hold 10,000 copies).
 * Never changed: filters are only written to while buildIdFilter builds a new one.
 */
export const EMPTY_ID_FILTER: IdFilter = new Uint8Array(MIN_BYTES);

/** A filter holding every id. */
export function buildIdFilter(ids: Iterable<string>, count: number): IdFilter {
  const bytes = Math.max(MIN_BYTES, Math.ceil((count * BITS_PER_ID) / 8));
  const filter = new Uint8Array(bytes);
  for (const id of ids) addToIdFilter(filter, probeId(id));
  return filter;
}

function addToIdFilter(filter: IdFilter, probe: IdProbe): void {
  const bits = filter.length * 8;
  for (let index = 0; index < HASHES; index += 1) {
    const bit = (probe.h1 + index * probe.h2) % bits;
    filter[bit >>> 3] = (filter[bit >>> 3] as number) | (1 << (bit & 7));
  }
}

/** false when the id is certainly not in the filter; true when it may be. */
export function idFilterMayContain(filter: IdFilter, probe: IdProbe): boolean {
  const bits = filter.length * 8;
  for (let index = 0; index < HASHES; index += 1) {
    const bit = (probe.h1 + index * probe.h2) % bits;
    if (((filter[bit >>> 3] as number) & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/** The filter as it is written in a shard's head. */
export function encodeIdFilter(filter: IdFilter): string {
  return Buffer.from(filter.buffer, filter.byteOffset, filter.byteLength).toString('base64');
}

/** The filter from a shard's head; undefined for text that is not one. */
export function decodeIdFilter(text: string): IdFilter | undefined {
  if (text.length % 4 !== 0) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(text, 'base64');
  // Buffer.from skips characters that are not base64: a length that does not add up means some were there.
  if (bytes.length !== (text.length / 4) * 3 - padding || bytes.length < MIN_BYTES)
    return undefined;
  if (bytes.length === MIN_BYTES && bytes.every((byte) => byte === 0)) return EMPTY_ID_FILTER;
  return new Uint8Array(bytes);
}
