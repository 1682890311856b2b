// Fires that wait: per-schedule catch-up queues, the Queue policy's one fire, the global cap, Replace.
import type { FireIntent } from '../history/journal.js';
import type { RunRecord, RunTrigger } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import { describeExpiredCatchUp, isWithinDeadline } from '../runtime/plan-fires.js';
import { isCatchUpTurn, type RunInFlight } from '../runtime/plan-start.js';
import type { RunRecorder } from './run-records.js';

/** A fire that has a run id and (once it will run) an intent in the ledger, but no process yet. */
export interface PendingFire {
  record: RunRecord;
  job: DesiredSchedule;
  intent: FireIntent;
  /** Resolves when the intent is durable; rejects when it cannot be. */
  committed: Promise<void>;
  /** Another replica won its claim: it runs and records the fire, so this one records nothing of it. */
  claimedElsewhere?: boolean;
}

/** Keeps the fires that wait and lets them go in the order the planners say. */
export class WaitingFires {
  readonly #recorder: RunRecorder;
  /** Catch-up instants of each schedule, oldest first: they start one at a time. */
  readonly #catchUps = new Map<string, PendingFire[]>();
  /** Queue policy: the one fire waiting behind a run or after the catch-up queue. */
  readonly #queued = new Map<string, PendingFire>();
  /** Fires waiting for a slot under --max-concurrent-runs, in scheduled order. */
  #capped: PendingFire[] = [];
  /** Replace: the fire waiting for the runs it replaces to be gone. */
  readonly #replacing = new Map<string, PendingFire>();

  constructor(recorder: RunRecorder) {
    this.#recorder = recorder;
  }

  enqueueCatchUps(name: string, fires: PendingFire[]): void {
    const queue = this.#catchUps.get(name) ?? [];
    queue.push(...fires);
    this.#catchUps.set(name, queue);
  }

  catchUpCount(name: string): number {
    return this.#catchUps.get(name)?.length ?? 0;
  }

  /**
   * The next catch-up fire of `job` when it is its turn (one at a time), or undefined. Instants that
   * passed startingDeadline while they waited become one missed record.
   */
  releaseCatchUp(
    job: DesiredSchedule,
    inFlight: readonly RunInFlight[],
    now: Date,
  ): PendingFire | undefined {
    const queue = this.#catchUps.get(job.name);
    if (!queue || queue.length === 0 || !isCatchUpTurn(job.spec, inFlight)) return undefined;
    const expired: PendingFire[] = [];
    let next: PendingFire | undefined;
    while (queue.length > 0) {
      const head = queue.shift()!;
      if (isWithinDeadline(new Date(head.record.scheduledAt), job.spec.startingDeadline, now)) {
        next = head;
        break;
      }
      expired.push(head);
    }
    if (queue.length === 0) this.#catchUps.delete(job.name);
    const mine = expired.filter((fire) => fire.claimedElsewhere !== true);
    if (mine.length > 0) this.#recordExpired(job, mine);
    return next;
  }

  setQueued(name: string, fire: PendingFire): void {
    this.#queued.set(name, fire);
  }

  hasQueued(name: string): boolean {
    return this.#queued.has(name);
  }

  /** The queued fire of `name`, once the schedule is idle and its catch-up queue is empty. */
  releaseQueued(name: string, idle: boolean): PendingFire | undefined {
    const queued = this.#queued.get(name);
    if (!queued || !idle || this.catchUpCount(name) > 0) return undefined;
    this.#queued.delete(name);
    return queued;
  }

