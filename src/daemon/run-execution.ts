// Carrying out one run: wait for its fire to be durable, then its attempts with retries and backoff.
import type { Logger } from 'pino';
import type { HistoryStore, RunRecord, RunStatus, RunTrigger } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { AttemptResult, runTask as RunTaskFn } from '../runtime/run-job.js';
import type { Clock } from '../shared/clock.js';
import { withoutRedaction } from '../shared/logger.js';
import { retryDelayMs } from './backoff.js';
import {
  describeNotDurable,
  isClaimedElsewhere,
  isNotDurable,
  isSkippedByPolicy,
} from './fire-ledger.js';
import { buildInvocation, describeChain, type SecretSource } from './invocation.js';
import type { RunRecorder } from './run-records.js';

/** A run that was launched: its process may be starting, running, or between attempts. */
export interface ActiveRun {
  record: RunRecord;
  /** Resolves when the fire's intent is durable in the ledger; rejects when it cannot be. */
  committed: Promise<void>;
  /** Makes the start itself durable right before the process (a fire made durable earlier by `after`). */
  beforeStart?: () => Promise<void>;
  job: DesiredSchedule;
  abort: AbortController;
  /** Nothing of it is in the history yet (it was not queued): a failed claim may leave it to a gap. */
  unrecorded?: boolean;
  /** Why it was aborted, which decides its final status. */
  abortAs?: 'cancelled' | 'interrupted';
  abortReason?: string;
  done: Promise<void>;
}

export interface RunExecutionDeps {
  clock: Clock;
  history: HistoryStore;
  logger: Logger;
  recorder: RunRecorder;
  runTask: typeof RunTaskFn;
  secrets: SecretSource;
  random: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Several replicas: a fire whose claim failed because the store could not be reached joins its
   * schedule's gap (claim-gaps.ts) instead of a missed record of its own; false when it cannot.
   */
  leaveUnclaimed?: (run: ActiveRun) => boolean;
}

/**
 * What a run's lines carry besides `schedule` and `runId`: strings and numbers under names no redaction
 * path matches (REDACT_PATHS in shared/logger.ts), so the run's lines are written without redaction.
 */
interface RunLogFields {
  attempt?: number;
  trigger?: RunTrigger;
  scheduledAt?: string;
  status?: RunStatus;
  durationMs?: number | undefined;
  reason?: string | undefined;
  retryInMs?: number;
  error?: string;
}

/** The lines of one run: each with the run's `schedule` and `runId` first. */
type RunLog = Record<
  'debug' | 'info' | 'warn' | 'error',
  (fields: RunLogFields, msg: string) => void
>;

/** The logger of run lines for each daemon logger, made once (see withoutRedaction). */
const runLoggers = new WeakMap<Logger, Logger>();

/**
 * The run's fields put on each of its lines, instead of a pino child logger per run: a child (its
 * bindings serialised, its level set, its redaction prepared) cost as much CPU as one more log line,
 * for the two or three lines a run writes. The lines read the same. They go through one child of the
 * daemon's logger without redaction: RunLogFields holds nothing a redaction path matches.
 */
