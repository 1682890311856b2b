// A RunManager over an in-memory history, a fake task runner, a memory ledger and a manual clock.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Memory } from 'lowdb';
import { pino } from 'pino';
import { compileSchedule } from '../../src/cron/compile.js';
import type { FireLedger } from '../../src/daemon/fire-ledger.js';
import { RunManager, type RunEvent } from '../../src/daemon/runs.js';
import type { FireIntent } from '../../src/history/journal.js';
import { createLowdbHistoryStore } from '../../src/history/lowdb-store.js';
import type { HistoryStore, RunRecord, ShardFile } from '../../src/history/store.js';
import type { JobSpec } from '../../src/manifest/schema.js';
import type { DesiredSchedule } from '../../src/reconcile/desired.js';
import type { AttemptResult, RunTaskOptions, TaskInvocation } from '../../src/runtime/run-job.js';
import { ManualClock } from '../../src/shared/clock.js';

export function job(name: string, spec: Partial<JobSpec> = {}): DesiredSchedule {
  const schedule = spec.schedule ?? '*/1 * * * * *';
  const compiled = compileSchedule(schedule);
  if (!compiled.ok) throw new Error('bad test schedule');
  const full: JobSpec = {
    schedule,
    timezone: 'UTC',
    suspend: false,
    concurrencyPolicy: 'Forbid',
    startingDeadline: 3_600_000,
    catchUp: 'latest',
    jitter: 0,
    timeout: 60_000,
    killGracePeriod: 1_000,
    retries: { limit: 0, backoff: 'none', delay: 0, maxDelay: 0 },
    params: {},
    task: { kind: 'shell', shell: 'echo {{ name }}', env: {} },
    output: { maxBytes: 1024 },
    history: { successfulRunsLimit: 50, failedRunsLimit: 50 },
    notify: [],
    ...spec,
  };
  return {
    name,
    file: `${name}.yaml`,
    line: 1,
    metadata: { name, labels: {} },
    spec: full,
    compiled: compiled.schedule,
    hash: `h-${name}`,
    degraded: false,
  };
}

/** A task runner whose attempts end when the test says so (an abort ends one only when `endOnAbort`). */
export class FakeTasks {
  calls: {
    invocation: TaskInvocation;
    options: RunTaskOptions;
    finish: (r: Partial<AttemptResult>) => void;
  }[] = [];
  endOnAbort = true;
  constructor(private clock: ManualClock) {}
  run = (invocation: TaskInvocation, options: RunTaskOptions): Promise<AttemptResult> =>
    new Promise((resolve) => {
      const startedAt = this.clock.now();
      const finish = (r: Partial<AttemptResult>) =>
        resolve({
          outcome: 'succeeded',
          exitCode: 0,
          signal: null,
          outputTail: '',
          startedAt,
          finishedAt: this.clock.now(),
          ...r,
        });
      options.signal?.addEventListener('abort', () => {
        if (this.endOnAbort) finish({ outcome: 'killed', exitCode: null, signal: 'SIGTERM' });
      });
      void options.onSpawn?.({ pid: 4242, processStartTime: 1 });
      this.calls.push({ invocation, options, finish });
    });
  /** Instants of the attempts started so far. */
  started(): string[] {
    return this.calls.map(
      (c) => `${c.invocation.env.CRONOPS_TRIGGER} ${c.invocation.env.CRONOPS_SCHEDULED_TIME}`,
    );
  }
}

export const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

/** A ledger that keeps intents in memory; `fail` makes appends reject as not durable. */
export function memoryLedger(): FireLedger & { intents: FireIntent[]; fail?: Error } {
  const ledger: FireLedger & { intents: FireIntent[]; fail?: Error } = {
    intents: [],
    append: async (more) => {
      if (ledger.fail) throw ledger.fail;
      ledger.intents.push(...more);
    },
    readPending: async () => [...ledger.intents],
    checkpoint: async (keep, read) => {
      const later = read === undefined ? [] : ledger.intents.filter((i) => !read.includes(i));
      ledger.intents.splice(0, ledger.intents.length, ...keep, ...later);
    },
    healthy: () => ledger.fail === undefined,
    close: async () => undefined,
  };
  return ledger;
}

export const summary = (runs: readonly RunRecord[]) =>
  runs.map(
    (r) =>
      `${r.status} ${r.trigger} ${r.scheduledAt}${r.missed ? ` missed=${r.missed.count}` : ''}`,
  );

export async function createRunFixture(
  options: {
    maxConcurrentRuns?: number;
    /** Sleeps that never end on their own (a Replace bound that does not run out). */
    endlessSleep?: boolean;
    deferCatchUpMs?: () => number;
    /** Another ledger than the memory one (a fake shared by replicas); `ledger` is then not used. */
    journal?: FireLedger;
  } = {},
) {
  const clock = new ManualClock('2026-03-01T12:00:00.000Z');
  const stateDir = await mkdtemp(join(tmpdir(), 'cronops-runs-'));
  const history: HistoryStore = createLowdbHistoryStore({
    stateDir,
    clock,
    adapterFactory: () => new Memory<ShardFile>(),
  });
  await history.open();
  const tasks = new FakeTasks(clock);
  const events: RunEvent[] = [];
  const sleeps: number[] = [];
  const ledger = memoryLedger();
  const logs: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) },
  );
  const runs = new RunManager({
    clock,
    history,
    journal: options.journal ?? ledger,
    logger,
    runTask: tasks.run,
    deliverNotification: async () => ({ delivered: true }),
    secrets: { env: {}, readFile: () => '' },
    maxConcurrentRuns: options.maxConcurrentRuns ?? null,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      if (!options.endlessSleep) return Promise.resolve();
      return new Promise((resolve) => signal?.addEventListener('abort', () => resolve()));
    },
    onEvent: (e) => events.push(e),
    ...(options.deferCatchUpMs ? { deferCatchUpMs: options.deferCatchUpMs } : {}),
  });
  return { clock, history, tasks, events, sleeps, ledger, logs, runs };
}

export const due = (name: string, first: string, last: string, count: number, now: string) => ({
  name,
  first: new Date(first),
  last: new Date(last),
  count,
  now: new Date(now),
});