  pushCapped(fire: PendingFire): void {
    this.#capped.push(fire);
    this.#capped.sort((a, b) =>
      a.record.scheduledAt < b.record.scheduledAt
        ? -1
        : a.record.scheduledAt > b.record.scheduledAt
          ? 1
          : 0,
    );
  }

  /** The oldest fire waiting for a slot; a catch-up fire that passed its deadline meanwhile is missed. */
  shiftCapped(now: Date): PendingFire | undefined {
    for (;;) {
      const next = this.#capped.shift();
      if (!next) return undefined;
      const { record, job } = next;
      if (
        record.trigger === 'catchup' &&
        !isWithinDeadline(new Date(record.scheduledAt), job.spec.startingDeadline, now)
      ) {
        this.#recordExpired(job, [next]);
        continue;
      }
      return next;
    }
  }

  /** `fire` now waits for replaced runs to go; one that already waited is replaced before it started. */
  replaceWaiting(name: string, fire: PendingFire, reason: string): void {
    const previous = this.#replacing.get(name);
    if (previous) this.#recorder.finishUnstarted(previous.record, 'cancelled', reason);
    this.#replacing.set(name, fire);
  }

  /** Whether `fire` still waits for its replaced runs (it is taken out). */
  takeReplacing(name: string, fire: PendingFire): boolean {
    if (this.#replacing.get(name) !== fire) return false;
    this.#replacing.delete(name);
    return true;
  }

  /** Fires of `name` that count as in flight: waiting for a slot, or for replaced runs to go. */
  inFlight(name: string): { runId: string; trigger: RunTrigger }[] {
    const fires = this.#capped.filter((f) => f.record.schedule === name);
    const replacing = this.#replacing.get(name);
    if (replacing) fires.push(replacing);
    return fires.map((f) => ({ runId: f.record.id, trigger: f.record.trigger }));
  }

  count(name: string): number {
    let count = this.catchUpCount(name) + (this.#queued.has(name) ? 1 : 0);
    if (this.#replacing.has(name)) count += 1;
    for (const fire of this.#capped) if (fire.record.schedule === name) count += 1;
    return count;
  }

  /** Schedules with a fire waiting. */
  names(): Set<string> {
    const names = new Set([...this.#catchUps.keys(), ...this.#queued.keys()]);
    for (const name of this.#replacing.keys()) names.add(name);
    for (const fire of this.#capped) names.add(fire.record.schedule);
    return names;
  }

  /** Replace arrived during catch-up: the pending catch-up fires become one missed record. */
  dropCatchUps(job: DesiredSchedule, reason: string): void {
    const queue = this.#catchUps.get(job.name);
    this.#catchUps.delete(job.name);
    if (queue && queue.length > 0) this.#recordDropped(job, queue, reason);
  }

  /** Nothing of `job` that waits will start (the schedule is removed, or the daemon stops). */
  dropAll(job: DesiredSchedule, reason: string): void {
    this.dropCatchUps(job, reason);
    const name = job.name;
    const unstarted = this.#capped.filter((f) => f.record.schedule === name);
    this.#capped = this.#capped.filter((f) => f.record.schedule !== name);
    const queued = this.#queued.get(name);
    if (queued) unstarted.push(queued);
    this.#queued.delete(name);
    const replacing = this.#replacing.get(name);
    if (replacing) unstarted.push(replacing);
    this.#replacing.delete(name);
    for (const fire of unstarted) this.#recorder.finishUnstarted(fire.record, 'skipped', reason);
  }

  /** Whatever still waits (of schedules no longer defined) is not started. */
  dropRest(reason: string): void {
    const rest = [...this.#capped, ...this.#queued.values(), ...this.#replacing.values()];
    this.#capped = [];
    this.#queued.clear();
    this.#replacing.clear();
    for (const fire of rest) this.#recorder.finishUnstarted(fire.record, 'skipped', reason);
    for (const queue of this.#catchUps.values())
      for (const fire of queue) this.#recorder.finishUnstarted(fire.record, 'skipped', reason);
    this.#catchUps.clear();
  }

  #recordExpired(job: DesiredSchedule, fires: PendingFire[]): void {
    if (fires.length === 1) {
      const at = new Date(fires[0]!.record.scheduledAt);
      this.#recorder.recordMissed(job, describeExpiredCatchUp(at, job.spec.startingDeadline), {
        trigger: 'catchup',
      });
      return;
    }
    this.#recordDropped(
      job,
      fires,
      `past startingDeadline (${job.spec.startingDeadline} ms) before their turn came`,
    );
  }

  #recordDropped(job: DesiredSchedule, fires: PendingFire[], reason: string): void {
    const first = new Date(fires[0]!.record.scheduledAt);
    const last = new Date(fires.at(-1)!.record.scheduledAt);
    const count = fires.length;
    const what =
      count === 1
        ? `the catch-up fire at ${first.toISOString()}`
        : `${count} catch-up fires from ${first.toISOString()} to ${last.toISOString()}`;
    this.#recorder.recordMissed(
      job,
      { count, first, last, reason: `${what} did not start: ${reason}` },
      { trigger: 'catchup' },
    );
  }
}
