import { describe, expect, it } from 'vitest';
import {
  RESERVE_MAX_BYTES,
  RESERVE_MIN_BYTES,
  measureFireRecord,
  sizeJournalReserve,
} from '../../src/history/journal-reserve.js';

const schedules = (count: number, perDay: number, asked: number[] = []) =>
  Array.from({ length: count }, (_, i) => ({
    name: `schedule-${String(i).padStart(5, '0')}`,
    countFires: (limit: number) => {
      asked.push(limit);
      return Math.min(limit, perDay);
    },
  }));

describe('history/journal-reserve', () => {
  it('measures a record by its schedule name', () => {
    expect(measureFireRecord('tick')).toBe(173);
    expect(measureFireRecord('x'.repeat(20)) - measureFireRecord('tick')).toBe(16);
  });

  it.each([
    ['no schedules', 0, 0, RESERVE_MIN_BYTES],
    ['10 hourly', 10, 24, RESERVE_MIN_BYTES],
    ['1 every second', 1, 86_400, 19_791_872],
    ['10,000 daily', 10_000, 1, 4_587_520],
    ['10,000 hourly', 10_000, 24, 57_212_928],
    ['10,000 every minute', 10_000, 1440, RESERVE_MAX_BYTES],
  ])('%s: %i schedules × %i fires a day → %i bytes', (_label, count, perDay, bytes) => {
    expect(sizeJournalReserve(schedules(count, perDay))).toBe(bytes);
  });

  it('stops counting once the cap is reached, and counts no schedule past what is left', () => {
    const asked: number[] = [];
    expect(sizeJournalReserve(schedules(1000, 86_400, asked))).toBe(RESERVE_MAX_BYTES);
    // Four every-second schedules fill 64 MiB: the fifth is asked for what is left, the rest never.
    expect(asked.length).toBe(4);
    expect(asked[0]).toBeGreaterThan(asked[3]!);
  });
});
