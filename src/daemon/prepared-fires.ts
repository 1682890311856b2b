// Fires made durable ahead of their instant, so that starting the process at the instant waits for nothing.

/** A fire whose intent was appended to the ledger before its instant. */
export interface PreparedFire {
  runId: string;
  /** Resolves when the intent is durable; rejects when it cannot be. */
  committed: Promise<void>;
}

/** Prepared fires by schedule and instant. */
export class PreparedFires {
  readonly #byKey = new Map<string, PreparedFire>();

  add(schedule: string, at: Date, fire: PreparedFire): void {
    this.#byKey.set(`${schedule}@${at.getTime()}`, fire);
  }

  /** Whether `schedule` has a fire prepared for `at` (preparing it again would claim it twice). */
  has(schedule: string, at: Date): boolean {
    return this.#byKey.has(`${schedule}@${at.getTime()}`);
  }

  /**
   * Take every prepared fire of `name` up to `last`, by instant (ms). A late wake-up hands out several
   * instants at once: the one prepared may be any of them, not only the last, and the fire planned for
   * it must start with the prepared run id, or its claim (already won here, so dropped by every other
   * replica) would be left without a run or a record.
   */
  takeUpTo(name: string, last: Date): Map<number, PreparedFire> {
    const taken = new Map<number, PreparedFire>();
    for (const [key, fire] of this.#byKey) {
      if (!key.startsWith(`${name}@`)) continue;
      const at = Number(key.slice(name.length + 1));
      if (at > last.getTime()) continue;
      taken.set(at, fire);
      this.#byKey.delete(key);
    }
    return taken;
  }

  /** Forget every prepared fire of `name` (the schedule was removed). */
  forget(name: string): void {
    for (const key of this.#byKey.keys()) if (key.startsWith(`${name}@`)) this.#byKey.delete(key);
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
