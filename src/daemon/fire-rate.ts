// How often a loaded schedule fires: what the fire journal's reserve is sized for.
import { countFiresBetween } from '../cron/fires.js';
import {
  measureFireRecord,
  RESERVE_HORIZON_MS,
  type ScheduleFireRate,
} from '../history/journal-reserve.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { Logger } from '../shared/logger.js';
import type { FireLedger } from './fire-ledger.js';

/** A count is kept this long (the reserve has slack; a day's count moves slowly as the day slides). */
const RECOUNT_AFTER_MS = 60 * 60 * 1000;
/** Counting gives the event loop back after this much work, so that no fire waits for it. */
const SLICE_MS = 8;
/** Schedules looked at between two readings of the clock. */
const JOBS_PER_CHECK = 256;

/** A schedule's kept count, as the rate handed to the ledger, with the version it was counted for. */
interface KnownRate {
  job: DesiredSchedule;
  hash: string;
  atMs: number;
  rate: ScheduleFireRate;
  /** The pass that last saw it (ones not seen by the latest pass are of schedules that are gone). */
  pass: number;
}

/** The schedule's fires in the next RESERVE_HORIZON_MS from `now` (none while suspended). */
export function countDayOfFires(job: DesiredSchedule, now: Date): number {
  if (job.spec.suspend) return 0;
  const until = new Date(now.getTime() + RESERVE_HORIZON_MS);
  return countFiresBetween(job.compiled, job.spec.timezone, now, until).count;
}

/**
 * Sizes the fire journal's reserve for a day of the loaded schedules' fires (docs/design/fire-journal.md).
 * Each schedule's count is kept by its version for an hour: a reload counts only what changed (counting
 * a day of 10,000 schedules' fires took 0.3–0.7 s, a stall of every fire on each reload), and counting
 * yields the event loop every few milliseconds.
 */
export class FireRates {
  readonly #counts = new Map<string, KnownRate>();
  readonly #ledger: FireLedger;
  readonly #logger: Logger;
  #latest = 0;
  #passes = 0;

  constructor(ledger: FireLedger, logger: Logger) {
    this.#ledger = ledger;
    this.#logger = logger;
  }

  /** Size the reserve for `jobs` (a ledger without a reserve needs nothing). */
  async reserve(jobs: Iterable<DesiredSchedule>, now: Date): Promise<void> {
    if (this.#ledger.reserveFor === undefined) return;
    const call = (this.#latest += 1);
    const rates = await this.rates([...jobs], now);
    // A later reload sized it already with what is loaded now.
    if (call !== this.#latest) return;
    const health = await this.#ledger.reserveFor(rates);
    if (health.problem !== undefined) this.#logger.warn({ journal: health }, health.problem);
    else this.#logger.debug({ journal: health }, 'fire journal reserve sized');
  }

  /**
   * Each job's day of fires, counted again only when its version changed or the count is old. A job that
   * is the very object counted before is unchanged: with 100,000 schedules a reload looks at each with a
   * lookup and a comparison, and gives the event loop back every few milliseconds.
   */
  async rates(jobs: readonly DesiredSchedule[], now: Date): Promise<ScheduleFireRate[]> {
    const rates = new Array<ScheduleFireRate>(jobs.length);
    const pass = (this.#passes += 1);
    const nowMs = now.getTime();
    let slice = performance.now();
    let counted = false;
    for (let index = 0; index < jobs.length; index += 1) {
      // A count can take a while (a day of a busy expression): the clock is read after each.
      if ((counted || index % JOBS_PER_CHECK === 0) && performance.now() - slice > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
      counted = false;
      const job = jobs[index] as DesiredSchedule;
      let known = this.#counts.get(job.name);
      if (known === undefined || known.job !== job || nowMs - known.atMs > RECOUNT_AFTER_MS) {
        const hash = `${job.hash}${job.spec.suspend ? ':suspended' : ''}`;
        if (known === undefined || known.hash !== hash || nowMs - known.atMs > RECOUNT_AFTER_MS) {
          const count = countDayOfFires(job, now);
          counted = true;
          const rate: ScheduleFireRate = {
            name: job.name,
            recordBytes: known?.rate.recordBytes ?? measureFireRecord(job.name),
            countFires: (limit) => Math.min(limit, count),
          };
          known = { job, hash, atMs: nowMs, rate, pass };
          this.#counts.set(job.name, known);
        } else {
          known.job = job;
        }
      }
      known.pass = pass;
      rates[index] = known.rate;
    }
    if (this.#counts.size > jobs.length)
      for (const [name, known] of this.#counts) if (known.pass !== pass) this.#counts.delete(name);
    return rates;
  }
}
