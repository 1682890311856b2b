// The fire journal's on-disk format: a preallocated file, two header slots, then chained, checksummed records
// written in place in a ring. Pure functions over bytes; the file I/O is in journal.ts. Design:
// docs/design/fire-journal.md.
import { crc32 } from 'node:zlib';
import type { FireIntent } from './fire-intent.js';

/** The first line of a header slot; a file that does not start with it is the older JSON-lines journal. */
export const JOURNAL_MAGIC = 'cronops-fire-journal';
export const JOURNAL_FORMAT_VERSION = 2;
/** Header slots live at 0 and HEADER_SLOT_BYTES, each small enough for one sector write. */
export const HEADER_SLOT_BYTES = 512;
/** Records live in [DATA_START, file size). */
export const DATA_START = 4096;
/** No record is longer than this (an intent is about 200 bytes): a longer "line" is damage. */
const MAX_RECORD_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** Where the live records start: written (alternating slots) by each checkpoint, after its records are synced. */
export interface JournalHeader {
  /** Bumped by every header write; the valid slot with the highest counter wins. */
  counter: number;
  /** Offset of the first live record. */
  start: number;
  /** The checksum the first live record is chained to. */
  seed: number;
}

/** What a scan of the file found: the live intents and where the next record goes. */
export interface JournalScan {
  header: JournalHeader;
  intents: FireIntent[];
  /** Offset just after the last valid record (start when there is none). */
  end: number;
  /** Checksum of the last valid record (the header's seed when there is none). */
  lastCrc: number;
}

/** The live region of the ring: [start, end), or [start, size) + [DATA_START, end) once it wrapped. */
export interface JournalLayout {
  start: number;
  end: number;
  /** The end of the usable area (the file's size, or less while a growth waits for the ring to unwrap). */
  size: number;
}

export function encodeHeader(header: JournalHeader): Buffer {
  const body = `${JOURNAL_MAGIC} ${JOURNAL_FORMAT_VERSION} ${header.counter} ${header.start} ${hex(header.seed)}`;
  const line = `${body} ${hex(crc32(body))}\n`;
  const slot = Buffer.alloc(HEADER_SLOT_BYTES);
  slot.write(line, 'latin1');
  return slot;
}

/** The header in one slot, or undefined when the slot is torn, empty or foreign. */
export function decodeHeader(slot: Buffer): JournalHeader | undefined {
  const newline = slot.indexOf(NEWLINE);
  if (newline < 0) return undefined;
  const parts = slot.toString('latin1', 0, newline).split(' ');
  if (parts.length !== 6 || parts[0] !== JOURNAL_MAGIC) return undefined;
  const body = parts.slice(0, 5).join(' ');
  if (parts[5] !== hex(crc32(body)) || parts[1] !== String(JOURNAL_FORMAT_VERSION))
    return undefined;
  const counter = Number(parts[2]);
  const start = Number(parts[3]);
  const seed = Number.parseInt(parts[4] ?? '', 16);
  if (!Number.isSafeInteger(counter) || !Number.isSafeInteger(start) || start < DATA_START)
    return undefined;
  return { counter, start, seed };
}

/** Whether either header slot holds a journal header (of any version): else it is the older JSON-lines file. */
export function isJournalFile(bytes: Buffer): boolean {
  const magicAt = (at: number): boolean =>
    bytes.subarray(at, at + JOURNAL_MAGIC.length).toString('latin1') === JOURNAL_MAGIC;
  return magicAt(0) || magicAt(HEADER_SLOT_BYTES);
}

/**
 * Encode intents as records chained from `prevCrc`: `<crc32 hex> <json>\n`, the checksum covering the JSON
 * and (as its seed) the previous record's checksum. A stale record left in the ring from an earlier lap, or
 * the rest of a record torn by a crash, never continues the chain.
 */
export function encodeRecords(
  intents: readonly FireIntent[],
  prevCrc: number,
): { bytes: Buffer; lastCrc: number } {
  let crc = prevCrc;
  const lines: string[] = [];
  for (const intent of intents) {
    const json = JSON.stringify(intent);
    crc = crc32(json, crc);
    lines.push(`${hex(crc)} ${json}\n`);
  }
  return { bytes: Buffer.from(lines.join(''), 'utf8'), lastCrc: crc };
}

