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

  /** The prepared fire of `name` at `at`, if any; older prepared fires of `name` are dropped. */
  take(name: string, at: Date): PreparedFire | undefined {
    const fires = this.#bySchedule.get(name);
    if (fires === undefined) return undefined;
    const atMs = at.getTime();
    const found = fires.get(atMs);
    for (const ms of fires.keys()) if (ms <= atMs) fires.delete(ms);
    if (fires.size === 0) this.#bySchedule.delete(name);
    return found;
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
