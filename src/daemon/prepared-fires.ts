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

  /** The prepared fire of `name` at `at`, if any; older prepared fires of `name` are dropped. */
  take(name: string, at: Date): PreparedFire | undefined {
    const key = `${name}@${at.getTime()}`;
    const found = this.#byKey.get(key);
    for (const k of this.#byKey.keys()) {
      if (k.startsWith(`${name}@`) && Number(k.slice(name.length + 1)) <= at.getTime())
        this.#byKey.delete(k);
    }
    return found;
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
