// When a status write (or the start of a caught-up fire) is put off to keep out of the way of fires: pure.

/** No status write starts this close before a fire… */
const QUIET_BEFORE_FIRE_MS = 150;
/** …or this soon after it (the process is being started). */
const QUIET_AFTER_FIRE_MS = 20;
/**
 * While a burst is handed out (fires that came due wait for their turn), a status write waits this long
 * first. A write of 1,000 schedules costs tens of milliseconds and is spaced by ten times that; during a
 * burst of 1,000 fires the writes still took about a fifth of the daemon's CPU (3 ms per fire in
 * bench/cost.js), and each one made the fires behind it later.
 */
const BURST_DEFER_MS = 5_000;

export interface PacingState {
  /** The next instant a fire is due at (clock ms), if any. */
  nextFireMs: number | undefined;
  nowMs: number;
  /** Fires of a burst came due and are not all handed out yet. */
  handingOut: boolean;
}

/**
 * How long to put off a status write: while a fire is due within the next moments, until just after it;
 * while a burst is being handed out, BURST_DEFER_MS. 0: write now.
 */
export function planStatusDeferMs(state: PacingState): number {
  if (state.handingOut) return BURST_DEFER_MS;
  return planQuietMs(state);
}

/** How long to put off work that would make a fire due within the next moments late (0: none). */
export function planQuietMs({ nextFireMs, nowMs }: PacingState): number {
  if (nextFireMs === undefined) return 0;
  const until = nextFireMs - nowMs;
  return until > -QUIET_AFTER_FIRE_MS && until < QUIET_BEFORE_FIRE_MS
    ? until + QUIET_AFTER_FIRE_MS
    : 0;
}
