// How often a loaded schedule fires: what the fire journal's reserve is sized for.
import { countFiresBetween } from '../cron/fires.js';
import { RESERVE_HORIZON_MS, type ScheduleFireRate } from '../history/journal-reserve.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { Logger } from '../shared/logger.js';
import type { FireLedger } from './fire-ledger.js';

/** A count is kept this long (the reserve has slack; a day's count moves slowly as the day slides). */
const RECOUNT_AFTER_MS = 60 * 60 * 1000;
/** Counting gives the event loop back after this much work, so that no fire waits for it. */
const SLICE_MS = 8;

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
  readonly #counts = new Map<string, { hash: string; count: number; atMs: number }>();
  readonly #ledger: FireLedger;
  readonly #logger: Logger;
  #latest = 0;

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

  /** Each job's day of fires, counted again only when its version changed or the count is old. */
  async rates(jobs: readonly DesiredSchedule[], now: Date): Promise<ScheduleFireRate[]> {
    const rates: ScheduleFireRate[] = [];
    const loaded = new Set<string>();
    let slice = performance.now();
    for (const job of jobs) {
      loaded.add(job.name);
      const hash = `${job.hash}${job.spec.suspend ? ':suspended' : ''}`;
      let known = this.#counts.get(job.name);
      if (known?.hash !== hash || now.getTime() - known.atMs > RECOUNT_AFTER_MS) {
        known = { hash, count: countDayOfFires(job, now), atMs: now.getTime() };
        this.#counts.set(job.name, known);
        if (performance.now() - slice > SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          slice = performance.now();
        }
      }
      const { count } = known;
      rates.push({ name: job.name, countFires: (limit) => Math.min(limit, count) });
    }
    for (const name of this.#counts.keys()) if (!loaded.has(name)) this.#counts.delete(name);
    return rates;
  }
}
