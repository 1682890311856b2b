// Concurrency policies across replicas: carrying out the start planner's decision for a claimed fire
// against its schedule's slot in the store (take it, skip, queue behind the holder, replace the holder),
// renewing the slots this replica holds, releasing them, and acting on stop requests from other replicas.
import type pg from 'pg';
import type { ClusterRuns, WaitingNotice } from '../../daemon/fire-ledger.js';
import { planClusterStart, type SlotView } from '../../runtime/plan-cluster-start.js';
import { SchedulerError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import {
  SLOT_QUEUE_SQL,
  SLOT_RELEASE_SQL,
  SLOT_RENEW_SQL,
  SLOT_REPLACE_SQL,
  SLOT_TAKE_SQL,
  SLOT_WATCH_SQL,
} from './slot-sql.js';

export interface ConcurrencySlotsOptions {
  pool: pg.Pool;
  replicaId: string;
  /** A replica silent this long is gone; a slot not renewed for two leases is free. */
  leaseMs: number;
  logger: Logger;
  /** How often this replica looks at the slots it waits for, or holds for Replace schedules. @default 200 */
  pollMs?: number;
}

/** A slot row as the statements return it. */
interface SlotRow {
  schedule: string;
  runId: string | null;
  owner: string | null;
  nextRunId: string | null;
  nextOwner: string | null;
  cancelRunId: string | null;
  cancelReason: string | null;
  expired: boolean;
}

/** A fire waiting for its schedule's slot (queued, or replacing the holder). */
interface Waiter {
  schedule: string;
  why: 'queue' | 'replace';
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A claimed fire's slot, from the claim statement's row. */
export function toSlotView(row: {
  slotRunId?: string | null;
  slotOwner?: string | null;
  slotNextRunId?: string | null;
  slotNextOwner?: string | null;
}): SlotView {
  return {
    holder: row.slotRunId ? { runId: row.slotRunId, replica: row.slotOwner ?? '?' } : null,
    next: row.slotNextRunId
      ? { runId: row.slotNextRunId, replica: row.slotNextOwner ?? '?' }
      : null,
  };
}

function skipped(reason: string, schedule: string): SchedulerError {
  return new SchedulerError('FIRE_SKIPPED_BY_POLICY', reason, { schedule });
}

export class ConcurrencySlots {
  readonly #o: Required<ConcurrencySlotsOptions>;
  #runs: ClusterRuns | undefined;
  /** Slots this replica holds: run id → schedule. */
  readonly #held = new Map<string, string>();
  /** When each held slot was taken (a run that never started lets it go after a lease). */
  readonly #heldSince = new Map<string, number>();
  readonly #waiters = new Map<string, Waiter>();
  /** Releases not yet accepted by the database: retried on every pass. */
  readonly #releases = new Map<string, string>();
  /** Stop requests already passed on. */
  readonly #cancelled = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #lastRenew = 0;
  #closed = false;

  constructor(options: ConcurrencySlotsOptions) {
    this.#o = { pollMs: 200, ...options };
  }

  bind(runs: ClusterRuns): void {
    this.#runs = runs;
  }

  /** The schedule's policy: a ledger no run manager is bound to (tests, the benchmark) treats all as Allow. */
  policyOf(schedule: string): string {
    return this.#runs?.policyOf(schedule) ?? 'Allow';
  }

  /** Slot seconds for the statements: two leases. */
  get expirySeconds(): number {
    return (2 * this.#o.leaseMs) / 1000;
  }

  /**
   * A fire won its claim; the claim statement took its schedule's slot if it was free. Resolves when the
   * fire may start (after `atInstant`); rejects with FIRE_SKIPPED_BY_POLICY when it is not to run. Once it
   * waits for the holder (queued behind it, or replacing it), `onWaiting` hears why.
   */
  async admit(
    intent: { runId: string; schedule: string },
    slot: SlotView,
    atInstant: () => Promise<void>,
    onWaiting?: WaitingNotice,
  ): Promise<void> {
    const { runId, schedule } = intent;
    const policy = { concurrencyPolicy: this.policyOf(schedule) as 'Allow' };
    const early = planClusterStart({ policy, runId, slot, atInstant: false });
    if (early.action === 'start') {
      if (policy.concurrencyPolicy !== 'Allow') this.#hold(runId, schedule);
      await atInstant();
      return;
    }
    await atInstant();
    const view = await this.#take(schedule, runId);
    const plan = planClusterStart({ policy, runId, slot: view, atInstant: true });
    switch (plan.action) {
      case 'start':
      case 'recheck':
        this.#hold(runId, schedule);
        return;
      case 'skip':
        throw skipped(plan.reason, schedule);
      case 'queue': {
        const queued = await this.#o.pool.query(SLOT_QUEUE_SQL, [
          schedule,
          runId,
          this.#o.replicaId,
        ]);
        if (queued.rowCount === 0) return this.#retake(schedule, runId, 'queue');
        this.#o.logger.info({ schedule, runId }, `fire ${plan.reason}`);
        const waiting = this.#wait(runId, schedule, 'queue');
        onWaiting?.(runId, plan.reason);
        return waiting;
      }
      case 'replace': {
        const asked = await this.#o.pool.query(SLOT_REPLACE_SQL, [
          schedule,
          runId,
          this.#o.replicaId,
          plan.reason,
        ]);
        if (asked.rowCount === 0) return this.#retake(schedule, runId, 'replace');
        this.#o.logger.info(
          { schedule, runId, replaces: plan.victim.runId, replica: plan.victim.replica },
          'asked the replica of the run in flight to stop it (concurrencyPolicy Replace)',
        );
        const waiting = this.#wait(runId, schedule, 'replace');
        onWaiting?.(
          runId,
          `waiting for run ${plan.victim.runId} on replica ${plan.victim.replica} to stop (concurrencyPolicy Replace)`,
        );
        return waiting;
      }
    }
  }

  /** A run ended, or a fire was dropped: its slot passes on (retried until the database accepts it). */
  release(runId: string, schedule: string): void {
    const waiter = this.#waiters.get(runId);
    if (!this.#held.has(runId) && waiter === undefined) return;
    this.#held.delete(runId);
    this.#heldSince.delete(runId);
    this.#waiters.delete(runId);
    this.#cancelled.delete(runId);
    this.#releases.set(runId, schedule);
    this.#ensureTimer();
    void this.#pass();
  }

  /** Stop watching; free what this replica holds (best effort: the rest expires after two leases). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const [runId, schedule] of [...this.#held, ...this.#waiterSchedules()])
      this.#releases.set(runId, schedule);
    for (const waiter of this.#waiters.values())
      waiter.reject(skipped('the daemon shut down before the fire started', waiter.schedule));
    this.#waiters.clear();
    this.#held.clear();
    await this.#flushReleases().catch(() => undefined);
  }

  #holdsReplace(): boolean {
    for (const schedule of this.#held.values())
      if (this.policyOf(schedule) === 'Replace') return true;
    return false;
  }

  #waiterSchedules(): [string, string][] {
    return [...this.#waiters].map(([runId, waiter]) => [runId, waiter.schedule]);
  }

  #hold(runId: string, schedule: string): void {
    this.#held.set(runId, schedule);
    this.#heldSince.set(runId, performance.now());
    this.#ensureTimer();
  }

  async #take(schedule: string, runId: string): Promise<SlotView> {
    const { rows } = await this.#o.pool.query<SlotRow>(SLOT_TAKE_SQL, [
      schedule,
      runId,
      this.#o.replicaId,
      this.expirySeconds,
    ]);
    const row = rows[0];
    // The statement always returns the slot; without it, the fire does not start (never two at once).
    if (row === undefined) throw new Error(`the slot of ${schedule} was not returned`);
    return {
      holder: row.runId ? { runId: row.runId, replica: row.owner ?? '?' } : null,
      next: row.nextRunId ? { runId: row.nextRunId, replica: row.nextOwner ?? '?' } : null,
    };
  }

  /** The holder ended between the look and the queue/replace statement: take the slot, or skip. */
  async #retake(schedule: string, runId: string, why: 'queue' | 'replace'): Promise<void> {
    const view = await this.#take(schedule, runId);
    if (view.holder?.runId === runId) return this.#hold(runId, schedule);
    const behind = view.next ? `run ${view.next.runId}` : 'another fire';
    throw skipped(
      why === 'queue'
        ? `${behind} is already queued behind run ${view.holder?.runId ?? '?'} (concurrencyPolicy Queue)`
        : `the slot was taken by run ${view.holder?.runId ?? '?'} meanwhile (concurrencyPolicy Replace)`,
      schedule,
    );
  }

  #wait(runId: string, schedule: string, why: 'queue' | 'replace'): Promise<void> {
    this.#ensureTimer();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.set(runId, { schedule, why, resolve, reject });
    });
  }

  #ensureTimer(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => void this.#pass(), this.#o.pollMs);
    this.#timer.unref();
  }

  #passing = false;

  /** One look: releases, renewals, stop requests, and the turn of waiting fires. */
  async #pass(): Promise<void> {
    if (this.#passing) return;
    this.#passing = true;
    try {
      await this.#flushReleases();
      await this.#renew();
      // Stop requests only concern Replace schedules: Forbid and Queue holders cost no look.
      if (this.#waiters.size > 0 || this.#holdsReplace()) await this.#watch();
      if (this.#held.size === 0 && this.#waiters.size === 0 && this.#releases.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    } catch (error) {
      this.#o.logger.warn(
        { error: error instanceof Error ? error.message : String(error) },
        'concurrency slots: the store could not be reached; trying again',
      );
    } finally {
      this.#passing = false;
    }
  }

  /** Send the releases in one statement per pass (one run per schedule in each). */
  async #flushReleases(): Promise<void> {
    if (this.#releases.size === 0) return;
    const batch = new Map<string, string>();
    for (const [runId, schedule] of this.#releases)
      if (!batch.has(schedule)) batch.set(schedule, runId);
    await this.#o.pool.query(SLOT_RELEASE_SQL, [[...batch.keys()], [...batch.values()]]);
    for (const runId of batch.values()) this.#releases.delete(runId);
  }

  /** Renew held slots every lease / 6; a slot whose run is neither running nor about to is let go. */
  async #renew(): Promise<void> {
    const now = performance.now();
    if (this.#held.size === 0 || now - this.#lastRenew < this.#o.leaseMs / 6) return;
    this.#lastRenew = now;
    for (const [runId, schedule] of [...this.#held]) {
      const young = now - (this.#heldSince.get(runId) ?? now) < this.#o.leaseMs;
      if (!young && this.#runs !== undefined && !this.#runs.isActive(runId, schedule))
        this.release(runId, schedule);
    }
    await this.#o.pool.query(SLOT_RENEW_SQL, [this.#o.replicaId, [...this.#held.keys()]]);
  }

  async #watch(): Promise<void> {
    const { rows } = await this.#o.pool.query<SlotRow>(SLOT_WATCH_SQL, [
      this.#o.replicaId,
      this.expirySeconds,
      [...this.#waiters.keys()],
    ]);
    const bySchedule = new Map(rows.map((row) => [row.schedule, row]));
    for (const row of rows) {
      const victim = row.cancelRunId;
      if (victim && row.owner === this.#o.replicaId && this.#held.has(victim)) {
        if (!this.#cancelled.has(victim)) {
          this.#cancelled.add(victim);
          this.#runs?.cancel(victim, row.cancelReason ?? 'replaced (concurrencyPolicy Replace)');
        }
      }
    }
    for (const [runId, waiter] of [...this.#waiters]) {
      const row = bySchedule.get(waiter.schedule);
      if (row?.runId === runId) {
        this.#waiters.delete(runId);
        this.#hold(runId, waiter.schedule);
        waiter.resolve();
      } else if (row?.nextRunId !== runId) {
        this.#waiters.delete(runId);
        waiter.reject(
          skipped(
            waiter.why === 'replace'
              ? `replaced by a later fire before it started (concurrencyPolicy Replace)`
              : 'the queued fire was dropped from the queue',
            waiter.schedule,
          ),
        );
      } else if (row.runId === null || row.expired) {
        const view = await this.#take(waiter.schedule, runId);
        if (view.holder?.runId === runId) {
          this.#waiters.delete(runId);
          this.#hold(runId, waiter.schedule);
          waiter.resolve();
        }
      }
    }
  }
}
