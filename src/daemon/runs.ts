// Runs: carries out the fire plans of each schedule — starts, queues, catch-up queues, Replace, the cap.
import type { Logger } from 'pino';
import type { FireIntent } from '../history/journal.js';
import type { HistoryStore, RunRecord, RunTrigger } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { runTask as RunTaskFn } from '../runtime/run-job.js';
import type { deliverNotification as DeliverFn } from '../runtime/notify.js';
import { planDueFires, type FireTrigger } from '../runtime/plan-fires.js';
import { planSlot, planStart, type StartPlan } from '../runtime/plan-start.js';
import type { DueFires } from '../runtime/scheduler.js';
import type { Clock } from '../shared/clock.js';
import { buildAfterIntent, Downstreams } from './downstream.js';
import { WaitingFires, type PendingFire } from './waiting-fires.js';
import { isClaimedElsewhere, type FireLedger } from './fire-ledger.js';
import { UnstartedFires } from './unstarted-fires.js';
import type { SecretSource } from './invocation.js';
import { executeRun, type ActiveRun, type RunExecutionDeps } from './run-execution.js';
import { FireFactory } from './fire-factory.js';
import { createClusterRuns } from './cluster-runs.js';
import { recordMissedOnce } from './missed-once.js';
import { PreparedFires, sleepUnlessAborted, type PreparedFire } from './prepared-fires.js';
import { stopReplaced } from './replaced-runs.js';
import { Notifier } from './run-notify.js';
import { RunRecorder, type RunEvent } from './run-records.js';
import { followLedgerDecision } from './ledger-decision.js';
import type { StartResult } from './start-result.js';

export type { RunEvent } from './run-records.js';
export type { StartResult } from './start-result.js';

export interface RunManagerOptions {
  clock: Clock;
  history: HistoryStore;
  /** Where a fire is made durable before its process starts. */
  journal: FireLedger;
  logger: Logger;
  runTask: typeof RunTaskFn;
  deliverNotification: typeof DeliverFn;
  secrets: SecretSource;
  /** Global cap on runs in progress; fires beyond it wait in scheduled order. @default null (no cap) */
  maxConcurrentRuns?: number | null;
  /** @default Math.random */
  random?: () => number;
  /** Waits `ms`, ending early (resolving) when `signal` aborts. @default a real timer */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * How long to put off starting a caught-up fire now (a regular instant is due within moments). @default none
   */
  deferCatchUpMs?: () => number;
  onEvent?: (event: RunEvent) => void;
}

/** What `running` answers for a schedule with no run in progress (shared; never changed). */
const NOT_RUNNING: readonly never[] = Object.freeze([]);

export class RunManager {
  readonly #o: Required<Omit<RunManagerOptions, 'onEvent'>> & Pick<RunManagerOptions, 'onEvent'>;
  readonly #jobs = new Map<string, DesiredSchedule>();
  readonly #active = new Map<string, Set<ActiveRun>>();
  readonly #waiting: WaitingFires;
  readonly #notifier: Notifier;
  readonly #recorder: RunRecorder;
  readonly #exec: RunExecutionDeps;
  readonly #downstreams: Downstreams;
  readonly #prepared = new PreparedFires();
  readonly #fires: FireFactory;
  /** Fires made durable or claimed that do not start as planned: recorded, or left to a gap. */
  readonly #unstarted: UnstartedFires;
  /** Catch-up releases put off until just after a regular instant. */
  readonly #retries = new Map<string, NodeJS.Timeout>();
  #running = 0;
  #stopping = false;

