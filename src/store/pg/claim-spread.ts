// Spreading fires over the replicas: each schedule has a preferred replica (by a hash of its name over the
// live replicas), which claims its fires at once; the others claim them a little later, and so take them
// only when the preferred one did not (it is gone, slow, or has not seen the schedule yet). Without it the
// replica whose statement commits first wins every fire of an instant, and one process forks them all.
// Pure.

/** The longest a replica that is not preferred waits before claiming. */
export const MAX_DEFER_MS = 100;
/** Below this much time before the instant, nobody defers (a catch-up, a late batch: race as before). */
const MIN_REMAINING_MS = 20;

/** FNV-1a of a string: stable across processes and versions (a preference must not move on upgrade). */
function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < name.length; index += 1) {
    hash ^= name.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The replica that claims `schedule`'s fires first: one of `peers` (sorted ids), or undefined with none. */
export function preferredReplica(schedule: string, peers: readonly string[]): string | undefined {
  if (peers.length === 0) return undefined;
  return peers[hashName(schedule) % peers.length];
}

/**
 * How long `self` waits before claiming a fire of `schedule` at `scheduledAtMs`, at `nowMs`: 0 for its
 * preferred replica, when it knows of no other live replica, or when the instant is too close; else
 * half the time left before the instant, at most MAX_DEFER_MS (the claim still commits before it).
 */
export function planClaimDelay(
  schedule: string,
  scheduledAtMs: number,
  nowMs: number,
  self: string,
  peers: readonly string[],
): number {
  if (peers.length < 2 || !peers.includes(self)) return 0;
  if (preferredReplica(schedule, peers) === self) return 0;
  const remaining = scheduledAtMs - nowMs;
  if (remaining < MIN_REMAINING_MS) return 0;
  return Math.min(MAX_DEFER_MS, Math.floor(remaining / 2));
}
