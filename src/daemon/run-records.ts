// Writing runs to the history and announcing them: started, finished, skipped and missed records.
import type { Logger } from 'pino';
import type { HistoryStore, RunRecord, RunStatus, RunTrigger } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import { planNotifications, type NotificationPlan } from '../runtime/notify-policy.js';
import type { MissedGap } from '../runtime/plan-fires.js';
import type { Clock } from '../shared/clock.js';
import type { Notifier } from './run-notify.js';

/** Something the status, the event stream and the logs want to know about. */
export interface RunEvent {
  type: 'run:started' | 'run:finished' | 'run:recorded';
  run: RunRecord;
}

export interface RunRecorderOptions {
  clock: Clock;
  history: HistoryStore;
  logger: Logger;
  notifier: Notifier;
  /** A new run id (sortable). */
  newRunId: () => string;
  onEvent?: ((event: RunEvent) => void) | undefined;
  /** A run ended (its final record): what `spec.after` starts. */
  onFinished?: ((job: DesiredSchedule, record: RunRecord) => void) | undefined;
}

/** Records runs (moving the schedule's watermark when asked) and emits their events. */
export class RunRecorder {
  readonly #o: RunRecorderOptions;

  constructor(options: RunRecorderOptions) {
    this.#o = options;
  }

  /** Write the run; `lastScheduledAt` also moves the schedule's watermark. */
  record(record: RunRecord, lastScheduledAt?: string): void {
    void this.#o.history.recordRun(record, lastScheduledAt ? { lastScheduledAt } : {});
  }

  emit(type: RunEvent['type'], run: RunRecord): void {
    this.#o.onEvent?.({ type, run });
  }

  /** A fire that never got an attempt: skipped (or cancelled) with its reason. */
  finishUnstarted(record: RunRecord, status: RunStatus, reason: string, watermark?: string): void {
    record.status = status;
    record.reason = reason;
    record.finishedAt = this.#o.clock.now().toISOString();
    this.record(record, watermark);
    this.emit('run:recorded', record);
    // attempt 0: the fire never got an attempt.
    this.#o.logger.info(
      {
        schedule: record.schedule,
        runId: record.id,
        attempt: 0,
        scheduledAt: record.scheduledAt,
        reason,
      },
      `fire ${status}`,
    );
  }

  /** One `missed` record for a gap of fires that do not run; logged at error when `severe`. */
  recordMissed(
    job: DesiredSchedule,
    gap: MissedGap,
    options: {
      watermark?: string | undefined;
      severe?: boolean;
      id?: string;
      trigger?: RunTrigger;
      /** Trigger `after`: the link of the fire that is missed. */
      link?: Pick<RunRecord, 'upstream' | 'chainId' | 'logicalTime'>;
    } = {},
  ): RunRecord {
    const now = this.#o.clock.now().toISOString();
    const record: RunRecord = {
      id: options.id ?? this.#o.newRunId(),
      schedule: job.name,
      trigger: options.trigger ?? 'schedule',
      scheduledAt: gap.last.toISOString(),
      status: 'missed',
      reason: gap.reason,
      attempts: [],
      specHash: job.hash,
      missed: { count: gap.count, first: gap.first.toISOString(), last: gap.last.toISOString() },
      finishedAt: now,
      ...options.link,
    };
    const plan = this.#planNotifications(job, record);
    this.record(record, options.watermark);
    this.emit('run:recorded', record);
    const fields = { schedule: job.name, runId: record.id, attempt: 0, missed: record.missed };
    if (options.severe) this.#o.logger.error({ ...fields, reason: gap.reason }, 'fires missed');
    else this.#o.logger.warn(fields, 'fires missed');
    this.#o.notifier.notify(job, record, plan);
    return record;
  }

  /** A run that ended: recorded, announced, and notified (failure, success, recovery). */
  finish(job: DesiredSchedule, record: RunRecord): void {
    const finishedAt = this.#o.clock.now();
    record.finishedAt = finishedAt.toISOString();
    if (record.startedAt)
      record.durationMs = finishedAt.getTime() - new Date(record.startedAt).getTime();
    const plan = this.#planNotifications(job, record);
    this.record(record);
    this.emit('run:finished', record);
    this.#o.notifier.notify(job, record, plan);
    this.#o.onFinished?.(job, record);
  }

  /**
   * Which notify entries this record notifies (runtime/notify-policy.ts), remembered on the record
   * (`notified`) so that the next decision, after a restart too, reads it from the history.
   */
  #planNotifications(job: DesiredSchedule, record: RunRecord): NotificationPlan {
    // The summary holds the newest two runs of each status: the previous final outcomes are among them.
    const plan = planNotifications({
      status: record.status,
      runId: record.id,
      entries: job.spec.notify,
      runs: this.#o.history.summary(job.name).runs,
      now: new Date(record.finishedAt ?? this.#o.clock.now().toISOString()),
    });
    if (plan.notified) record.notified = plan.notified;
    return plan;
  }
}
