// Carrying out `spec.after`: the end of a run makes its downstream fires durable, then starts them.
import type { FireIntent } from '../history/journal.js';
import type { RunRecord } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import { isWithinDeadline, planAfterFires, type AfterFire } from '../runtime/plan-after.js';
import { planStart, type StartPlan, type StartState } from '../runtime/plan-start.js';
import type { Clock } from '../shared/clock.js';
import type { RunRecorder } from './run-records.js';
import type { PendingFire } from './waiting-fires.js';

/** What the downstream side needs from the run manager. */
export interface DownstreamDeps {
  clock: Clock;
  recorder: RunRecorder;
  /** The definition in use for a schedule. */
  job: (name: string) => DesiredSchedule | undefined;
  newRunId: () => string;
  /** Append to the fire ledger (the promise may reject: FIRE_NOT_DURABLE). */
  append: (intents: FireIntent[]) => Promise<void>;
  /** What the start planner looks at for a schedule. */
  startState: (name: string) => StartState;
  /** Carry out a start plan; `commit` is called only for a fire that will run. */
  carryOut: (
    job: DesiredSchedule,
    fire: PendingFire,
    plan: StartPlan,
    commit: () => Promise<void>,
  ) => void;
  /** Whether the daemon is stopping: fires are made durable, and started after the restart. */
  stopping: () => boolean;
}

/** The intent of a downstream fire: `awaitingStart` when made durable at its upstream's end. */
export function buildAfterIntent(record: RunRecord, awaitingStart: boolean): FireIntent {
  return {
    runId: record.id,
    schedule: record.schedule,
    scheduledAt: record.scheduledAt,
    trigger: 'after',
    specHash: record.specHash,
    ...(record.upstream !== undefined && { upstream: record.upstream }),
    ...(record.chainId !== undefined && { chainId: record.chainId }),
    ...(record.logicalTime !== undefined && { logicalTime: record.logicalTime }),
    ...(awaitingStart && { awaitingStart: true as const }),
  };
}

/** Schedules by the upstreams they are after, kept up to date as definitions change. */
export class Downstreams {
  readonly #d: DownstreamDeps;
  /** upstream name → downstream names. */
  readonly #index = new Map<string, Set<string>>();
  /** upstream names of each downstream, to unindex it. */
  readonly #upstreamsOf = new Map<string, string[]>();

  constructor(deps: DownstreamDeps) {
    this.#d = deps;
  }

  define(job: DesiredSchedule): void {
    this.undefine(job.name);
    const upstreams = job.spec.after?.map((entry) => entry.schedule) ?? [];
    if (upstreams.length === 0) return;
    this.#upstreamsOf.set(job.name, upstreams);
    for (const upstream of upstreams) {
      const set = this.#index.get(upstream) ?? new Set<string>();
      set.add(job.name);
      this.#index.set(upstream, set);
    }
  }

  undefine(name: string): void {
    for (const upstream of this.#upstreamsOf.get(name) ?? []) {
      const set = this.#index.get(upstream);
      set?.delete(name);
      if (set?.size === 0) this.#index.delete(upstream);
    }
    this.#upstreamsOf.delete(name);
  }

