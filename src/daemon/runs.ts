// Runs: what happens when a schedule comes due — catch-up, concurrency, retries, history, notifications.
import { monotonicFactory } from 'ulid';
import type { Logger } from 'pino';
import { countFiresBetween, iterateFires } from '../cron/fires.js';
import type { FireJournal, FireIntent } from '../history/journal.js';
import type { HistoryStore, RunRecord, RunStatus, RunTrigger } from '../history/store.js';
import type { NotifySpec } from '../manifest/schema.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { AttemptResult, runTask as RunTaskFn } from '../runtime/run-job.js';
import type { deliverNotification as DeliverFn } from '../runtime/notify.js';
import type { DueFires } from '../runtime/scheduler.js';
import type { Clock } from '../shared/clock.js';
import { retryDelayMs } from './backoff.js';
import {
  buildInvocation,
  resolveRendered,
  templateContextFor,
  type SecretSource,
} from './invocation.js';
import { renderTemplate } from '../manifest/templates.js';

/** Something the status, the event stream and the logs want to know about. */
export interface RunEvent {
  type: 'run:started' | 'run:finished' | 'run:recorded';
  run: RunRecord;
}

export interface RunManagerOptions {
  clock: Clock;
  history: HistoryStore;
  /** Where a fire is made durable before its process starts. */
  journal: FireJournal;
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
  onEvent?: (event: RunEvent) => void;
}

/** What became of a request to start a fire. */
export interface StartResult {
  runId: string;
  /** started: running now; waiting: queued behind a run or the global cap; skipped: not run (see reason). */
  outcome: 'started' | 'waiting' | 'skipped';
  reason?: string;
}

interface ActiveRun {
  record: RunRecord;
  /** Resolves when the fire's intent is durable in the journal. */
  committed: Promise<void>;
  job: DesiredSchedule;
  abort: AbortController;
  /** Why it was aborted, which decides its final status. */
  abortAs?: 'cancelled' | 'interrupted';
  abortReason?: string;
  done: Promise<void>;
}

interface WaitingFire {
  record: RunRecord;
  committed: Promise<void>;
  job: DesiredSchedule;
  /** Waiting behind a run of the same schedule (Queue policy) rather than the global cap. */
  kind: 'queue' | 'cap';
}

const FINISHED: ReadonlySet<RunStatus> = new Set([
  'succeeded',
  'failed',
  'timedOut',
  'interrupted',
  'cancelled',
]);

/** What `running` answers for a schedule with no run in progress (shared; never changed). */
const NOT_RUNNING: readonly never[] = Object.freeze([]);

const realSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export class RunManager {
  readonly #o: Required<Omit<RunManagerOptions, 'onEvent'>> & Pick<RunManagerOptions, 'onEvent'>;
  readonly #jobs = new Map<string, DesiredSchedule>();
  readonly #active = new Map<string, Set<ActiveRun>>();
  /** Queue policy: the one fire waiting behind each schedule's active run. */
  readonly #queued = new Map<string, WaitingFire>();
  /** Fires waiting for a slot under --max-concurrent-runs, in scheduled order. */
  #capped: WaitingFire[] = [];
  readonly #notifications = new Set<Promise<unknown>>();
  /** Fires made durable ahead of their instant, by `name@instantMs`. */
  readonly #prepared = new Map<string, { runId: string; committed: Promise<void> }>();
  readonly #ulid = monotonicFactory();
  #running = 0;
  #stopping = false;

  constructor(options: RunManagerOptions) {
    this.#o = {
      maxConcurrentRuns: null,
      random: Math.random,
      sleep: realSleep,
      ...options,
    };
  }

  /** Create or update the definition used by future fires; in-flight runs keep the version they started with. */
  define(job: DesiredSchedule): void {
    this.#jobs.set(job.name, job);
    this.#o.history.setRetention(job.name, job.spec.history);
  }

  /** Forget a schedule: its in-flight runs finish and are recorded; fires still waiting are recorded skipped. */
  undefine(name: string): void {
    this.#jobs.delete(name);
    for (const key of this.#prepared.keys())
      if (key.startsWith(`${name}@`)) this.#prepared.delete(key);
    const queued = this.#queued.get(name);
    if (queued) {
      this.#queued.delete(name);
      this.#finishUnstarted(
        queued.record,
        'skipped',
        'the schedule was removed before the fire started',
      );
    }
    for (const waiting of this.#capped.filter((w) => w.record.schedule === name)) {
      this.#finishUnstarted(
        waiting.record,
        'skipped',
        'the schedule was removed before the fire started',
      );
    }
    this.#capped = this.#capped.filter((w) => w.record.schedule !== name);
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
    const names = new Set(this.#active.keys());
    for (const name of this.#queued.keys()) names.add(name);
    for (const waiting of this.#capped) names.add(waiting.record.schedule);
    return names;
  }

  /** Fires of `name` waiting to start. */
  waiting(name: string): number {
    let count = this.#queued.has(name) ? 1 : 0;
    for (const waiting of this.#capped) if (waiting.record.schedule === name) count += 1;
    return count;
  }

  get runningCount(): number {
    return this.#running;
  }

  /**
   * Make upcoming fires durable before their instant (one journal write and fsync for the whole batch), so
   * that starting the process at the instant waits for nothing.
   */
  prepare(items: { name: string; at: Date }[]): void {
    if (this.#stopping) return;
    const intents: FireIntent[] = [];
    for (const { name, at } of items) {
      const job = this.#jobs.get(name);
      if (!job || job.spec.suspend) continue;
      const window = activeWindow(job.spec.activeFrom, job.spec.activeUntil);
      if (at.getTime() < window.from || at.getTime() > window.until) continue;
      const runId = this.#ulid(this.#o.clock.now().getTime());
      intents.push({
        runId,
        schedule: name,
        scheduledAt: at.toISOString(),
        trigger: 'schedule',
        specHash: job.hash,
      });
    }
    if (intents.length === 0) return;
    const committed = this.#o.journal.append(intents);
    // A fire that is never taken (its schedule removed) must not leave an unhandled rejection.
    committed.catch(() => undefined);
    for (const intent of intents) {
      this.#prepared.set(`${intent.schedule}@${Date.parse(intent.scheduledAt)}`, {
        runId: intent.runId,
        committed,
      });
    }
  }

  /**
   * Handle the fires of one schedule that came due. One instant within startingDeadline runs; an older one
   * is missed. Several at once (downtime, a clock step, a blocked event loop) follow `catchUp`: `latest`
   * starts the newest within the deadline, `all` each within it in order, `none` nothing; the rest become
   * one `missed` record for the whole gap.
   */
  handleDue(due: DueFires, trigger: RunTrigger = 'schedule'): void {
    const job = this.#jobs.get(due.name);
    if (!job || this.#stopping) return;
    const spec = job.spec;
    const lastIso = due.last.toISOString();
    const prepared = this.#takePrepared(due.name, due.last);
    if (spec.suspend) {
      // Deliberately paused: not run, not missed, and not caught up when resumed.
      void this.#o.history.setLastScheduledAt(job.name, lastIso);
      return;
    }
    const window = activeWindow(spec.activeFrom, spec.activeUntil);
    let { first, last, count } = due;
    if (window.from > first.getTime() || window.until < last.getTime()) {
      const clipped = countFiresBetween(
        job.compiled,
        spec.timezone,
        new Date(Math.max(first.getTime() - 1, window.from - 1)),
        new Date(Math.min(last.getTime(), window.until)),
      );
      if (clipped.count === 0 || !clipped.first || !clipped.last) {
        void this.#o.history.setLastScheduledAt(job.name, lastIso);
        return;
      }
      ({ first, last, count } = { first: clipped.first, last: clipped.last, count: clipped.count });
    }
    const nowMs = due.now.getTime();
    const deadline = spec.startingDeadline;
    const inTime = (at: Date): boolean => nowMs - at.getTime() <= deadline;
    let toStart: Date[] = [];
    if (count === 1) {
      if (inTime(first)) toStart = [first];
    } else if (spec.catchUp === 'latest') {
      if (inTime(last)) toStart = [last];
    } else if (spec.catchUp === 'all') {
      const from = new Date(Math.max(first.getTime() - 1, nowMs - deadline - 1));
      for (const at of iterateFires(job.compiled, spec.timezone, from)) {
        if (at.getTime() > last.getTime()) break;
        toStart.push(at);
      }
    }
    const missedCount = count - toStart.length;
    if (missedCount > 0) {
      const missedLast = toStart.length > 0 ? previousFire(job, toStart[0]!, first) : last;
      this.#recordMissed(
        job,
        first,
        missedLast,
        missedCount,
        toStart.length === 0 ? lastIso : undefined,
      );
    }
    // Fires started out of a gap are catch-up runs; a single due fire keeps the caller's trigger.
    const startTrigger: RunTrigger = count > 1 ? 'catchup' : trigger;
    for (const at of toStart) {
      const ready = prepared && at.getTime() === due.last.getTime() ? prepared : undefined;
      this.start(job.name, at, startTrigger, ready);
    }
  }

  /** The prepared fire of `name` at `at`, if any; older prepared fires of `name` are dropped. */
  #takePrepared(name: string, at: Date): { runId: string; committed: Promise<void> } | undefined {
    const key = `${name}@${at.getTime()}`;
    const found = this.#prepared.get(key);
    for (const k of this.#prepared.keys()) {
      if (k.startsWith(`${name}@`) && Number(k.slice(name.length + 1)) <= at.getTime())
        this.#prepared.delete(k);
    }
    return found;
  }

  /** Start one fire of `name` for instant `scheduledAt`, honouring concurrencyPolicy and the global cap. */
  start(
    name: string,
    scheduledAt: Date,
    trigger: RunTrigger,
    prepared?: { runId: string; committed: Promise<void> },
  ): StartResult {
    const job = this.#jobs.get(name);
    const runId = prepared?.runId ?? this.#ulid(this.#o.clock.now().getTime());
    if (!job) return { runId, outcome: 'skipped', reason: `schedule "${name}" is not loaded` };
    // Only fires that will run (now or after waiting) go to the journal; skipped ones are just recorded.
    const commit = (): Promise<void> => {
      const committed =
        prepared?.committed ??
        this.#o.journal.append([
          {
            runId,
            schedule: name,
            scheduledAt: scheduledAt.toISOString(),
            trigger,
            specHash: job.hash,
          },
        ]);
      // Awaited when the fire launches; a waiting fire that is dropped must not leave an unhandled rejection.
      committed.catch(() => undefined);
      return committed;
    };
    const record: RunRecord = {
      id: runId,
      schedule: name,
      trigger,
      scheduledAt: scheduledAt.toISOString(),
      status: 'pending',
      attempts: [],
      specHash: job.hash,
    };
    const watermark = trigger === 'manual' ? undefined : record.scheduledAt;
    if (this.#stopping) {
      this.#finishUnstarted(record, 'skipped', 'the daemon is shutting down', watermark);
      return { runId, outcome: 'skipped', reason: 'the daemon is shutting down' };
    }
    const active = this.#active.get(name);
    if (active && active.size > 0) {
      const policy = job.spec.concurrencyPolicy;
      const current = [...active].map((a) => a.record.id).join(', ');
      if (policy === 'Forbid') {
        const reason = `previous run ${current} is still running (concurrencyPolicy Forbid)`;
        this.#finishUnstarted(record, 'skipped', reason, watermark);
        return { runId, outcome: 'skipped', reason };
      }
      if (policy === 'Queue') {
        if (this.#queued.has(name)) {
          const reason = `a fire is already queued behind run ${current} (concurrencyPolicy Queue)`;
          this.#finishUnstarted(record, 'skipped', reason, watermark);
          return { runId, outcome: 'skipped', reason };
        }
        this.#queued.set(name, { record, committed: commit(), job, kind: 'queue' });
        this.#record(record, watermark);
        return { runId, outcome: 'waiting', reason: `queued behind run ${current}` };
      }
      if (policy === 'Replace') {
        for (const run of active) {
          run.abortAs = 'cancelled';
          run.abortReason = `replaced by run ${runId} (concurrencyPolicy Replace)`;
          run.abort.abort();
        }
      }
    }
    const cap = this.#o.maxConcurrentRuns;
    if (cap !== null && this.#running >= cap) {
      this.#capped.push({ record, committed: commit(), job, kind: 'cap' });
      this.#capped.sort((a, b) =>
        a.record.scheduledAt < b.record.scheduledAt
          ? -1
          : a.record.scheduledAt > b.record.scheduledAt
            ? 1
            : 0,
      );
      this.#record(record, watermark);
      return {
        runId,
        outcome: 'waiting',
        reason: `waiting for a free slot (--max-concurrent-runs ${cap})`,
      };
    }
    this.#launch(job, record, commit());
    return { runId, outcome: 'started' };
  }

  /**
   * Stop starting fires; let runs in progress finish for up to `graceMs`, then terminate them (recorded
   * `interrupted`). Waiting fires are recorded skipped.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#stopping = true;
    for (const waiting of [...this.#queued.values(), ...this.#capped]) {
      this.#finishUnstarted(
        waiting.record,
        'skipped',
        'the daemon shut down before the fire started',
      );
    }
    this.#queued.clear();
    this.#capped = [];
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
    await Promise.all([...this.#notifications]);
  }

  #launch(job: DesiredSchedule, record: RunRecord, committed: Promise<void>): void {
    const run: ActiveRun = {
      record,
      committed,
      job,
      abort: new AbortController(),
      done: Promise.resolve(),
    };
    const set = this.#active.get(job.name) ?? new Set<ActiveRun>();
    set.add(run);
    this.#active.set(job.name, set);
    this.#running += 1;
    run.done = this.#execute(run)
      .catch((err: unknown) => {
        this.#o.logger.error(
          { err, schedule: job.name, runId: record.id, attempt: record.attempts.length },
          'run failed unexpectedly',
        );
        record.status = 'failed';
        record.reason = `internal error: ${err instanceof Error ? err.message : String(err)}`;
        this.#finish(run);
      })
      .finally(() => {
        set.delete(run);
        if (set.size === 0 && this.#active.get(job.name) === set) this.#active.delete(job.name);
        this.#running -= 1;
        this.#startWaiting(job.name);
      });
  }

  async #execute(run: ActiveRun): Promise<void> {
    const { job, record } = run;
    const spec = job.spec;
    const log = this.#o.logger.child({ schedule: job.name, runId: record.id });
    const signal = run.abort.signal;
    if (spec.jitter > 0 && record.trigger !== 'manual') {
      await this.#o.sleep(Math.floor(this.#o.random() * spec.jitter), signal);
    }
    // The fire is durable (journal) before the process exists; usually it was made so before the instant.
    try {
      await run.committed;
    } catch (err) {
      this.#finishNotDurable(run, err);
      return;
    }
    if (!signal.aborted) {
      record.status = 'running';
      record.startedAt = this.#o.clock.now().toISOString();
    }
    const attempts = spec.retries.limit + 1;
    for (let attempt = 1; attempt <= attempts && !signal.aborted; attempt += 1) {
      // #attempt starts the process before it first waits (once execa is loaded). The run is recorded,
      // announced and logged after that, so their millisecond or so follows the job's start.
      const attempted = this.#attempt(run, attempt, log);
      if (attempt === 1) {
        this.#record(record, record.trigger === 'manual' ? undefined : record.scheduledAt);
        this.#emit('run:started', record);
        log.info(
          { attempt: 1, trigger: record.trigger, scheduledAt: record.scheduledAt },
          'run started',
        );
      }
      const result = await attempted;
      if (result.outcome === 'succeeded') {
        record.status = 'succeeded';
        delete record.reason;
        break;
      }
      if (result.outcome === 'killed' || signal.aborted) break;
      record.status = result.outcome === 'timed-out' ? 'timedOut' : 'failed';
      record.reason = describeFailure(result, spec.timeout);
      if (attempt < attempts) {
        const delay = retryDelayMs(spec.retries, attempt + 1);
        log.warn({ attempt, reason: record.reason, retryInMs: delay }, 'attempt failed; retrying');
        void this.#o.history.recordRun(record);
        await this.#o.sleep(delay, signal);
      }
    }
    if (signal.aborted) {
      record.status = run.abortAs ?? 'interrupted';
      record.reason = run.abortReason ?? 'the run was stopped';
    }
    this.#finish(run);
    log.info(
      { attempt: record.attempts.length, status: record.status, durationMs: record.durationMs },
      `run ${record.status}`,
    );
  }

  async #attempt(run: ActiveRun, attempt: number, log: Logger): Promise<AttemptResult> {
    const { job, record } = run;
    const built = buildInvocation(
      job.spec,
      {
        schedule: job.name,
        runId: record.id,
        attempt,
        trigger: record.trigger,
        scheduledAt: new Date(record.scheduledAt),
      },
      this.#o.secrets,
    );
    const startedAt = this.#o.clock.now();
    const entry: RunRecord['attempts'][number] = { attempt, startedAt: startedAt.toISOString() };
    record.attempts.push(entry);
    if (!built.ok) {
      const finishedAt = this.#o.clock.now();
      entry.finishedAt = finishedAt.toISOString();
      entry.exitCode = null;
      entry.signal = null;
      entry.error = built.error;
      log.error({ attempt, error: built.error }, 'cannot start the task');
      return {
        outcome: 'spawn-error',
        exitCode: null,
        signal: null,
        outputTail: '',
        startedAt,
        finishedAt,
        error: built.error,
      };
    }
    const result = await this.#o.runTask(built.invocation, {
      clock: this.#o.clock,
      signal: run.abort.signal,
      onSpawn: ({ pid, processStartTime }) => {
        entry.pid = pid;
        entry.processStartTime = processStartTime;
        void this.#o.history.recordRun(record);
      },
    });
    entry.startedAt = result.startedAt.toISOString();
    entry.finishedAt = result.finishedAt.toISOString();
    entry.exitCode = result.exitCode;
    entry.signal = result.signal;
    entry.outputTail = result.outputTail;
    if (result.error !== undefined) entry.error = result.error;
    return result;
  }

  #finish(run: ActiveRun): void {
    const { record, job } = run;
    // The summary holds the newest two runs of each status: the previous finished run is among them.
    const previous = lastFinished(this.#o.history.summary(job.name).runs, record.id);
    const finishedAt = this.#o.clock.now();
    record.finishedAt = finishedAt.toISOString();
    if (record.startedAt)
      record.durationMs = finishedAt.getTime() - new Date(record.startedAt).getTime();
    this.#record(record);
    this.#emit('run:finished', record);
    const events: NotifySpec['on'][number][] = [];
    if (record.status === 'failed' || record.status === 'timedOut') events.push('failure');
    if (record.status === 'succeeded') {
      events.push('success');
      if (previous && (previous.status === 'failed' || previous.status === 'timedOut'))
        events.push('recovery');
    }
    for (const event of events) this.#notify(job, record, event);
  }

  #finishUnstarted(record: RunRecord, status: RunStatus, reason: string, watermark?: string): void {
    record.status = status;
    record.reason = reason;
    record.finishedAt = this.#o.clock.now().toISOString();
    this.#record(record, watermark);
    this.#emit('run:recorded', record);
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

  /** "Never twice" wins: a fire whose intent could not be made durable is not started; it is recorded missed. */
  #finishNotDurable(run: ActiveRun, err: unknown): void {
    const { record, job } = run;
    record.status = 'missed';
    record.reason = `not started, so that it can never run twice: ${err instanceof Error ? err.message : String(err)}`;
    record.missed = { count: 1, first: record.scheduledAt, last: record.scheduledAt };
    record.finishedAt = this.#o.clock.now().toISOString();
    this.#record(record, record.trigger === 'manual' ? undefined : record.scheduledAt);
    this.#emit('run:recorded', record);
    this.#o.logger.error(
      { err, schedule: job.name, runId: record.id, attempt: 0, scheduledAt: record.scheduledAt },
      'fire not started: its intent is not durable',
    );
    this.#notify(job, record, 'missed');
  }

  #recordMissed(
    job: DesiredSchedule,
    first: Date,
    last: Date,
    count: number,
    watermark?: string,
  ): void {
    const record: RunRecord = {
      id: this.#ulid(this.#o.clock.now().getTime()),
      schedule: job.name,
      trigger: 'schedule',
      scheduledAt: last.toISOString(),
      status: 'missed',
      reason: describeMissed(job, first, last, count, this.#o.clock.now()),
      attempts: [],
      specHash: job.hash,
      missed: { count, first: first.toISOString(), last: last.toISOString() },
    };
    record.finishedAt = this.#o.clock.now().toISOString();
    this.#record(record, watermark);
    this.#emit('run:recorded', record);
    this.#o.logger.warn(
      { schedule: job.name, runId: record.id, attempt: 0, missed: record.missed },
      'fires missed',
    );
    this.#notify(job, record, 'missed');
  }

  #startWaiting(name: string): void {
    if (this.#stopping) return;
    const queued = this.#queued.get(name);
    if (queued && !this.#active.get(name)?.size) {
      this.#queued.delete(name);
      const cap = this.#o.maxConcurrentRuns;
      if (cap !== null && this.#running >= cap) this.#capped.push({ ...queued, kind: 'cap' });
      else this.#launch(this.#jobs.get(name) ?? queued.job, queued.record, queued.committed);
    }
    const cap = this.#o.maxConcurrentRuns;
    while (this.#capped.length > 0 && (cap === null || this.#running < cap)) {
      const next = this.#capped.shift()!;
      this.#launch(this.#jobs.get(next.record.schedule) ?? next.job, next.record, next.committed);
    }
  }

  #record(record: RunRecord, lastScheduledAt?: string): void {
    void this.#o.history.recordRun(record, lastScheduledAt ? { lastScheduledAt } : {});
  }

  #emit(type: RunEvent['type'], run: RunRecord): void {
    this.#o.onEvent?.({ type, run });
  }

  #notify(job: DesiredSchedule, record: RunRecord, event: NotifySpec['on'][number]): void {
    for (const target of job.spec.notify.filter((n) => n.on.includes(event))) {
      const context = templateContextFor(job.spec, {
        schedule: job.name,
        runId: record.id,
        attempt: Math.max(1, record.attempts.length),
        trigger: record.trigger,
        scheduledAt: new Date(record.scheduledAt),
      });
      const render = (text: string): string => renderTemplate(text, context);
      const resolved = target.webhook
        ? resolveRendered(target.webhook.headers, render, this.#o.secrets)
        : undefined;
      if (resolved && resolved.errors.length > 0) {
        this.#o.logger.error(
          {
            schedule: job.name,
            runId: record.id,
            attempt: record.attempts.length,
            event,
            error: resolved.errors.join('; '),
          },
          'notification not sent',
        );
        continue;
      }
      const delivery = this.#o
        .deliverNotification(
          {
            ...(target.webhook
              ? { webhook: { url: render(target.webhook.url), headers: resolved?.values ?? {} } }
              : {}),
            ...(target.command ? { command: target.command.map(render) } : {}),
          },
          { event, schedule: job.name, run: publicRun(record) },
          { clock: this.#o.clock, logger: this.#o.logger, secrets: resolved?.secrets ?? [] },
        )
        .finally(() => this.#notifications.delete(delivery));
      this.#notifications.add(delivery);
    }
  }
}

