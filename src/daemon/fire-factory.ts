// New fires: their run ids, pending records and ledger intents, and appending intents to the ledger.
import { monotonicFactory } from 'ulid';
import type { FireIntent } from '../history/journal.js';
import type { RunRecord } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { FireTrigger } from '../runtime/plan-fires.js';
import type { Clock } from '../shared/clock.js';
import { isNotDurable, type FireLedger, type WaitingNotice } from './fire-ledger.js';
import type { PendingFire } from './waiting-fires.js';

export class FireFactory {
  readonly #clock: Clock;
  readonly #ledger: FireLedger;
  readonly #ulid = monotonicFactory();
  readonly #onAnswered: (() => void) | undefined;

  /** `onAnswered`: the ledger answered an append (claimed here or elsewhere, or refused by policy). */
  constructor(clock: Clock, ledger: FireLedger, onAnswered?: () => void) {
    this.#clock = clock;
    this.#ledger = ledger;
    this.#onAnswered = onAnswered;
  }

  /** A new run id: sortable by creation time. */
  newRunId(): string {
    return this.#ulid(this.#clock.now().getTime());
  }

  /** A fire of `job` at `at`, not started yet (its intent is not in the ledger yet either). */
  pending(
    job: DesiredSchedule,
    at: Date,
    trigger: FireTrigger,
    runId = this.newRunId(),
  ): PendingFire {
    const record: RunRecord = {
      id: runId,
      schedule: job.name,
      trigger,
      scheduledAt: at.toISOString(),
      status: 'pending',
      attempts: [],
      specHash: job.hash,
    };
    return {
      record,
      job,
      intent: this.intent(job, runId, at, trigger),
      committed: Promise.resolve(),
    };
  }

  intent(job: DesiredSchedule, runId: string, at: Date, trigger: FireTrigger): FireIntent {
    return {
      runId,
      schedule: job.name,
      scheduledAt: at.toISOString(),
      trigger,
      specHash: job.hash,
    };
  }

  /** Append to the ledger; the promise may reject (FIRE_NOT_DURABLE), and whoever awaits it handles that. */
  append(intents: FireIntent[], onWaiting?: WaitingNotice): Promise<void> {
    const committed = this.#ledger.append(intents, onWaiting);
    const answered = this.#onAnswered;
    if (answered === undefined) committed.catch(() => undefined);
    else committed.then(answered, (err: unknown) => (isNotDurable(err) ? undefined : answered()));
    return committed;
  }
}