/** Bytes one intent takes as a record. */
export function measureRecord(intent: FireIntent): number {
  return 10 + Buffer.byteLength(JSON.stringify(intent), 'utf8');
}

/** Decode the record at `at` if it is valid and chained to `prevCrc`. */
function decodeRecordAt(
  bytes: Buffer,
  at: number,
  prevCrc: number,
): { intent: FireIntent; next: number; crc: number } | undefined {
  if (at + 10 > bytes.length) return undefined;
  const newline = bytes.indexOf(NEWLINE, at);
  if (newline < 0 || newline - at > MAX_RECORD_BYTES) return undefined;
  if (bytes[at + 8] !== 0x20) return undefined;
  const crc = Number.parseInt(bytes.toString('latin1', at, at + 8), 16);
  const json = bytes.subarray(at + 9, newline);
  if (!Number.isInteger(crc) || crc32(json, prevCrc) !== crc) return undefined;
  try {
    return { intent: JSON.parse(json.toString('utf8')) as FireIntent, next: newline + 1, crc };
  } catch {
    return undefined;
  }
}

/** The better of the two header slots, or undefined when neither is valid. */
export function selectHeader(bytes: Buffer): JournalHeader | undefined {
  const slots = [0, HEADER_SLOT_BYTES]
    .map((at) => decodeHeader(bytes.subarray(at, at + HEADER_SLOT_BYTES)))
    .filter((header): header is JournalHeader => header !== undefined);
  return slots.sort((a, b) => b.counter - a.counter)[0];
}

/**
 * Read the live records: from the header's start along the chain; where the chain breaks, once, from
 * DATA_START (the writer wrapped there), never past the start again. Duplicates (a checkpoint interrupted
 * after writing the records it keeps) collapse to the last copy of each run id.
 */
export function scanJournal(bytes: Buffer): JournalScan | undefined {
  const header = selectHeader(bytes);
  if (header === undefined) return undefined;
  const found: FireIntent[] = [];
  let at = header.start;
  let crc = header.seed;
  let end = header.start;
  let wrapped = false;
  for (;;) {
    if (wrapped && at >= header.start) break;
    const record = decodeRecordAt(bytes, at, crc);
    if (record !== undefined) {
      found.push(record.intent);
      crc = record.crc;
      at = record.next;
      end = at;
      continue;
    }
    if (wrapped || header.start === DATA_START) break;
    wrapped = true;
    at = DATA_START;
  }
  return { header, intents: collapseDuplicates(found), end, lastCrc: crc };
}

/** Keep the last copy of each run id, in the order of those last copies. */
export function collapseDuplicates(intents: readonly FireIntent[]): FireIntent[] {
  const last = new Map<string, number>();
  intents.forEach((intent, index) => last.set(intent.runId, index));
  return intents.filter((intent, index) => last.get(intent.runId) === index);
}

/**
 * Where `length` bytes of records go in the ring, or undefined when the free space cannot hold them (the
 * reserve is exhausted). Records never overwrite live ones; a batch that does not fit before the end of the
 * usable area wraps to DATA_START when the space before the live start holds it.
 */
export function placeRecords(layout: JournalLayout, length: number): number | undefined {
  const { start, end, size } = layout;
  if (length === 0) return end;
  if (start <= end) {
    if (end + length <= size) return end;
    if (DATA_START + length < start) return DATA_START;
    return undefined;
  }
  return end + length < start ? end : undefined;
}

/** Bytes of the ring the live records occupy. */
export function measureLive(layout: JournalLayout): number {
  return layout.start <= layout.end
    ? layout.end - layout.start
    : layout.size - layout.start + (layout.end - DATA_START);
}

/** Read the older JSON-lines journal (one intent per line; a torn line is ignored). */
export function parseLegacyJournal(text: string): FireIntent[] {
  const intents: FireIntent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      intents.push(JSON.parse(line) as FireIntent);
    } catch {
      // A line torn by a crash mid-write was never acknowledged: its fire never started.
    }
  }
  return intents;
}

function hex(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
