// The reconciler: a pure function from (desired, actual) to the smallest set of changes.
import type { ActualJob, ActualState, DesiredSchedule, DesiredState } from './desired.js';
import { compareByName } from '../shared/compare-text.js';

/** What applying the manifests would change. Every list is sorted by schedule name. */
export interface ReconcilePlan {
  /** Wanted and not running: start scheduling them. */
  create: DesiredSchedule[];
  /** Running under another fingerprint: the next fires use `to`; an in-flight run finishes under `from`. */
  update: { from: ActualJob; to: DesiredSchedule }[];
  /** Running and no longer wanted: stop scheduling them (an in-flight run finishes and is recorded). */
  remove: ActualJob[];
  /** Running with the wanted fingerprint: left alone. */
  unchanged: string[];
}

/** Compare what the manifests want with what runs. No I/O, no clock, no logging. */
export function planReconcile(desired: DesiredState, actual: ActualState): ReconcilePlan {
  const plan: ReconcilePlan = { create: [], update: [], remove: [], unchanged: [] };
  for (const want of desired.values()) {
    const have = actual.get(want.name);
    if (!have) plan.create.push(want);
    else if (have.hash !== want.hash) plan.update.push({ from: have, to: want });
    else plan.unchanged.push(want.name);
  }
  for (const have of actual.values()) {
    if (!desired.has(have.name)) plan.remove.push(have);
  }
  plan.create.sort(compareByName);
  plan.update.sort((a, b) => compareByName(a.to, b.to));
  plan.remove.sort(compareByName);
  plan.unchanged.sort();
  return plan;
}

/** True when applying the plan would change nothing. */
export function isEmptyPlan(plan: ReconcilePlan): boolean {
  return plan.create.length === 0 && plan.update.length === 0 && plan.remove.length === 0;
}

/**
 * The part of both sides a plan has to look at: every wanted schedule that is not the very object
 * running under its name, and every running job that is not wanted as that very object. A schedule
 * given as the same object is unchanged by construction (same fingerprint, file and flags), so when the
 * desired state reuses unchanged schedules (the daemon's does), a reload that changed one file plans over
 * that file's schedules, not over all of them. `same` counts the schedules left out; planning the two
 * parts gives the plan of the whole, but for those names missing from `unchanged`. With `only`, the
 * names outside it are taken to be the same objects on both sides and are not looked at.
 */
export function selectChangedSchedules(
  wanted: DesiredState,
  running: ReadonlyMap<string, DesiredSchedule>,
  only?: ReadonlySet<string>,
): { desired: DesiredState; actual: ActualState; same: number } {
  if (only !== undefined) return selectNamedChanges(wanted, running, only);
  const desired = new Map<string, DesiredSchedule>();
  for (const [name, want] of wanted) if (running.get(name) !== want) desired.set(name, want);
  const actual = new Map<string, ActualJob>();
  for (const [name, job] of running) if (wanted.get(name) !== job) actual.set(name, job);
  return { desired, actual, same: wanted.size - desired.size };
}

/**
 * selectChangedSchedules when every name outside `names` is known to map to the same object on both
 * sides (the desired state was made from the running one by replacing those names): a reload that
 * changed one file of 100,000 schedules looks at that file's names only.
 */
function selectNamedChanges(
  wanted: DesiredState,
  running: ReadonlyMap<string, DesiredSchedule>,
  names: ReadonlySet<string>,
): { desired: DesiredState; actual: ActualState; same: number } {
  const desired = new Map<string, DesiredSchedule>();
  const actual = new Map<string, ActualJob>();
  for (const name of names) {
    const want = wanted.get(name);
    const job = running.get(name);
    if (want !== undefined && job !== want) desired.set(name, want);
    if (job !== undefined && want !== job) actual.set(name, job);
  }
  return { desired, actual, same: wanted.size - desired.size };
}