function createRunLog(daemonLogger: Logger, schedule: string, runId: string): RunLog {
  let logger = runLoggers.get(daemonLogger);
  if (logger === undefined) {
    logger = withoutRedaction(daemonLogger);
    runLoggers.set(daemonLogger, logger);
  }
  const at =
    (level: keyof RunLog) =>
    (fields: RunLogFields, msg: string): void =>
      logger[level]({ schedule, runId, ...fields }, msg);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Run every attempt of `run` and record how it ended. */
export async function executeRun(run: ActiveRun, deps: RunExecutionDeps): Promise<void> {
  const { job, record } = run;
  const spec = job.spec;
  const log = createRunLog(deps.logger, job.name, record.id);
  const signal = run.abort.signal;
  if (spec.jitter > 0 && record.trigger !== 'manual') {
    await deps.sleep(Math.floor(deps.random() * spec.jitter), signal);
  }
  // The fire is durable (ledger) before the process exists; usually it was made so before the instant.
  try {
    // A fire waiting for its schedule's slot on another replica (Queue, Replace) waits no longer than
    // the run is wanted: shutdown or a replacement ends the wait, and it is recorded as never started.
    await untilAborted(run.committed, signal);
    if (run.beforeStart && !signal.aborted) await run.beforeStart();
  } catch (err) {
    if (isClaimedElsewhere(err)) {
      // Another replica runs this fire and records it; here it only moves the watermark.
      log.debug({ scheduledAt: record.scheduledAt }, 'fire claimed by another replica');
      if (record.trigger === 'schedule')
        void deps.history.setLastScheduledAt(job.name, record.scheduledAt);
      return;
    }
    if (isSkippedByPolicy(err)) {
      // Another replica's run holds the schedule (concurrencyPolicy): this replica won the claim, so it records it.
      const watermark = record.trigger === 'schedule' ? record.scheduledAt : undefined;
      deps.recorder.finishUnstarted(record, 'skipped', err.message, watermark);
      return;
    }
    if (isNotDurable(err) && deps.leaveUnclaimed?.(run) === true) return;
    recordNotDurable(run, err, deps);
    return;
  }
  if (!signal.aborted) {
    record.status = 'running';
    record.startedAt = deps.clock.now().toISOString();
  }
  const attempts = spec.retries.limit + 1;
  for (let attempt = 1; attempt <= attempts && !signal.aborted; attempt += 1) {
    // runAttempt starts the process before it first waits. The run is recorded,
    // announced and logged after that, so their millisecond or so follows the job's start.
    const attempted = runAttempt(run, attempt, log, deps);
    if (attempt === 1) {
      // Regular fires move the watermark; a catch-up run's gap moved it when it was planned.
      deps.recorder.record(record, record.trigger === 'schedule' ? record.scheduledAt : undefined);
      deps.recorder.emit('run:started', record);
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
      void deps.history.recordRun(record);
      await deps.sleep(delay, signal);
    }
  }
  if (signal.aborted) {
    record.status = run.abortAs ?? 'interrupted';
    const last = record.attempts.at(-1);
    const killed =
      last?.pid !== undefined && last.finishedAt !== undefined
        ? `; its process group was terminated${last.signal ? ` (${last.signal})` : ''} before the next run started`
        : '';
    record.reason = `${run.abortReason ?? 'the run was stopped'}${run.abortAs === 'cancelled' ? killed : ''}`;
  }
  deps.recorder.finish(job, record);
  log.info(
    { attempt: record.attempts.length, status: record.status, durationMs: record.durationMs },
    `run ${record.status}`,
  );
}

/** How long an aborted fire still waits to learn its claim's outcome (another replica may have won it). */
const CLAIM_SETTLE_MS = 2_000;

/**
 * `promise`, or resolve once `signal` has aborted and the promise has not settled within CLAIM_SETTLE_MS
 * after that (a claim settles within moments; a fire waiting for its slot may wait much longer).
 */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      timer = setTimeout(resolve, CLAIM_SETTLE_MS);
      timer.unref();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

/** The fire's intent did not become durable: it is not started, and is recorded missed, at error. */
function recordNotDurable(run: ActiveRun, err: unknown, deps: RunExecutionDeps): void {
  const at = new Date(run.record.scheduledAt);
  deps.recorder.recordMissed(
    run.job,
    { count: 1, first: at, last: at, reason: describeNotDurable(err) },
    {
      id: run.record.id,
      severe: true,
      trigger: run.record.trigger,
      ...(run.record.trigger === 'schedule' ? { watermark: run.record.scheduledAt } : {}),
    },
  );
}

async function runAttempt(
  run: ActiveRun,
  attempt: number,
  log: RunLog,
  deps: RunExecutionDeps,
): Promise<AttemptResult> {
  const { job, record } = run;
  const built = buildInvocation(
    job.spec,
    {
      schedule: job.name,
      runId: record.id,
      attempt,
      trigger: record.trigger,
      scheduledAt: new Date(record.scheduledAt),
      ...describeChain(record),
    },
    deps.secrets,
  );
  const startedAt = deps.clock.now();
  const entry: RunRecord['attempts'][number] = { attempt, startedAt: startedAt.toISOString() };
  record.attempts.push(entry);
  if (!built.ok) {
    const finishedAt = deps.clock.now();
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
  const result = await deps.runTask(built.invocation, {
    clock: deps.clock,
    signal: run.abort.signal,
    onSpawn: ({ pid, processStartTime }) => {
      entry.pid = pid;
      entry.processStartTime = processStartTime;
      // Called before runTask returns: the first attempt's `running` record, made right after,
      // carries them (one history entry, not two); later attempts are recorded here.
      if (attempt > 1) void deps.history.recordRun(record);
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

function describeFailure(result: AttemptResult, timeoutMs: number): string {
  if (result.outcome === 'timed-out') return `timed out after ${timeoutMs} ms`;
  if (result.outcome === 'spawn-error') return result.error ?? 'the task could not be started';
  if (result.httpStatus !== undefined) return `HTTP status ${result.httpStatus}`;
  if (result.signal) return `killed by ${result.signal}`;
  if (result.exitCode !== null) return `exited with code ${result.exitCode}`;
  return result.error ?? 'failed';
}