/** The run as notifications carry it: without output tails (they can be large). */
function publicRun(record: RunRecord): RunRecord {
  return { ...record, attempts: record.attempts.map(({ outputTail: _tail, ...a }) => a) };
}

function lastFinished(runs: readonly RunRecord[], exceptId: string): RunRecord | undefined {
  for (let i = runs.length - 1; i >= 0; i -= 1) {
    const run = runs[i]!;
    if (run.id !== exceptId && FINISHED.has(run.status)) return run;
  }
  return undefined;
}

function activeWindow(
  from: string | undefined,
  until: string | undefined,
): { from: number; until: number } {
  return {
    from: from ? Date.parse(from) : Number.NEGATIVE_INFINITY,
    until: until ? Date.parse(until) : Number.POSITIVE_INFINITY,
  };
}

/** The fire just before `at` (not before `floor`), for the end of a missed gap. */
function previousFire(job: DesiredSchedule, at: Date, floor: Date): Date {
  let previous = floor;
  for (const fire of iterateFires(job.compiled, job.spec.timezone, new Date(floor.getTime() - 1))) {
    if (fire.getTime() >= at.getTime()) break;
    previous = fire;
  }
  return previous;
}

/** Why fires were missed: too late for startingDeadline, or passed over by the catchUp policy. */
function describeMissed(
  job: DesiredSchedule,
  first: Date,
  last: Date,
  count: number,
  now: Date,
): string {
  const { startingDeadline, catchUp } = job.spec;
  const fires =
    count === 1
      ? `the fire at ${first.toISOString()}`
      : `${count} fires from ${first.toISOString()} to ${last.toISOString()}`;
  if (now.getTime() - last.getTime() > startingDeadline) {
    return `${fires} came due while the daemon could not start ${count === 1 ? 'it' : 'them'} and ${count === 1 ? 'is' : 'are'} past startingDeadline (${startingDeadline} ms)`;
  }
  const policy =
    catchUp === 'none'
      ? 'catchUp none starts no fire of a gap'
      : 'catchUp latest starts only the newest fire of a gap';
  return `${fires} ${count === 1 ? 'was' : 'were'} passed over: ${policy}`;
}

function describeFailure(result: AttemptResult, timeoutMs: number): string {
  if (result.outcome === 'timed-out') return `timed out after ${timeoutMs} ms`;
  if (result.outcome === 'spawn-error') return result.error ?? 'the task could not be started';
  if (result.httpStatus !== undefined) return `HTTP status ${result.httpStatus}`;
  if (result.signal) return `killed by ${result.signal}`;
  if (result.exitCode !== null) return `exited with code ${result.exitCode}`;
  return result.error ?? 'failed';
}
