// One whole run of a schedule in the foreground, carried out by the daemon's own RunManager.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Memory } from 'lowdb';
import { pino } from 'pino';
import { RunManager, type RunEvent } from '../../daemon/runs.js';
import { createFireJournal, type FireJournal } from '../../history/journal.js';
import { createLowdbHistoryStore } from '../../history/lowdb-store.js';
import type { HistoryStore, RunRecord, ShardFile } from '../../history/store.js';
import type { DesiredSchedule } from '../../reconcile/desired.js';
import { deliverNotification } from '../../runtime/notify.js';
import { redactSecrets } from '../../runtime/output-tail.js';
import { StreamRedactor } from '../../runtime/redact-stream.js';
import { runTask, type AttemptResult } from '../../runtime/run-job.js';
import { systemClock } from '../../shared/clock.js';
import { formatLogLine } from './exec-log.js';

/** How `cronops exec` runs a schedule. */
export interface ExecRunOptions {
  /** Write the run to the history in this state directory; undefined: keep it in memory only. */
  recordIn?: string;
  /** Send the schedule's notifications. */
  notify: boolean;
  /** Stops the run (recorded `interrupted`) when aborted: exec's SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Where the job's output and exec's own lines go. */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The finished run as recorded (status, reason, attempts with redacted tails). */
export type ExecRunResult = RunRecord;

/**
 * Run `job` once now (trigger `manual`), exactly as the daemon's RunManager runs a fire: templates, env and
 * secrets per attempt, per-attempt timeout and kill grace on the process group, retries with the schedule's
 * backoff, the history record and the notifications. What is added is the foreground: the job's output is
 * streamed as it arrives, with its secrets redacted however the chunks are cut, and exec's own lines
 * (attempts, retries, notification problems) go to stderr, redacted too.
 */
export async function runScheduleOnce(
  job: DesiredSchedule,
  options: ExecRunOptions,
): Promise<ExecRunResult> {
  const secrets = new Set<string>();
  const say = (line: string): void => {
    options.stderr.write(`cronops: ${redactSecrets(line, [...secrets])}\n`);
  };
  const logger = pino(
    { level: 'warn', base: null },
    { write: (line: string) => say(formatLogLine(line)) },
  );
  const scratch =
    options.recordIn === undefined ? await mkdtemp(join(tmpdir(), 'cronops-exec-')) : undefined;
  const history: HistoryStore = createLowdbHistoryStore({
    stateDir: options.recordIn ?? scratch!,
    clock: systemClock,
    logger,
    ...(scratch === undefined ? {} : { adapterFactory: () => new Memory<ShardFile>() }),
  });
  const journal =
    options.recordIn === undefined ? createMemoryJournal() : createFireJournal(options.recordIn);
  let finished: RunRecord | undefined;
  let announceFinished = (): void => undefined;
  const runFinished = new Promise<void>((resolve) => (announceFinished = resolve));
  const attempts = job.spec.retries.limit + 1;
  const runs = new RunManager({
    clock: systemClock,
    history,
    journal,
    logger,
    secrets: { env: process.env, readFile: (path) => readFileSync(path, 'utf8') },
    runTask: async (invocation, taskOptions) => {
      for (const secret of invocation.secrets) secrets.add(secret);
      const attempt = Number(invocation.env['CRONOPS_ATTEMPT'] ?? '1');
      if (attempt > 1) say(`attempt ${attempt} of ${attempts}`);
      const streams = {
        stdout: { out: options.stdout, redactor: new StreamRedactor(invocation.secrets) },
        stderr: { out: options.stderr, redactor: new StreamRedactor(invocation.secrets) },
      };
      const result = await runTask(invocation, {
        ...taskOptions,
        onOutput: (chunk, stream) => {
          const { out, redactor } = streams[stream];
          const safe = redactor.push(chunk);
          if (safe.length > 0) out.write(safe);
        },
      });
      for (const { out, redactor } of Object.values(streams)) {
        const rest = redactor.end();
        if (rest.length > 0) out.write(rest);
      }
      if (invocation.task.kind === 'http' && result.outputTail !== '') {
        // An http task has no stream: its tail (status line and body, redacted) is what it printed.
        options.stdout.write(
          result.outputTail.endsWith('\n') ? result.outputTail : `${result.outputTail}\n`,
        );
      }
      say(describeAttempt(attempt, attempts, result));
      return result;
    },
    deliverNotification: async (target, payload, deliverOptions) => {
      if (!options.notify)
        return { delivered: false, error: 'notifications are off (no --notify)' };
      const result = await deliverNotification(target, payload, deliverOptions);
      if (result.delivered) say(`${payload.event} notification sent`);
      return result;
    },
    onEvent: (event: RunEvent) => {
      // run:recorded: a fire that ended without an attempt (its start could not be made durable).
      if (event.type === 'run:started' || ['pending', 'running'].includes(event.run.status)) return;
      finished = event.run;
      announceFinished();
    },
  });
  try {
    await history.open();
    runs.define(job);
    const stop = (): void => void runs.shutdown(0);
    if (options.signal.aborted) stop();
    options.signal.addEventListener('abort', stop, { once: true });
    const started = runs.start(job.name, systemClock.now(), 'manual');
    say(`running "${job.name}" (run ${started.runId})`);
    if (started.outcome !== 'started')
      throw new Error(`the run did not start: ${started.reason ?? started.outcome}`);
    await runFinished;
    options.signal.removeEventListener('abort', stop);
    // Returns once the run's notifications are delivered (or given up).
    await runs.shutdown(0);
    await history.flush();
    const health = history.health();
    if (options.recordIn !== undefined && !health.writable)
      say(
        `the run could not be recorded in ${options.recordIn}: ${health.lastError ?? 'write failed'}`,
      );
    const run = finished ?? (await history.getRun(started.runId, { schedule: job.name }));
    if (run === undefined) throw new Error(`run ${started.runId} left no record`);
    return run;
  } finally {
    await history.close();
    await journal.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

/** One line per attempt: how it ended, how long it took. */
function describeAttempt(attempt: number, attempts: number, result: AttemptResult): string {
  const seconds = ((result.finishedAt.getTime() - result.startedAt.getTime()) / 1000).toFixed(2);
  const of = attempts > 1 ? ` ${attempt} of ${attempts}` : '';
  return `attempt${of} ${result.outcome} in ${seconds}s${result.error ? `: ${result.error}` : ''}`;
}

/** exec without --record: the fire is not written ahead to any journal. */
function createMemoryJournal(): FireJournal {
  return {
    append: async () => undefined,
    readPending: async () => [],
    checkpoint: async () => undefined,
    healthy: () => true,
    close: async () => undefined,
  };
}
