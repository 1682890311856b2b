// How large the fire journal's preallocated reserve is: a day of the loaded schedules' fires, within bounds.
import { DATA_START, measureRecord } from './journal-format.js';

/** The reserve holds the fires of this long, so a full disk overnight never stops a fire. */
export const RESERVE_HORIZON_MS = 24 * 60 * 60 * 1000;
/** Never more than this. */
export const RESERVE_MAX_BYTES = 64 * 1024 * 1024;
/** Never less than this (also the size of a new journal before the schedules are known). */
export const RESERVE_MIN_BYTES = 1024 * 1024;
/** Sizes are rounded up to this. */
const RESERVE_STEP_BYTES = 64 * 1024;
/** Room beside the day's records for a checkpoint's copy of what it keeps, and for longer ids. */
const RESERVE_SLACK = 1.25;

/** Bytes of one record of schedule `name`, for a fire of any trigger (the longest one is measured). */
export function measureFireRecord(name: string): number {
  return measureRecord({
    runId: '01JZZZZZZZZZZZZZZZZZZZZZZZ',
    schedule: name,
    scheduledAt: '2026-01-01T00:00:00.000Z',
    trigger: 'schedule',
    specHash: '0123456789abcdef',
    settled: true,
  });
}

/** One loaded schedule: its name, and a count of its fires in the next RESERVE_HORIZON_MS. */
export interface ScheduleFireRate {
  name: string;
  /** measureFireRecord(name), when the caller keeps it (measuring 100,000 names on every reload adds up). */
  recordBytes?: number;
  /**
   * Fires in the next 24 hours, counting at most `limit` (past it the size is capped anyway: counting a busy
   * cron expression's 86,400 instants a day stops early).
   */
  countFires(limit: number): number;
}

/**
 * The reserve for these schedules: the records of a day of their fires, plus each schedule's settled
 * watermark record, times a slack for the checkpoint's copy, in whole 64 KiB steps, between 1 MiB and
 * 64 MiB (the header area included).
 */
export function sizeJournalReserve(schedules: Iterable<ScheduleFireRate>): number {
  let bytes = DATA_START;
  for (const schedule of schedules) {
    const perFire = (schedule.recordBytes ?? measureFireRecord(schedule.name)) * RESERVE_SLACK;
    const limit = Math.ceil((RESERVE_MAX_BYTES - bytes) / perFire);
    bytes += (Math.min(limit, Math.max(0, schedule.countFires(limit))) + 1) * perFire;
    if (bytes >= RESERVE_MAX_BYTES) return RESERVE_MAX_BYTES;
  }
  const stepped = Math.ceil(bytes / RESERVE_STEP_BYTES) * RESERVE_STEP_BYTES;
  return Math.min(RESERVE_MAX_BYTES, Math.max(RESERVE_MIN_BYTES, stepped));
}
