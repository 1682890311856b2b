// The next few instants of each schedule, and its expression in words, cached for the status.
import { describeSchedule } from '../cron/describe.js';
import { nextActiveFires, toActiveWindow } from '../cron/active-window.js';
import type { DesiredSchedule } from '../reconcile/desired.js';

/** How many upcoming instants the status shows per schedule. */
const NEXT_FIRES_SHOWN = 3;

/** Descriptions by compiled schedule: cronstrue costs ~0.1 ms each and the status is rebuilt after every run. */
const humanSchedules = new WeakMap<DesiredSchedule['compiled'], string>();

export function describeScheduleOnce(compiled: DesiredSchedule['compiled']): string {
  let text = humanSchedules.get(compiled);
  if (text === undefined) {
    text = describeSchedule(compiled);
    humanSchedules.set(compiled, text);
  }
  return text;
}

/** The next few instants per schedule, cached until the first of them passes. */
export class UpcomingFires {
  readonly #cache = new Map<string, { job: DesiredSchedule; fires: Date[] }>();

  /** The same array for as long as its instants stay the next ones (and the schedule is unchanged). */
  get(job: DesiredSchedule, now: Date): Date[] {
    const cached = this.#cache.get(job.name);
    const first = cached?.fires[0];
    if (cached && cached.job === job && first && first.getTime() > now.getTime())
      return cached.fires;
    // The firing engine's rule: only fires inside activeFrom/activeUntil (none once it has ended).
    const window = toActiveWindow(job.spec);
    // Copied to an array of exactly its length: a pushed-to array keeps room for 16 more (150 bytes each).
    const fires = nextActiveFires(
      job.compiled,
      job.spec.timezone,
      now,
      window,
      NEXT_FIRES_SHOWN,
    ).slice();
    this.#cache.set(job.name, { job, fires });
    return fires;
  }

  forget(name: string): void {
    this.#cache.delete(name);
  }
}
