// Narrowing a missed gap to the instants nobody holds. Pure.
//
// A gap of instants that did not run is one `missed` record. Some of its instants may be held already: a
// fire this replica made durable ahead of its instant (it starts, or is recorded, on its own), a fire
// another replica claimed (it ran there), or a `missed` record another replica wrote for an overlapping
// gap. The record covers what is left: from its first to its last instant nobody holds, counting only
// those. Without this, a gap with one held instant inside either recorded that instant twice or (as the
// store first did) recorded nothing, and the instants nobody held had no record anywhere.
import { countFiresBetween, iterateFires, newestFires } from '../cron/fires.js';
import type { CompiledSchedule } from '../cron/types.js';

/** Instants someone holds: one claimed instant (`from` = `to`) or the range of a `missed` record. */
export interface HeldRange {
  from: Date;
  to: Date;
}

/** A gap's first and last instants and how many instants it has. */
export interface GapBounds {
  first: Date;
  last: Date;
  count: number;
}

/**
 * The part of `gap` (instants of `compiled` in `timezone`) that no range of `held` covers: its first and
 * last instants, and how many instants of the gap are not held. Undefined when every instant is held.
 */
export function narrowGap(
  compiled: CompiledSchedule,
  timezone: string,
  gap: GapBounds,
  held: readonly HeldRange[],
): GapBounds | undefined {
  const firstMs = gap.first.getTime();
  const lastMs = gap.last.getTime();
  const ranges = mergeRanges(held, firstMs, lastMs);
  if (ranges.length === 0) return gap;
  let heldCount = 0;
  for (const range of ranges) {
    heldCount += countFiresBetween(
      compiled,
      timezone,
      new Date(range.from - 1),
      new Date(range.to),
    ).count;
  }
  if (gap.count - heldCount <= 0) return undefined;
  let first = firstMs;
  for (const range of ranges) {
    if (first < range.from) break;
    if (first > range.to) continue;
    const next = iterateFires(compiled, timezone, new Date(range.to)).next();
    if (next.done === true || next.value.getTime() > lastMs) return undefined;
    first = next.value.getTime();
  }
  let last = lastMs;
  for (let index = ranges.length - 1; index >= 0; index -= 1) {
    const range = ranges[index]!;
    if (last > range.to) break;
    if (last < range.from) continue;
    const [previous] = newestFires(compiled, timezone, first - 1, range.from - 1, 1);
    if (previous === undefined) return undefined;
    last = previous.getTime();
  }
  if (last < first) return undefined;
  return { first: new Date(first), last: new Date(last), count: gap.count - heldCount };
}

/** The ranges clipped to [fromMs, toMs], sorted and merged where they overlap or touch. */
function mergeRanges(
  held: readonly HeldRange[],
  fromMs: number,
  toMs: number,
): { from: number; to: number }[] {
  const clipped = held
    .map((range) => ({
      from: Math.max(range.from.getTime(), fromMs),
      to: Math.min(range.to.getTime(), toMs),
    }))
    .filter((range) => range.from <= range.to)
    .sort((a, b) => a.from - b.from);
  const merged: { from: number; to: number }[] = [];
  for (const range of clipped) {
    const previous = merged.at(-1);
    if (previous !== undefined && range.from <= previous.to) {
      previous.to = Math.max(previous.to, range.to);
    } else merged.push({ ...range });
  }
  return merged;
}
