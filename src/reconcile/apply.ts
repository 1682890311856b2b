// Applying a plan: walk it and call the scheduler; one job failing never stops the rest.
import type { DesiredSchedule } from './desired.js';
import type { ReconcilePlan } from './plan.js';

/** The side of the daemon that the plan drives. */
export interface JobTarget {
  create(schedule: DesiredSchedule): void;
  update(schedule: DesiredSchedule): void;
  remove(name: string): void;
}

/** What happened while applying a plan. */
export interface ApplyResult {
  /** Operations done, in order: 'create backup', 'update report', 'remove old'. */
  applied: string[];
  /** Operations that threw, with the error; the rest of the plan still ran. */
  failed: { operation: string; error: unknown }[];
}

export function applyPlan(plan: ReconcilePlan, target: JobTarget): ApplyResult {
  const result: ApplyResult = { applied: [], failed: [] };
  const attempt = (operation: string, action: () => void): void => {
    try {
      action();
      result.applied.push(operation);
    } catch (error) {
      result.failed.push({ operation, error });
    }
  };
  // Removals first, so that a name freed by one schedule is never briefly held twice.
  for (const job of plan.remove) attempt(`remove ${job.name}`, () => target.remove(job.name));
  for (const { to } of plan.update) attempt(`update ${to.name}`, () => target.update(to));
  for (const schedule of plan.create)
    attempt(`create ${schedule.name}`, () => target.create(schedule));
  return result;
}
