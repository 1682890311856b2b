// Which fixed-time schedules fire at a local time that a daylight-saving transition skips or repeats.
import type { CompiledSchedule } from '../cron/types.js';
import { getZoneOffsets } from '../cron/zone-offsets.js';

/** One daylight-saving transition, as local times of day. */
export interface DstWindow {
  /** The instant the offset changes. */
  at: Date;
  /** 'gap': the local times [from, to) do not exist that day; 'repeat': they happen twice. */
  kind: 'gap' | 'repeat';
  /** Local minute of the day the window starts at (0–1439). */
  fromMinute: number;
  /** Its length in minutes. */
  minutes: number;
}

const DAY_MS = 86_400_000;
const YEAR_MS = 366 * DAY_MS;

/** The transitions of `timeZone` in the year after `now` (none for a zone without DST). */
export function findDstWindows(timeZone: string, now: Date): DstWindow[] {
  const offsets = getZoneOffsets(timeZone);
  const windows: DstWindow[] = [];
  const end = now.getTime() + YEAR_MS;
  for (let from = now.getTime(); ;) {
    const at = offsets.findTransition(from, end);
    if (at === undefined) break;
    const before = offsets.offsetAt(at - 1);
    const after = offsets.offsetAt(at);
    const startWallMs = at + Math.min(before, after);
    windows.push({
      at: new Date(at),
      kind: after > before ? 'gap' : 'repeat',
      fromMinute: Math.floor((((startWallMs % DAY_MS) + DAY_MS) % DAY_MS) / 60_000),
      minutes: Math.abs(after - before) / 60_000,
    });
    from = at;
  }
  return windows;
}

/**
 * A warning when a fixed-time schedule (neither minute nor hour a wildcard) fires at a local
 * time of day inside one of `windows`; the CronJob controller's DST behaviour differs from
 * cronops's there. Wildcard schedules follow elapsed time in both and get none.
 */
export function describeDstOverlap(
  compiled: CompiledSchedule,
  timeZone: string,
  windows: readonly DstWindow[],
): string | undefined {
  if (compiled.kind !== 'cron' || !compiled.fixedTime) return undefined;
  const hours = new Set(compiled.fields.hour);
  const minutes = new Set(compiled.fields.minute);
  for (const window of windows) {
    for (let step = 0; step < window.minutes; step++) {
      const minuteOfDay = (window.fromMinute + step) % 1440;
      if (!hours.has(Math.floor(minuteOfDay / 60)) || !minutes.has(minuteOfDay % 60)) continue;
      const local = formatMinute(minuteOfDay);
      const span = `${formatMinute(window.fromMinute)}–${formatMinute((window.fromMinute + window.minutes) % 1440)}`;
      const what = window.kind === 'gap' ? 'skipped' : 'repeated';
      return (
        `fires at ${local} ${timeZone}, inside the daylight-saving transition ${span} (${what} on ` +
        `${window.at.toISOString().slice(0, 10)}): cronops fires such a time once (a skipped one ` +
        'at the end of the gap, a repeated one at its first occurrence); the CronJob controller ' +
        'may skip it or run it twice'
      );
    }
  }
  return undefined;
}

function formatMinute(minuteOfDay: number): string {
  const hh = String(Math.floor(minuteOfDay / 60)).padStart(2, '0');
  const mm = String(minuteOfDay % 60).padStart(2, '0');
  return `${hh}:${mm}`;
}