  /**
   * A run of `job` ended (final status, after its retries): record skipped downstreams, make the others
   * durable in one ledger write (the same group commit as the upstream's own records), then start them.
   */
  onEnded(job: DesiredSchedule, record: RunRecord): void {
    const names = this.#index.get(job.name);
    if (names === undefined) return;
    const candidates: DesiredSchedule[] = [];
    for (const name of names) {
      const found = this.#d.job(name);
      if (found) candidates.push(found);
    }
    const now = this.#d.clock.now();
    const plan = planAfterFires({
      ended: {
        schedule: job.name,
        runId: record.id,
        status: record.status,
        scheduledAt: record.scheduledAt,
        ...(record.chainId !== undefined && { chainId: record.chainId }),
        ...(record.logicalTime !== undefined && { logicalTime: record.logicalTime }),
      },
      upstreamSuspended: (this.#d.job(job.name) ?? job).spec.suspend,
      candidates: candidates.map((c) => ({
        name: c.name,
        suspend: c.spec.suspend,
        ...(c.spec.after !== undefined && { after: c.spec.after }),
        ...(c.spec.activeFrom !== undefined && { activeFrom: c.spec.activeFrom }),
        ...(c.spec.activeUntil !== undefined && { activeUntil: c.spec.activeUntil }),
        ...(c.afterBlocked !== undefined && { afterBlocked: c.afterBlocked }),
      })),
      now,
    });
    for (const fire of plan) {
      const downstream = this.#d.job(fire.schedule);
      if (downstream === undefined) continue;
      const pending = this.#pendingFire(downstream, fire, this.#d.newRunId(), now);
      if (fire.action === 'skip') {
        this.#d.recorder.finishUnstarted(pending.record, 'skipped', fire.reason ?? 'skipped');
        continue;
      }
      if (this.#d.stopping()) {
        // Durable now, started (or recorded missed) after the restart: a shutdown loses no downstream.
        void this.#d.append([pending.intent]).catch(() => undefined);
        continue;
      }
      this.#start(downstream, pending, () => this.#d.append([pending.intent]));
    }
  }

  /**
   * After a restart: downstream fires that were made durable but never started. Each starts when it is
   * still within its schedule's startingDeadline of its upstream's end, else it is recorded missed. Runs a
   * crash interrupted ended at the restart: what is after them (`when: finished`) starts.
   */
  resume(intents: readonly FireIntent[], interrupted: readonly RunRecord[]): void {
    for (const run of interrupted) {
      const job = this.#d.job(run.schedule);
      if (job) this.onEnded(job, run);
    }
    const now = this.#d.clock.now();
    for (const intent of intents) {
      const job = this.#d.job(intent.schedule);
      if (job === undefined) continue;
      const fire: AfterFire = {
        schedule: intent.schedule,
        action: 'fire',
        upstream: intent.upstream ?? { schedule: '', runId: '', status: '' },
        chainId: intent.chainId ?? intent.upstream?.runId ?? intent.runId,
        logicalTime: intent.logicalTime ?? intent.scheduledAt,
      };
      const pending = this.#pendingFire(job, fire, intent.runId, new Date(intent.scheduledAt));
      if (!isWithinDeadline(intent.scheduledAt, job.spec.startingDeadline, now)) {
        const at = new Date(intent.scheduledAt);
        this.#d.recorder.recordMissed(
          job,
          {
            count: 1,
            first: at,
            last: at,
            reason: `the daemon was down when ${fire.upstream.schedule} run ${fire.upstream.runId} ended, and restarted more than its startingDeadline (${job.spec.startingDeadline} ms) later`,
          },
          {
            id: intent.runId,
            trigger: 'after',
            link: { upstream: fire.upstream, chainId: fire.chainId, logicalTime: fire.logicalTime },
          },
        );
        continue;
      }
      // Its fire is durable already: only its start is appended, when it starts.
      this.#start(job, pending, () => Promise.resolve());
    }
  }

  #start(job: DesiredSchedule, fire: PendingFire, commit: () => Promise<void>): void {
    const state = this.#d.startState(job.name);
    const plan = planStart({ policy: job.spec, trigger: 'after', runId: fire.record.id, state });
    this.#d.carryOut(job, fire, plan, commit);
  }

  #pendingFire(job: DesiredSchedule, fire: AfterFire, runId: string, at: Date): PendingFire {
    const record: RunRecord = {
      id: runId,
      schedule: job.name,
      trigger: 'after',
      scheduledAt: at.toISOString(),
      status: 'pending',
      attempts: [],
      specHash: job.hash,
      upstream: fire.upstream,
      chainId: fire.chainId,
      logicalTime: fire.logicalTime,
    };
    return { record, job, intent: buildAfterIntent(record, true), committed: Promise.resolve() };
  }
}
