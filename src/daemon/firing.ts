// Firing: puts each schedule in the fire loop where the clock planner says, and re-plans after clock steps.
import type { Logger } from 'pino';
import { countFiresBetween, iterateFires } from '../cron/fires.js';
import type { HistoryStore } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import { detectClockStep, planResume, type ClockReading } from '../runtime/plan-clock.js';
import { FireLoop } from '../runtime/scheduler.js';
import type { Timers, TimerHandle } from '../runtime/timers.js';
import type { Clock, Stopwatch } from '../shared/clock.js';
import { ClockAnomalies } from './clock-anomalies.js';
import type { RunManager } from './runs.js';

export interface FiringOptions {
  clock: Clock;
  stopwatch: Stopwatch;
  timers: Timers;
  history: HistoryStore;
  runs: RunManager;
  logger: Logger;
  /** How far ahead of an instant its fire is made durable (fixed, or by the instant's batch size). */
  prepareLeadMs: number | ((batchSize: number) => number);
  /** The schedules as loaded (read on a clock step). */
  jobs: ReadonlyMap<string, DesiredSchedule>;
  /** Something the status shows changed (a clock anomaly). */
  onChange: () => void;
}

/** How often the wall clock is compared with elapsed time, to notice a step within about a second. */
const CLOCK_CHECK_MS = 1_000;

export class Firing {
  readonly #o: FiringOptions;
  readonly #loop: FireLoop;
  readonly anomalies = new ClockAnomalies();
  #reading: ClockReading | undefined;
  #watch: TimerHandle | undefined;
  #stopped = false;

  constructor(options: FiringOptions) {
    this.#o = options;
    this.#loop = new FireLoop({
      clock: options.clock,
      timers: options.timers,
      stopwatch: options.stopwatch,
      onDue: (due) => options.runs.handleDue(due),
      prepareLeadMs: options.prepareLeadMs,
      onPrepare: (items) => options.runs.prepare(items),
    });
  }

  /**
   * Start watching for clock steps: the one piece of work an idle daemon wakes up for every second
   * (docs/design/idle.md), so it is one repeating timer and two clock reads.
   */
  watchClock(): void {
    if (this.#stopped || this.#watch !== undefined) return;
    this.#reading = this.#read();
    this.#watch = this.#o.timers.every(() => {
      if (!this.#stopped) this.checkClock();
    }, CLOCK_CHECK_MS);
  }

  /** Compare the wall clock with elapsed time since the last check; re-plan after a step. Tests call it. */
  checkClock(): void {
    const reading = this.#read();
    const previous = this.#reading;
    this.#reading = reading;
    if (previous === undefined) return;
    const step = detectClockStep(previous, reading);
    if (step === undefined) return;
    if (step > 0) {
      // Forward: like downtime. The fire loop hands out what came due as a gap (catch-up) right now.
      this.#o.logger.warn({ stepMs: step }, 'the clock stepped forward; catching up');
      this.#loop.tick();
      return;
    }
    for (const job of this.#o.jobs.values()) this.#place(job, 'clock-step');
    this.#report('clock-step', -step);
  }

  /** Put a schedule (new, changed, or loaded at start-up) in the fire loop, from its watermark. */
  place(job: DesiredSchedule, reason: 'startup' | 'reload'): void {
    this.#place(job, reason);
  }

  /** Log and count what the last placements found ahead of the clock. */
  reportAnomalies(cause: 'startup' | 'reload'): void {
    this.#report(cause, undefined);
  }

  remove(name: string): void {
    this.#loop.delete(name);
    this.anomalies.forget(name);
  }

  earliestAt(): number | undefined {
    return this.#loop.earliestAt();
  }

  /** Fires came due and are not all handed out yet (a burst is being started). */
  get handingOut(): boolean {
    return this.#loop.pendingCount > 0;
  }

  /**
   * Stop firing. Call after the run manager stopped starting: the rest of a burst that came due but was
   * not handed out yet goes to it now, which records each fire as not started, with the reason.
   */
  stop(): void {
    this.#stopped = true;
    for (const due of this.#loop.stop()) this.#o.runs.handleDue(due);
    if (this.#watch !== undefined) this.#o.timers.clear(this.#watch);
    this.#watch = undefined;
  }

  #place(job: DesiredSchedule, reason: 'startup' | 'reload' | 'clock-step'): void {
    const { history, clock } = this.#o;
    const now = clock.now();
    const stored = history.lastScheduledAt(job.name);
    const plan = planResume({
      compiled: job.compiled,
      timezone: job.spec.timezone,
      watermark: stored === undefined ? undefined : new Date(stored),
      now,
      reason,
    });
    // Where scheduling began (so downtime before the first fire is caught up), or a discarded watermark.
    if (plan.watermark) void history.setLastScheduledAt(job.name, plan.watermark.toISOString());
    this.anomalies.note(job.name, plan.anomaly, now);
    if (plan.gap) this.#o.runs.handleDue({ name: job.name, ...plan.gap, now }, 'catchup');
    const { compiled } = job;
    const zone = job.spec.timezone;
    this.#loop.set(
      job.name,
      (afterMs) => iterateFires(compiled, zone, new Date(afterMs)).next().value?.getTime(),
      (afterMs, untilMs) => {
        const counted = countFiresBetween(compiled, zone, new Date(afterMs), new Date(untilMs));
        return {
          count: counted.count,
          ...(counted.first ? { first: counted.first.getTime() } : {}),
          ...(counted.last ? { last: counted.last.getTime() } : {}),
        };
      },
      plan.afterMs,
      plan.nextMs,
    );
  }

  #report(cause: 'startup' | 'reload' | 'clock-step', stepMs: number | undefined): void {
    const report = this.anomalies.flush(cause, stepMs, this.#o.clock.now());
    if (report === undefined) return;
    this.#o.logger.warn(
      {
        cause,
        stepMs: report.stepMs,
        schedules: report.schedules.map((s) => s.name),
        waiting: report.schedules
          .filter((s) => s.waitUntil !== undefined)
          .map((s) => ({ schedule: s.name, until: s.waitUntil })),
      },
      `clock anomaly: the clock is ${formatStep(report.stepMs)} behind the last fires; ${report.schedules.length} schedule(s) affected`,
    );
    this.#o.onChange();
  }

  #read(): ClockReading {
    return { wallMs: this.#o.clock.now().getTime(), monotonicMs: this.#o.stopwatch.elapsedMs() };
  }
}

/** A step in words: "3.2 s", "59 min", "364 d". */
function formatStep(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}
