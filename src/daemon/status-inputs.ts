// The schedules part of the status input: each entry is built again only when something it shows changed.
import type { HistorySummary } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { StatusInput } from '../status/snapshot.js';
import { compareText } from '../shared/compare-text.js';

type ScheduleInput = StatusInput['schedules'][number];

/** Where the parts of an entry that change while the daemon runs come from. */
export interface ScheduleInputSources {
  /** The schedule's history summary: a new object whenever its history changed. */
  summary(name: string): HistorySummary;
  /** Schedules with a run in progress or a fire waiting: the others are not asked about either. */
  busy(): ReadonlySet<string>;
  running(name: string): ScheduleInput['running'];
  waiting(name: string): number;
  /** The next few instants; the same array for as long as they stay the next ones. */
  upcoming(job: DesiredSchedule, now: Date): Date[];
  /** The schedule in words. */
  describe(job: DesiredSchedule): string;
  /** After a clock step back: the instant the schedule waits for, while it waits. */
  clockWait(name: string, now: Date): Date | undefined;
}

const NO_FIRES: Date[] = [];
const NOT_RUNNING: ScheduleInput['running'] = Object.freeze([]);

interface Built {
  entry: ScheduleInput;
  job: DesiredSchedule;
  summary: HistorySummary;
  nextFires: Date[];
  queued: number;
  clockWaitUntil: Date | undefined;
}

/**
 * Builds the status input's schedules, sorted by name. With 10,000 schedules, building every entry
 * anew after each run or reload costs tens of milliseconds; an entry whose job, history summary, waiting
 * fires and next instants are the same objects as last time is reused as it was, and an entry that is
 * the same object tells the snapshot builder that its status entry is unchanged too. Entries of running
 * schedules are always built anew (their elapsed times move with the clock).
 */
export class ScheduleInputs {
  /** Job names, sorted; rebuilt when the set of names changes. */
  #order: string[] = [];
  /** What each entry of `#order` was built from, at the same index. */
  #built: (Built | undefined)[] = [];
  /** The names version `#order` was made or checked at (see order). */
  #orderVersion: number | undefined;

  /** The entries of `jobs`, sorted by name; `namesVersion` as for order. */
  build(
    jobs: ReadonlyMap<string, DesiredSchedule>,
    sources: ScheduleInputSources,
    now: Date,
    namesVersion?: number,
  ): ScheduleInput[] {
    const order = this.order(jobs, namesVersion);
    const busy = sources.busy();
    const entries = new Array<ScheduleInput>(order.length);
    for (let index = 0; index < order.length; index += 1)
      entries[index] = this.entryAt(index, jobs, sources, now, busy);
    return entries;
  }

