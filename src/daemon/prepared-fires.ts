// Fires made durable ahead of their instant, so that starting the process at the instant waits for nothing.

/** A fire whose intent was appended to the ledger before its instant. */
export interface PreparedFire {
  runId: string;
  /** Resolves when the intent is durable; rejects when it cannot be. */
  committed: Promise<void>;
}

/**
 * Prepared fires by schedule, then instant. Indexed by schedule because `take` runs once per fire: a
 * scan of every prepared fire there made a burst of n fires cost n² steps.
 */
export class PreparedFires {
  readonly #bySchedule = new Map<string, Map<number, PreparedFire>>();

  add(schedule: string, at: Date, fire: PreparedFire): void {
    let fires = this.#bySchedule.get(schedule);
    if (fires === undefined) this.#bySchedule.set(schedule, (fires = new Map()));
    fires.set(at.getTime(), fire);
  }

  /** Whether `schedule` has a fire prepared for `at` (preparing it again would claim it twice). */
  has(schedule: string, at: Date): boolean {
    return this.#bySchedule.get(schedule)?.has(at.getTime()) ?? false;
  }

  /**
   * Take every prepared fire of `name` up to `last`, by instant (ms). A late wake-up hands out several
   * instants at once: the one prepared may be any of them, not only the last, and the fire planned for
   * it must start with the prepared run id, or its claim (already won here, so dropped by every other
   * replica) would be left without a run or a record.
   */
  takeUpTo(name: string, last: Date): Map<number, PreparedFire> {
    const taken = new Map<number, PreparedFire>();
    const fires = this.#bySchedule.get(name);
    if (fires === undefined) return taken;
    const lastMs = last.getTime();
    for (const [ms, fire] of fires) {
      if (ms > lastMs) continue;
      taken.set(ms, fire);
      fires.delete(ms);
    }
    if (fires.size === 0) this.#bySchedule.delete(name);
    return taken;
  }

  /** Forget every prepared fire of `name` (the schedule was removed). */
  forget(name: string): void {
    this.#bySchedule.delete(name);
  }
}

/** Waits `ms`, ending early (resolving) when `signal` aborts. */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
