// New fires: their run ids, pending records and ledger intents, and appending intents to the ledger.
import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import type { FireIntent } from '../history/journal.js';
import type { RunRecord } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { FireTrigger } from '../runtime/plan-fires.js';
import type { Clock } from '../shared/clock.js';
import { isNotDurable, type FireLedger, type WaitingNotice } from './fire-ledger.js';
import type { PendingFire } from './waiting-fires.js';

/**
 * Random numbers for run ids: ulid's own generator draws each of an id's 16 random characters with a
 * `getRandomValues` call on a new one-byte array; this hands out the same kind of bytes (a byte / 256)
 * from a pool refilled 256 at a time.
 */
function pooledRandom(): () => number {
  const pool = new Uint8Array(256);
  let next = pool.length;
  return () => {
    if (next === pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    const byte = pool[next] as number;
    next += 1;
    return byte / 256;
  };
}

export class FireFactory {
  readonly #clock: Clock;
  readonly #ledger: FireLedger;
  readonly #ulid = monotonicFactory(pooledRandom());
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
