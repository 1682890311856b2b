// How often a loaded schedule fires: what the fire journal's reserve is sized for.
import { countFiresBetween, iterateFires } from '../cron/fires.js';
import { RESERVE_HORIZON_MS, type ScheduleFireRate } from '../history/journal-reserve.js';
import type { DesiredSchedule } from '../reconcile/desired.js';

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