  constructor(options: RunManagerOptions) {
    this.#o = {
      maxConcurrentRuns: null,
      random: Math.random,
      sleep: sleepUnlessAborted,
      deferCatchUpMs: () => 0,
      ...options,
    };
    const { clock, logger, history } = this.#o;
    this.#unstarted = new UnstartedFires({
      clock,
      logger,
      ledger: this.#o.journal,
      recorder: () => this.#recorder,
      fires: () => this.#fires,
      job: (name) => this.#jobs.get(name),
      stopping: () => this.#stopping,
      handleDue: (due, trigger) => this.handleDue(due, trigger),
      sleep: this.#o.sleep,
    });
    this.#fires = new FireFactory(clock, this.#o.journal, this.#unstarted.onAnswered);
    this.#notifier = new Notifier({
      clock,
      logger,
      secrets: this.#o.secrets,
      deliverNotification: this.#o.deliverNotification,
    });
    this.#recorder = new RunRecorder({
      clock,
      history,
      logger,
      notifier: this.#notifier,
      newRunId: () => this.#fires.newRunId(),
      onEvent: this.#o.onEvent,
      onFinished: (job, record) => this.#downstreams.onEnded(job, record),
    });
    this.#downstreams = new Downstreams({
      clock,
      recorder: this.#recorder,
      job: (name) => this.#jobs.get(name),
      newRunId: () => this.#fires.newRunId(),
      append: (intents) => this.#fires.append(intents),
      stopping: () => this.#stopping,
      startState: (name) => this.#startState(name),
      carryOut: (job, fire, plan, commit) => this.#carryOut(job, fire, plan, commit, undefined),
    });
    this.#waiting = new WaitingFires(this.#recorder);
    // Several replicas: the ledger decides concurrencyPolicy for the cluster, with the claim.
    this.#o.journal.bindRuns?.(
      createClusterRuns({
        jobs: this.#jobs,
        active: this.#active,
        waiting: (name) => this.#waiting.inFlight(name),
      }),
    );
    this.#exec = {
      clock,
      history,
      logger,
      recorder: this.#recorder,
      runTask: this.#o.runTask,
      secrets: this.#o.secrets,
      random: this.#o.random,
      sleep: this.#o.sleep,
      ...(this.#unstarted.leavesUnclaimed && {
        leaveUnclaimed: (run: ActiveRun) =>
          this.#unstarted.leaveUnclaimed(run.job, run.record, run.unrecorded),
      }),
    };
  }

  /** Create or update the definition used by future fires; in-flight runs keep the version they started with. */
  define(job: DesiredSchedule): void {
    this.#jobs.set(job.name, job);
    this.#downstreams.define(job);
    this.#o.history.setRetention(job.name, job.spec.history);
  }

  /** Forget a schedule: its in-flight runs finish and are recorded; fires still waiting are not started. */
  undefine(name: string): void {
    const job = this.#jobs.get(name);
    this.#jobs.delete(name);
    this.#downstreams.undefine(name);
    this.#prepared.forget(name);
    if (job) this.#waiting.dropAll(job, 'the schedule was removed before the fire started');
  }

  /** Runs in progress for `name` (all versions). */
  running(name: string): readonly { runId: string; startedAt: Date; attempt: number }[] {
    // Asked for every schedule on every status build: the usual answer allocates nothing.
    const active = this.#active.get(name);
    if (active === undefined) return NOT_RUNNING;
    return [...active].map((a) => ({
      runId: a.record.id,
      startedAt: new Date(a.record.startedAt ?? a.record.scheduledAt),
      attempt: a.record.attempts.length,
    }));
  }

  /** Schedules with a run in progress or a fire waiting; every other one has neither. */
  busyNames(): Set<string> {
    const names = this.#waiting.names();
    for (const name of this.#active.keys()) names.add(name);
    return names;
  }

  /** Fires of `name` waiting to start (queued, catch-up, for a slot, or for a replaced run to go). */
  waiting(name: string): number {
    return this.#waiting.count(name);
  }

  /** A new run id (sortable by creation time). */
  newRunId(): string {
    return this.#fires.newRunId();
  }

  get runningCount(): number {
    return this.#running;
  }

  /** After a restart: start (or record missed) durable `after` fires, and what is after interrupted runs. */
  resumeAfter(intents: readonly FireIntent[], interrupted: readonly RunRecord[]): void {
    if (!this.#stopping) this.#downstreams.resume(intents, interrupted);
  }

  /** Make upcoming fires durable before their instant (prepared-fires.ts). */
  prepare(items: { name: string; at: Date }[]): void {
    if (!this.#stopping) this.#prepared.prepare(items, (name) => this.#jobs.get(name), this.#fires);
  }

  /**
   * Carry out the fire planner's decision about instants of one schedule that came due. Once stopping,
   * the fire is recorded as skipped by start() and catch-ups wait for shutdown() to record them.
   */
  handleDue(due: DueFires, trigger: 'schedule' | 'catchup' = 'schedule'): void {
    const job = this.#jobs.get(due.name);
    if (!job) return;
    const prepared = this.#prepared.takeUpTo(due.name, due.last);
    const plan = planDueFires({
      compiled: job.compiled,
      policy: job.spec,
      due,
      trigger,
      now: due.now,
      claimed: [...prepared.keys()].map((ms) => new Date(ms)),
    });
    if (plan.missed)
      recordMissedOnce(this.#o.journal, this.#recorder, job, plan.missed, () => this.newRunId());
    if (plan.fire) {
      this.start(job.name, plan.fire, 'schedule', prepared.get(plan.fire.getTime()));
    } else {
      // Nothing started moves the watermark: every instant up to it is dealt with.
      void this.#o.history.setLastScheduledAt(job.name, plan.watermark.toISOString());
    }
    if (plan.catchUp.length > 0) {
      const fires = plan.catchUp.map((at) =>
        this.#fires.pending(job, at, 'catchup', prepared.get(at.getTime())?.runId),
      );
      for (const fire of fires) {
        const ready = prepared.get(Date.parse(fire.record.scheduledAt));
        fire.committed =
          ready !== undefined && fire.record.id === ready.runId
            ? ready.committed
            : this.#fires.append([fire.intent]);
        // Another replica runs it (and records it): not recorded here if it expires while waiting.
        fire.committed.catch((err: unknown) => (fire.claimedElsewhere = isClaimedElsewhere(err)));
      }
      this.#waiting.enqueueCatchUps(job.name, fires);
      this.#startWaiting(job.name);
    }
    // Usually the one prepared fire is the one started; any other is recorded, never dropped.
    const usual =
      prepared.size === 1 && plan.fire !== undefined && prepared.has(plan.fire.getTime());
    if (prepared.size > 0 && !usual) this.#unstarted.settle(job, plan, prepared);
  }

  /** Start one fire of `name` for instant `scheduledAt`, honouring concurrencyPolicy and the global cap. */
  start(
    name: string,
    scheduledAt: Date,
    trigger: FireTrigger,
    prepared?: PreparedFire,
    givenRunId?: string,
  ): StartResult {
    const job = this.#jobs.get(name);
    const runId = prepared?.runId ?? givenRunId ?? this.#fires.newRunId();
    if (!job) return { runId, outcome: 'skipped', reason: `schedule "${name}" is not loaded` };
    const fire = this.#fires.pending(job, scheduledAt, trigger, runId);
    const record = fire.record;
    // Run now on a ledger shared by replicas answers once the cluster's policy has decided (a fire waiting
    // for another replica's run is recorded pending, as a queued one is on one node).
    const decision =
      trigger === 'manual' && this.#o.journal.bindRuns
        ? followLedgerDecision(() => this.#recorder.record(record))
        : undefined;
    // Only fires that will run (now or after waiting) go to the ledger; skipped ones are just recorded.
    const commit = (): Promise<void> => {
      const committed =
        prepared?.committed ?? this.#fires.append([fire.intent], decision?.onWaiting);
      decision?.follow(committed);
      return committed;
    };
    const watermark = trigger === 'schedule' ? record.scheduledAt : undefined;
    if (this.#stopping) {
      this.#recorder.finishUnstarted(record, 'skipped', 'the daemon is shutting down', watermark);
      return { runId, outcome: 'skipped', reason: 'the daemon is shutting down' };
    }
    const plan = this.#planStart(job, trigger, runId);
    const result = this.#carryOut(job, fire, plan, commit, watermark);
    return decision ? decision.attach(result) : result;
  }

  /** Start no fire from now on (shutdown begins); what waits is recorded by shutdown(). */
  stopStarting(): void {
    this.#stopping = true;
    this.#unstarted.stop();
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
  }

  /**
   * Stop starting fires; let runs in progress finish for up to `graceMs`, then terminate them (recorded
   * `interrupted`). Waiting fires are not started.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.stopStarting();
    for (const job of this.#jobs.values())
      this.#waiting.dropAll(job, 'the daemon shut down before the fire started');
    this.#waiting.dropRest('the daemon shut down before the fire started');
    const all = (): ActiveRun[] => [...this.#active.values()].flatMap((s) => [...s]);
    const finished = Promise.all(all().map((a) => a.done));
    const graceTimer = new AbortController();
    const graceOver = await Promise.race([
      finished.then(() => false),
      this.#o.sleep(graceMs, graceTimer.signal).then(() => !graceTimer.signal.aborted),
    ]);
    graceTimer.abort();
    if (graceOver) {
      for (const run of all()) {
        run.abortAs = 'interrupted';
        run.abortReason = `the daemon shut down; the run was terminated after the ${graceMs} ms shutdown grace`;
        run.abort.abort();
      }
      await Promise.all(all().map((a) => a.done));
    }
    await this.#notifier.settled();
  }

  #carryOut(
    job: DesiredSchedule,
    fire: PendingFire,
    plan: StartPlan,
    commit: () => Promise<void>,
    watermark: string | undefined,
  ): StartResult {
    const { record } = fire;
    const runId = record.id;
    switch (plan.action) {
      case 'skip':
        this.#recorder.finishUnstarted(record, 'skipped', plan.reason, watermark);
        return { runId, outcome: 'skipped', reason: plan.reason };
      case 'queue':
        fire.committed = commit();
        this.#waiting.setQueued(job.name, fire);
        this.#recorder.record(record, watermark);
        return { runId, outcome: 'waiting', reason: plan.reason };
      case 'wait-for-slot':
        fire.committed = commit();
        this.#waiting.pushCapped(fire);
        this.#recorder.record(record, watermark);
        return { runId, outcome: 'waiting', reason: plan.reason };
      case 'replace':
        fire.committed = commit();
        this.#replace(job, fire, plan, watermark);
        return { runId, outcome: 'started' };
      case 'start':
        this.#launch(job, record, commit(), true);
        return { runId, outcome: 'started' };
    }
  }

  /**
   * Replace: terminate the runs in flight, and start the new fire once their process groups are gone
   * (bounded by killGracePeriod and the moment a SIGKILL takes), so that old and new never overlap.
   */
  #replace(
    job: DesiredSchedule,
    fire: PendingFire,
    plan: Extract<StartPlan, { action: 'replace' }>,
    watermark: string | undefined,
  ): void {
    if (plan.dropCatchUps)
      this.#waiting.dropCatchUps(
        job,
        `dropped: ${plan.reason.replace(/^replaced/, 'the schedule was replaced')}`,
      );
    // A fire still waiting for an earlier replacement is replaced before it started.
    this.#waiting.replaceWaiting(job.name, fire, plan.reason);
    this.#recorder.record(fire.record, watermark);
    const active = this.#active.get(job.name);
    const { killGracePeriod } = job.spec;
    void stopReplaced(active, plan.replace, plan.reason, killGracePeriod, this.#o.sleep).then(
      () => {
        if (!this.#waiting.takeReplacing(job.name, fire) || this.#stopping) return;
        const slot = planSlot(this.#capState());
        if (slot.action === 'start')
          this.#launch(this.#jobs.get(job.name) ?? job, fire.record, fire.committed);
        else this.#waiting.pushCapped(fire);
      },
    );
  }

  #launch(
    job: DesiredSchedule,
    record: RunRecord,
    committed: Promise<void>,
    unrecorded?: boolean,
  ): void {
    const run: ActiveRun = {
      record,
      committed,
      job,
      ...(unrecorded === true && { unrecorded }),
      abort: new AbortController(),
      done: Promise.resolve(),
      ...(record.trigger === 'after' && {
        beforeStart: () => this.#fires.append([buildAfterIntent(record, false)]),
      }),
    };
    const set = this.#active.get(job.name) ?? new Set<ActiveRun>();
    set.add(run);
    this.#active.set(job.name, set);
    this.#running += 1;
    run.done = executeRun(run, this.#exec)
      .catch((err: unknown) => {
        this.#o.logger.error(
          { err, schedule: job.name, runId: record.id, attempt: record.attempts.length },
          'run failed unexpectedly',
        );
        record.status = 'failed';
        record.reason = `internal error: ${err instanceof Error ? err.message : String(err)}`;
        this.#recorder.finish(job, record);
      })
      .finally(() => {
        set.delete(run);
        this.#o.journal.release?.(record);
        if (set.size === 0 && this.#active.get(job.name) === set) this.#active.delete(job.name);
        this.#running -= 1;
        this.#startWaiting(job.name);
      });
  }

  /** A run of `name` ended (or catch-ups arrived): start what waits for it, then what waits for a slot. */
  #startWaiting(name: string): void {
    if (this.#stopping) return;
    const job = this.#jobs.get(name);
    if (job) {
      const now = this.#o.clock.now();
      // A catch-up process started in the moments before a regular instant would make that fire late.
      const defer = this.#waiting.catchUpCount(name) > 0 ? this.#o.deferCatchUpMs() : 0;
      if (defer > 0) this.#retryLater(name, defer);
      while (defer <= 0) {
        const next = this.#waiting.releaseCatchUp(job, this.#inFlight(name), now);
        if (!next) break;
        const plan = this.#planStart(job, 'catchup', next.record.id);
        this.#carryOut(job, next, plan, () => next.committed, undefined);
      }
      const queued = this.#waiting.releaseQueued(name, this.#inFlight(name).length === 0);
      if (queued) {
        if (planSlot(this.#capState()).action === 'start')
          this.#launch(job, queued.record, queued.committed);
        else this.#waiting.pushCapped(queued);
      }
    }
    const cap = this.#o.maxConcurrentRuns;
    while (cap === null || this.#running < cap) {
      const next = this.#waiting.shiftCapped(this.#o.clock.now());
      if (!next) break;
      const owner = this.#jobs.get(next.record.schedule);
      if (owner) this.#launch(owner, next.record, next.committed);
    }
  }

  /** Look at what waits for `name` again in `ms` (one timer per schedule). */
  #retryLater(name: string, ms: number): void {
    if (this.#retries.has(name)) return;
    const timer = setTimeout(() => {
      this.#retries.delete(name);
      this.#startWaiting(name);
    }, ms);
    timer.unref();
    this.#retries.set(name, timer);
  }

  /** The start plan; with a ledger shared by replicas, concurrencyPolicy is the ledger's (only the cap is local). */
  #planStart(job: DesiredSchedule, trigger: FireTrigger, runId: string): StartPlan {
    if (this.#o.journal.bindRuns) return planSlot(this.#capState());
    return planStart({ policy: job.spec, trigger, runId, state: this.#startState(job.name) });
  }

  /** What the start planner looks at for `name`. */
  #startState(name: string) {
    return {
      running: this.#inFlight(name),
      queued: this.#waiting.hasQueued(name),
      catchUpPending: this.#waiting.catchUpCount(name),
      ...this.#capState(),
    };
  }

  /** Runs of `name` in progress, plus fires of it waiting for a slot or for a replaced run to go. */
  #inFlight(name: string): { runId: string; trigger: RunTrigger }[] {
    const runs = [...(this.#active.get(name) ?? [])].map((run) => ({
      runId: run.record.id,
      trigger: run.record.trigger,
    }));
    return [...runs, ...this.#waiting.inFlight(name)];
  }

  #capState() {
    return { runningTotal: this.#running, maxConcurrentRuns: this.#o.maxConcurrentRuns };
  }
}