  /**
   * The names of `jobs`, sorted: the same array for as long as the set of names is the same. A caller
   * that builds the entries itself (a few per turn of the event loop) asks for each with entryAt, and
   * starts again when this array is no longer the one returned (the set of names changed meanwhile).
   * `namesVersion`, when given, changes whenever a name is added to `jobs` or removed from it: at the
   * version of the last call the names are known to be the same, without looking up every one of them
   * (100,000 lookups on every status build).
   */
  order(jobs: ReadonlyMap<string, DesiredSchedule>, namesVersion?: number): readonly string[] {
    if (namesVersion !== undefined && namesVersion === this.#orderVersion) return this.#order;
    this.#orderVersion = namesVersion;
    if (this.#order.length === jobs.size && hasEvery(jobs, this.#order)) return this.#order;
    const before = new Map(this.#order.map((name, index) => [name, this.#built[index]]));
    this.#order = mergeNames(this.#order, jobs);
    this.#built = this.#order.map((name) => before.get(name));
    return this.#order;
  }

  /** The entry of the `index`th name of `order(jobs)`; `busy` is `sources.busy()`. */
  entryAt(
    index: number,
    jobs: ReadonlyMap<string, DesiredSchedule>,
    sources: ScheduleInputSources,
    now: Date,
    busy: ReadonlySet<string>,
  ): ScheduleInput {
    const name = this.#order[index] as string;
    const job = jobs.get(name) as DesiredSchedule;
    const idle = !busy.has(name);
    const running = idle ? NOT_RUNNING : sources.running(name);
    const queued = idle ? 0 : sources.waiting(name);
    const summary = sources.summary(name);
    const nextFires = job.spec.suspend ? NO_FIRES : sources.upcoming(job, now);
    const clockWaitUntil = sources.clockWait(name, now);
    const before = this.#built[index];
    if (
      before !== undefined &&
      running.length === 0 &&
      before.entry.running.length === 0 &&
      before.job === job &&
      before.queued === queued &&
      before.nextFires === nextFires &&
      before.clockWaitUntil === clockWaitUntil &&
      before.summary === summary
    )
      return before.entry;
    const entry = buildEntry(job, { running, queued, summary, nextFires, clockWaitUntil }, sources);
    this.#built[index] = { entry, job, summary, nextFires, queued, clockWaitUntil };
    return entry;
  }
}

/**
 * The names of `jobs`, sorted, from the sorted names of before: those still there keep their order and
 * the new ones are sorted and merged in. A reload that adds or removes a few of 100,000 schedules sorts
 * those few, not all of them.
 */
export function mergeNames(
  previous: readonly string[],
  jobs: ReadonlyMap<string, unknown>,
): string[] {
  if (previous.length === 0) return [...jobs.keys()].sort(compareText);
  const known = new Set(previous);
  const added: string[] = [];
  for (const name of jobs.keys()) if (!known.has(name)) added.push(name);
  added.sort(compareText);
  const merged: string[] = [];
  let next = 0;
  for (const name of previous) {
    if (!jobs.has(name)) continue;
    while (next < added.length && compareText(added[next] as string, name) < 0)
      merged.push(added[next++] as string);
    merged.push(name);
  }
  while (next < added.length) merged.push(added[next++] as string);
  return merged;
}

function buildEntry(
  job: DesiredSchedule,
  state: Pick<ScheduleInput, 'running' | 'queued' | 'nextFires'> & {
    summary: HistorySummary;
    clockWaitUntil: Date | undefined;
  },
  sources: ScheduleInputSources,
): ScheduleInput {
  return {
    name: job.name,
    file: job.file,
    ...(job.metadata.description !== undefined ? { description: job.metadata.description } : {}),
    // A schedule with only `after` shows what starts it ("after extract (succeeded)") in place of times.
    schedule: job.spec.schedule ?? job.compiled.source,
    humanSchedule: sources.describe(job),
    timezone: job.spec.timezone,
    suspended: job.spec.suspend,
    degraded: job.degraded,
    labels: job.metadata.labels,
    concurrencyPolicy: job.spec.concurrencyPolicy,
    ...(job.spec.after !== undefined && { after: job.spec.after }),
    ...(job.afterBlocked !== undefined && { afterBlocked: job.afterBlocked }),
    ...(job.spec.maxSuccessAge !== undefined ? { maxSuccessAge: job.spec.maxSuccessAge } : {}),
    nextFires: state.nextFires,
    ...(state.clockWaitUntil ? { clockWaitUntil: state.clockWaitUntil } : {}),
    running: state.running,
    queued: state.queued,
    // The summary, never the runs themselves: it holds every run the status looks at.
    runs: state.summary.runs,
    counts: state.summary.counts,
    specHash: job.hash,
    ...(job.spec.activeFrom !== undefined ? { activeFrom: job.spec.activeFrom } : {}),
    ...(job.spec.activeUntil !== undefined ? { activeUntil: job.spec.activeUntil } : {}),
  };
}

function hasEvery(jobs: ReadonlyMap<string, unknown>, names: readonly string[]): boolean {
  for (const name of names) if (!jobs.has(name)) return false;
  return true;
}
