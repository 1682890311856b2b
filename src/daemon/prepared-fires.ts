// Fires made durable ahead of their instant, so that starting the process at the instant waits for nothing.
import type { FireIntent } from '../history/journal.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import { isFireable } from '../runtime/plan-fires.js';
import type { FireFactory } from './fire-factory.js';

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

  /**
   * Make upcoming fires durable before their instant (one ledger write for the whole batch), so that
   * starting the process at the instant waits for nothing.
   */
  prepare(
    items: readonly { name: string; at: Date }[],
    jobOf: (name: string) => DesiredSchedule | undefined,
    fires: FireFactory,
  ): void {
    const intents: FireIntent[] = [];
    for (const { name, at } of items) {
      const job = jobOf(name);
      if (!job || !isFireable(job.spec, at)) continue;
      // Prepared already (the schedule was updated or re-set before its instant): its claim stands.
      if (this.has(name, at)) continue;
      intents.push(fires.intent(job, fires.newRunId(), at, 'schedule'));
    }
    // One append per fire, in one turn of the event loop: the ledger writes them together (one fsync,
    // one claim statement) and each fire learns its own outcome (a claim can be lost to another replica).
    for (const intent of intents) {
      this.add(intent.schedule, new Date(intent.scheduledAt), {
        runId: intent.runId,
        committed: fires.append([intent]),
      });
    }
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
