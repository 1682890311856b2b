// Fires that were made durable (or whose claim was tried) but do not start as planned. None is dropped:
// a prepared fire the plan does not start is recorded under its own run id once its claim is known to be
// this replica's; with replicas, a fire that could not be claimed joins its schedule's gap (claim-gaps.ts).
import type { Logger } from 'pino';
import { countFiresBetween } from '../cron/fires.js';
import type { RunRecord } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import { describeExpiredCatchUp, type DuePlan } from '../runtime/plan-fires.js';
import type { DueFires } from '../runtime/scheduler.js';
import type { Clock } from '../shared/clock.js';
import { ClaimGaps, type UnclaimedGap } from './claim-gaps.js';
import type { FireFactory } from './fire-factory.js';
import { describeNotDurable, isNotDurable, type FireLedger } from './fire-ledger.js';
import type { PreparedFire } from './prepared-fires.js';
import type { RunRecorder } from './run-records.js';

export interface UnstartedFiresOptions {
  clock: Clock;
  logger: Logger;
  ledger: FireLedger;
  recorder: () => RunRecorder;
  fires: () => FireFactory;
  job: (name: string) => DesiredSchedule | undefined;
  stopping: () => boolean;
  /** The run manager's handleDue: a gap decided once the store answers is planned like due instants. */
  handleDue: (due: DueFires, trigger: 'schedule' | 'catchup') => void;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class UnstartedFires {
  readonly #o: UnstartedFiresOptions;
  readonly #gaps: ClaimGaps | undefined;
  /** The ledger answered a claim (the store is reachable): for FireFactory. */
  readonly onAnswered: (() => void) | undefined;

  constructor(options: UnstartedFiresOptions) {
    this.#o = options;
    const { ledger } = options;
    const ownClaims = ledger.ownClaims?.bind(ledger);
    this.#gaps =
      ownClaims &&
      new ClaimGaps({
        logger: options.logger,
        ownClaims,
        decide: (gap) => this.#decide(gap),
        interrupted: ({ record }, reason) => {
          options.recorder().finishUnstarted(record, 'interrupted', reason);
          ledger.release?.(record);
        },
        sleep: options.sleep,
      });
    const gaps = this.#gaps;
    this.onAnswered = gaps && (() => gaps.reachable());
  }

  /** Whether fires that could not be claimed join a gap (a ledger shared by replicas). */
  get leavesUnclaimed(): boolean {
    return this.#gaps !== undefined;
  }

  /** Shutdown: gaps still waiting for the store are left to the next start's catch-up. */
  stop(): void {
    this.#gaps?.stop();
  }

  /**
   * A fire not claimed because the store could not be reached joins its schedule's gap: true when it
   * did (replicas; a regular or catch-up fire not in the history yet), false when it is to be recorded.
   */
  leaveUnclaimed(
    job: DesiredSchedule,
    record: RunRecord,
    unrecorded: boolean | undefined,
  ): boolean {
    if (this.#gaps === undefined || unrecorded !== true || this.#o.stopping()) return false;
    if (record.trigger !== 'schedule' && record.trigger !== 'catchup') return false;
    this.#gaps.add({ job, record });
    return true;
  }

  /**
   * Prepared fires the plan does not start (past startingDeadline after a late wake-up, or the schedule
   * was suspended meanwhile): each is recorded under its own run id once its claim is known to be this
   * replica's, so that no claim is left without a run or a record.
   */
  settle(job: DesiredSchedule, plan: DuePlan, prepared: ReadonlyMap<number, PreparedFire>): void {
    const started = new Set([plan.fire?.getTime(), ...plan.catchUp.map((at) => at.getTime())]);
    const late = new Set(plan.lateClaimed?.map((at) => at.getTime()));
    const recorder = this.#o.recorder();
    for (const [ms, fire] of prepared) {
      if (started.has(ms)) continue;
      const at = new Date(ms);
      const { record } = this.#o.fires().pending(job, at, 'schedule', fire.runId);
      fire.committed.then(
        () => {
          if (late.has(ms))
            recorder.recordMissed(job, describeExpiredCatchUp(at, job.spec.startingDeadline), {
              id: fire.runId,
            });
          else
            recorder.finishUnstarted(
              record,
              'skipped',
              'the schedule was suspended or left its active window after the fire was made durable',
            );
          this.#o.ledger.release?.(record);
        },
        (err: unknown) => {
          if (!isNotDurable(err) || this.leaveUnclaimed(job, record, true)) return;
          recorder.recordMissed(
            job,
            { count: 1, first: at, last: at, reason: describeNotDurable(err) },
            { id: fire.runId, severe: true },
          );
        },
      );
    }
  }

  /** A gap of fires not claimed, once the store answers: planned like instants that came due together. */
  #decide(gap: UnclaimedGap): void {
    const job = this.#o.job(gap.name);
    if (job === undefined || this.#o.stopping()) return;
    const { count, first, last } = countFiresBetween(
      job.compiled,
      job.spec.timezone,
      new Date(gap.first.getTime() - 1),
      gap.last,
    );
    if (count === 0 || first === undefined || last === undefined) return;
    const due = { name: gap.name, first, last, count, now: this.#o.clock.now() };
    this.#o.handleDue(due, count === 1 ? 'schedule' : 'catchup');
  }
}
