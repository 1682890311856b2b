import { describe, expect, it } from 'vitest';
import {
  DATA_START,
  HEADER_SLOT_BYTES,
  encodeHeader,
  encodeRecords,
  placeRecords,
  scanJournal,
} from '../../src/history/journal-format.js';
import type { FireIntent } from '../../src/history/fire-intent.js';

const intent = (n: number): FireIntent => ({
  runId: `01RUN${n}`,
  schedule: 'a',
  scheduledAt: `2026-01-01T00:00:0${n}.000Z`,
  trigger: 'schedule',
  specHash: 'h',
});

/** A file of `size` zero bytes with a header in slot 1 and `records` written at `at`. */
function buildFile(size: number, start: number, seed: number, parts: [number, Buffer][]): Buffer {
  const file = Buffer.alloc(size);
  encodeHeader({ counter: 1, start, seed }).copy(file, HEADER_SLOT_BYTES);
  for (const [at, bytes] of parts) bytes.copy(file, at);
  return file;
}

describe('history/journal-format', () => {
  it.each([
    ['empty ring', { start: 4096, end: 4096, size: 8192 }, 100, 4096],
    ['room after the end', { start: 4096, end: 5000, size: 8192 }, 100, 5000],
    [
      'wraps when the end is full and the start leaves room',
      { start: 6000, end: 8150, size: 8192 },
      100,
      DATA_START,
    ],
    ['no room either side', { start: 4150, end: 8150, size: 8192 }, 100, undefined],
    ['wrapped: room before the live start', { start: 7000, end: 5000, size: 8192 }, 100, 5000],
    ['wrapped: never onto the live start', { start: 5100, end: 5000, size: 8192 }, 100, undefined],
  ])('places records: %s', (_label, layout, length, at) => {
    expect(placeRecords(layout, length)).toBe(at);
  });

  it('reads the chain from the header, across a wrap, and stops at a record from another chain', () => {
    const first = encodeRecords([intent(1), intent(2)], 7);
    const second = encodeRecords([intent(3)], first.lastCrc);
    const stale = encodeRecords([intent(4)], 12345);
    const file = buildFile(8192, 7000, 7, [
      [7000, first.bytes],
      [DATA_START, second.bytes],
      [DATA_START + second.bytes.length, stale.bytes],
    ]);
    const scan = scanJournal(file);
    expect(scan?.intents.map((i) => i.runId)).toEqual(['01RUN1', '01RUN2', '01RUN3']);
    expect(scan?.end).toBe(DATA_START + second.bytes.length);
    expect(scan?.lastCrc).toBe(second.lastCrc);
  });

  it('ignores a record torn in the middle, and what follows it', () => {
    const records = encodeRecords([intent(1), intent(2), intent(3)], 0);
    const torn = Buffer.from(records.bytes);
    const second = torn.indexOf(0x0a) + 1;
    torn.fill(0, second + 20, second + 40);
    const scan = scanJournal(buildFile(8192, DATA_START, 0, [[DATA_START, torn]]));
    expect(scan?.intents.map((i) => i.runId)).toEqual(['01RUN1']);
    expect(scan?.end).toBe(DATA_START + second);
  });

  it('a file without a valid header is not a journal scan', () => {
    expect(scanJournal(Buffer.alloc(8192))).toBeUndefined();
  });
});
