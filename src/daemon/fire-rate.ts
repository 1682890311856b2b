// How often a loaded schedule fires: what the fire journal's reserve is sized for.
import { countFiresBetween, iterateFires } from '../cron/fires.js';
import { RESERVE_HORIZON_MS, type ScheduleFireRate } from '../history/journal-reserve.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { Logger } from '../shared/logger.js';
import type { FireLedger } from './fire-ledger.js';

/** The schedule's fires in the next RESERVE_HORIZON_MS from `now`, counted up to a limit (none while suspended). */
export function rateFires(job: DesiredSchedule, now: Date): ScheduleFireRate {
  return {
    name: job.name,
    countFires: (limit) => {
      if (job.spec.suspend) return 0;
      const until = new Date(now.getTime() + RESERVE_HORIZON_MS);
      if (job.compiled.kind === 'every')
        return countFiresBetween(job.compiled, job.spec.timezone, now, until).count;
      let count = 0;
      for (const at of iterateFires(job.compiled, job.spec.timezone, now)) {
        if (at.getTime() > until.getTime() || count >= limit) break;
        count += 1;
      }
      return count;
    },
  };
}

/** Size the fire journal's reserve for a day of these schedules' fires (docs/design/fire-journal.md). */
export function reserveJournal(
  journal: FireLedger,
  jobs: Iterable<DesiredSchedule>,
  now: Date,
  logger: Logger,
): void {
  const rates = [...jobs].map((job) => rateFires(job, now));
  void journal.reserveFor?.(rates).then((health) => {
    if (health.problem !== undefined) logger.warn({ journal: health }, health.problem);
    else logger.debug({ journal: health }, 'fire journal reserve sized');
  });
}
