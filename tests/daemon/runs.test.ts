import { SchedulerError } from '../../src/shared/errors.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Memory } from 'lowdb';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { RunManager, type RunEvent } from '../../src/daemon/runs.js';
import { createLowdbHistoryStore } from '../../src/history/lowdb-store.js';
import type { HistoryStore, RunRecord, ShardFile } from '../../src/history/store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { FakeTasks, job, memoryLedger } from './run-fixture.js';

const logger = pino({ level: 'silent' });

const tick = () => new Promise((r) => setTimeout(r, 0));
async function settle() {
  for (let i = 0; i < 10; i++) await tick();
}

let clock: ManualClock;
let history: HistoryStore;
let tasks: FakeTasks;
let events: RunEvent[];
let sleeps: number[];
let notifications: { event: string; schedule: string }[];
let journal: ReturnType<typeof memoryLedger>;

function manager(options: { maxConcurrentRuns?: number } = {}) {
  return new RunManager({
    clock,
    history,
    journal,
    logger,
    runTask: tasks.run,
    deliverNotification: async (_target, payload) => {
      notifications.push({ event: payload.event, schedule: payload.schedule });
      return { delivered: true };
    },
    secrets: { env: {}, readFile: () => '' },
    maxConcurrentRuns: options.maxConcurrentRuns ?? null,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onEvent: (e) => events.push(e),
  });
}

const due = (name: string, first: string, last: string, count: number, now: string) => ({
  name,
  first: new Date(first),
  last: new Date(last),
  count,
  now: new Date(now),
});
const summary = (runs: readonly RunRecord[]) =>
  runs.map(
    (r) =>
      `${r.status} ${r.trigger} ${r.scheduledAt}${r.missed ? ` missed=${r.missed.count}` : ''}`,
  );

beforeEach(async () => {
  clock = new ManualClock('2026-03-01T12:00:00.000Z');
  const stateDir = await mkdtemp(join(tmpdir(), 'cronops-runs-'));
  history = createLowdbHistoryStore({
    stateDir,
    clock,
    adapterFactory: () => new Memory<ShardFile>(),
  });
  await history.open();
  tasks = new FakeTasks(clock);
  events = [];
  sleeps = [];
  notifications = [];
  journal = memoryLedger();
});

describe('daemon/runs', () => {
  it('starts a fire that is due within the deadline and records it running, then succeeded', async () => {
    const runs = manager();
    runs.define(job('a'));
    runs.handleDue(
      due('a', '2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z', 1, '2026-03-01T12:00:00.004Z'),
    );
    await settle();
    expect(summary(await history.runs('a'))).toEqual(['running schedule 2026-03-01T12:00:00.000Z']);
    expect(history.lastScheduledAt('a')).toBe('2026-03-01T12:00:00.000Z');
    expect(tasks.calls[0]?.invocation.task).toEqual({
      kind: 'shell',
      shell: 'echo "${CRONOPS_T_1}"',
    });
    expect(tasks.calls[0]?.invocation.env.CRONOPS_T_1).toBe('a');
    expect(tasks.calls[0]?.invocation.env.CRONOPS_SCHEDULED_TIME).toBe('2026-03-01T12:00:00.000Z');
    expect((await history.runs('a'))[0]?.attempts[0]?.pid).toBe(4242);
    clock.tick(1500);
    tasks.calls[0]!.finish({});
    await settle();
    const [run] = await history.runs('a');
    expect(run?.status).toBe('succeeded');
    expect(run?.durationMs).toBe(1500);
    expect(events.map((e) => e.type)).toEqual(['run:started', 'run:finished']);
  });

  it('records the first attempt running once, with its pid and start time, and a retry with its own', async () => {
    const recorded: RunRecord[] = [];
    const recordRun = history.recordRun.bind(history);
    history.recordRun = (run, options) => {
      recorded.push(structuredClone(run));
      return recordRun(run, options);
    };
    const runs = manager();
    runs.define(job('a', { retries: { limit: 1, backoff: 'none', delay: 0, maxDelay: 0 } }));
    runs.start('a', new Date('2026-03-01T12:00:00Z'), 'schedule');
    await settle();
    expect(recorded.map((r) => [r.status, r.attempts.map((a) => a.pid)])).toEqual([
      ['running', [4242]],
    ]);
    tasks.calls[0]!.finish({ outcome: 'failed', exitCode: 1 });
    await settle();
    expect(recorded.map((r) => [r.status, r.attempts.map((a) => a.pid)])).toEqual([
      ['running', [4242]],
      ['failed', [4242]],
      ['failed', [4242, 4242]],
    ]);
  });

  it('a single fire older than startingDeadline is recorded missed', async () => {
    const runs = manager();
    runs.define(job('a', { startingDeadline: 10_000 }));
    runs.handleDue(
      due('a', '2026-03-01T11:00:00Z', '2026-03-01T11:00:00Z', 1, '2026-03-01T12:00:00Z'),
    );
    await settle();
    expect(summary(await history.runs('a'))).toEqual([
      'missed schedule 2026-03-01T11:00:00.000Z missed=1',
    ]);
    expect((await history.runs('a'))[0]?.reason).toBe(
      'the fire at 2026-03-01T11:00:00.000Z came due while the daemon could not start it and is past startingDeadline (10000 ms)',
    );
    expect(tasks.calls).toEqual([]);
    expect(history.lastScheduledAt('a')).toBe('2026-03-01T11:00:00.000Z');
  });

  it.each([
    {
      catchUp: 'latest' as const,
      expected: [
        'missed schedule 2026-03-01T11:59:59.000Z missed=3599',
        'running catchup 2026-03-01T12:00:00.000Z',
      ],
      started: 1,
    },
    {
      catchUp: 'none' as const,
      expected: ['missed schedule 2026-03-01T12:00:00.000Z missed=3600'],
      started: 0,
    },
  ])(
    'a gap of 3600 every-second fires with catchUp $catchUp is one missed record',
    async ({ catchUp, expected, started }) => {
      const runs = manager();
      runs.define(job('a', { catchUp, concurrencyPolicy: 'Allow' }));
      runs.handleDue(
        due('a', '2026-03-01T11:00:01Z', '2026-03-01T12:00:00Z', 3600, '2026-03-01T12:00:00.500Z'),
      );
      await settle();
      expect(summary(await history.runs('a'))).toEqual(expected);
      expect((await history.runs('a'))[0]?.reason).toMatch(
        /^(3599|3600) fires from 2026-03-01T11:00:01.000Z to .* were passed over: catchUp (latest|none) starts/,
      );
      expect(tasks.calls.length).toBe(started);
    },
  );

  it('catchUp all starts each fire within the deadline, in order, one after another', async () => {
    const runs = manager();
    runs.define(
      job('a', {
        schedule: '*/10 * * * *',
        catchUp: 'all',
        startingDeadline: 25 * 60_000,
        concurrencyPolicy: 'Allow',
      }),
    );
    runs.handleDue(
      due('a', '2026-03-01T11:00:00Z', '2026-03-01T12:00:00Z', 7, '2026-03-01T12:00:30Z'),
    );
    await settle();
    expect(summary(await history.runs('a'))).toEqual([
      'missed schedule 2026-03-01T11:30:00.000Z missed=4',
      'running catchup 2026-03-01T11:40:00.000Z',
    ]);
    expect(runs.waiting('a')).toBe(2);
    for (const call of [0, 1]) {
      tasks.calls[call]!.finish({});
      await settle();
    }
    expect(summary(await history.runs('a'))).toEqual([
      'missed schedule 2026-03-01T11:30:00.000Z missed=4',
      'succeeded catchup 2026-03-01T11:40:00.000Z',
      'succeeded catchup 2026-03-01T11:50:00.000Z',
      'running catchup 2026-03-01T12:00:00.000Z',
    ]);
    // The gap's planning moved the watermark; catch-up runs do not move it back.
    expect(history.lastScheduledAt('a')).toBe('2026-03-01T12:00:00.000Z');
  });

  it('Forbid skips a fire while a run is active', async () => {
    const runs = manager();
    runs.define(job('a'));
    runs.start('a', new Date('2026-03-01T12:00:00Z'), 'schedule');
    await settle();
    const second = runs.start('a', new Date('2026-03-01T12:00:01Z'), 'schedule');
    expect(second.outcome).toBe('skipped');
    await settle();
    expect(summary(await history.runs('a'))).toEqual([
      'running schedule 2026-03-01T12:00:00.000Z',
      'skipped schedule 2026-03-01T12:00:01.000Z',
    ]);
    expect((await history.runs('a'))[1]?.reason).toMatch(
      /still running \(concurrencyPolicy Forbid\)/,
    );
  });

  it('Queue keeps one fire waiting, skips the next, and starts the waiting one when the active ends', async () => {
    const runs = manager();
    runs.define(job('a', { concurrencyPolicy: 'Queue' }));
    runs.start('a', new Date('2026-03-01T12:00:00Z'), 'schedule');
    await settle();
    expect(runs.start('a', new Date('2026-03-01T12:00:01Z'), 'schedule').outcome).toBe('waiting');
    expect(runs.start('a', new Date('2026-03-01T12:00:02Z'), 'schedule').outcome).toBe('skipped');
    expect(runs.waiting('a')).toBe(1);
    tasks.calls[0]!.finish({});
    await settle();
    expect(tasks.calls.length).toBe(2);
    expect(summary(await history.runs('a'))).toEqual([
      'succeeded schedule 2026-03-01T12:00:00.000Z',
      'running schedule 2026-03-01T12:00:01.000Z',
      'skipped schedule 2026-03-01T12:00:02.000Z',
    ]);
  });

  it('Replace cancels the active run and starts the new one', async () => {
    const runs = manager();
    runs.define(job('a', { concurrencyPolicy: 'Replace' }));
    runs.start('a', new Date('2026-03-01T12:00:00Z'), 'schedule');
    await settle();
    runs.start('a', new Date('2026-03-01T12:00:01Z'), 'schedule');
    await settle();
    expect(summary(await history.runs('a'))).toEqual([
      'cancelled schedule 2026-03-01T12:00:00.000Z',
      'running schedule 2026-03-01T12:00:01.000Z',
    ]);
    expect((await history.runs('a'))[0]?.reason).toMatch(/replaced by run/);
  });

  it('Allow runs both, and the policy holds for manual triggers', async () => {
    const runs = manager();
    runs.define(job('allow', { concurrencyPolicy: 'Allow' }));
    runs.define(job('forbid'));
    runs.start('allow', new Date('2026-03-01T12:00:00Z'), 'schedule');
    runs.start('forbid', new Date('2026-03-01T12:00:00Z'), 'schedule');
    await settle();
    expect(runs.start('allow', clock.now(), 'manual').outcome).toBe('started');
    expect(runs.start('forbid', clock.now(), 'manual').outcome).toBe('skipped');
    await settle();
    expect(runs.running('allow').length).toBe(2);
    // A manual run never moves the watermark.
    expect(history.lastScheduledAt('forbid')).toBe('2026-03-01T12:00:00.000Z');
  });

  it('retries a failed attempt with backoff and ends at the first success', async () => {
    const runs = manager();
    runs.define(
      job('a', { retries: { limit: 3, backoff: 'exponential', delay: 1_000, maxDelay: 3_000 } }),
    );
    runs.start('a', new Date('2026-03-01T12:00:00Z'), 'schedule');
    for (const result of [
      { outcome: 'failed' as const, exitCode: 1 },
      { outcome: 'timed-out' as const, exitCode: null, signal: 'SIGTERM' },
    ]) {
      await settle();
      tasks.calls.at(-1)!.finish(result);
    }
    await settle();
    expect(tasks.calls.map((c) => c.invocation.env.CRONOPS_ATTEMPT)).toEqual(['1', '2', '3']);
    tasks.calls.at(-1)!.finish({});
    await settle();
    const [run] = await history.runs('a');
    expect(run?.status).toBe('succeeded');
    expect(run?.attempts.map((a) => a.exitCode)).toEqual([1, null, 0]);
    expect(sleeps).toEqual([1_000, 2_000]);
  });

  it('ends failed when the retry limit is reached, and notifies failure then recovery', async () => {
    const runs = manager();
    runs.define(job('a', { notify: [{ on: ['failure', 'recovery'], command: ['true'] }] }));
    runs.start('a', new Date('2026-03-01T12:00:00Z'), 'schedule');
    await settle();
    tasks.calls[0]!.finish({ outcome: 'failed', exitCode: 2 });
    await settle();
    runs.start('a', new Date('2026-03-01T12:00:01Z'), 'schedule');
    await settle();
    tasks.calls[1]!.finish({});
    await settle();
    expect(summary(await history.runs('a'))).toEqual([
      'failed schedule 2026-03-01T12:00:00.000Z',
      'succeeded schedule 2026-03-01T12:00:01.000Z',
    ]);
    expect(notifications).toEqual([
      { event: 'failure', schedule: 'a' },
      { event: 'recovery', schedule: 'a' },
    ]);
  });

  it('--max-concurrent-runs queues fires beyond the cap in scheduled order', async () => {
    const runs = manager({ maxConcurrentRuns: 1 });
    for (const n of ['a', 'b', 'c']) runs.define(job(n));
    runs.start('a', new Date('2026-03-01T12:00:00Z'), 'schedule');
    runs.start('c', new Date('2026-03-01T12:00:02Z'), 'schedule');
    runs.start('b', new Date('2026-03-01T12:00:01Z'), 'schedule');
    await settle();
    expect(tasks.calls.length).toBe(1);
    tasks.calls[0]!.finish({});
    await settle();
    tasks.calls[1]!.finish({});
    await settle();
    expect(tasks.calls.map((c) => c.invocation.env.CRONOPS_SCHEDULE)).toEqual(['a', 'b', 'c']);
  });

  it('a suspended schedule is neither run nor recorded missed', async () => {
    const runs = manager();
    runs.define(job('a', { suspend: true }));
    runs.handleDue(
      due('a', '2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z', 1, '2026-03-01T12:00:00Z'),
    );
    await settle();
    expect(await history.runs('a')).toEqual([]);
    expect(tasks.calls).toEqual([]);
  });

  it('fires outside activeFrom/activeUntil are ignored', async () => {
    const runs = manager();
    runs.define(job('a', { activeUntil: '2026-03-01T11:00:00Z' }));
    runs.handleDue(
      due('a', '2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z', 1, '2026-03-01T12:00:00Z'),
    );
    await settle();
    expect(await history.runs('a')).toEqual([]);
  });

  it('a secret that cannot be resolved fails the attempt with a clear reason, without spawning', async () => {
    const runs = manager();
    runs.define(
      job('a', {
        task: { kind: 'shell', shell: 'true', env: { TOKEN: { fromEnv: 'MISSING_TOKEN' } } },
      }),
    );
    runs.start('a', new Date('2026-03-01T12:00:00Z'), 'schedule');
    await settle();
    const [run] = await history.runs('a');
    expect(run?.status).toBe('failed');
    expect(run?.reason).toMatch(/MISSING_TOKEN/);
    expect(tasks.calls).toEqual([]);
  });

  it('shutdown lets runs finish within the grace, then interrupts them', async () => {
    const runs = manager();
    runs.define(job('a'));
    runs.start('a', new Date('2026-03-01T12:00:00Z'), 'schedule');
    await settle();
    await runs.shutdown(500);
    const [run] = await history.runs('a');
    expect(run?.status).toBe('interrupted');
    expect(run?.reason).toMatch(/shut down/);
    expect(sleeps).toContain(500);
  });

  it('every started fire is in the journal before its process starts; prepared fires reuse their intent', async () => {
    const runs = manager();
    runs.define(job('a'));
    runs.prepare([{ name: 'a', at: new Date('2026-03-01T12:00:01Z') }]);
    expect(journal.intents.map((i) => `${i.schedule} ${i.scheduledAt} ${i.trigger}`)).toEqual([
      'a 2026-03-01T12:00:01.000Z schedule',
    ]);
    clock.set('2026-03-01T12:00:01.002Z');
    runs.handleDue(
      due('a', '2026-03-01T12:00:01Z', '2026-03-01T12:00:01Z', 1, '2026-03-01T12:00:01.002Z'),
    );
    await settle();
    expect(journal.intents).toHaveLength(1);
    expect((await history.runs('a'))[0]?.id).toBe(journal.intents[0]?.runId);
    tasks.calls[0]!.finish({});
    await settle();
    runs.start('a', clock.now(), 'manual');
    runs.start('a', clock.now(), 'manual'); // skipped by Forbid: recorded, not journaled
    await settle();
    expect(journal.intents.map((i) => i.trigger)).toEqual(['schedule', 'manual']);
  });

  it('prepares an instant once, and a late wake-up starts the prepared instant with its prepared run id', async () => {
    const runs = manager();
    runs.define(job('a', { catchUp: 'all', concurrencyPolicy: 'Allow' }));
    runs.prepare([{ name: 'a', at: new Date('2026-03-01T12:00:01Z') }]);
    // The schedule was re-set (a reload) before its instant: prepared again, it keeps its claim.
    runs.prepare([{ name: 'a', at: new Date('2026-03-01T12:00:01Z') }]);
    expect(journal.intents).toHaveLength(1);
    const preparedId = journal.intents[0]!.runId;
    // The loop woke late: two instants at once, the first of them the one prepared.
    clock.set('2026-03-01T12:00:02.300Z');
    runs.handleDue(
      due('a', '2026-03-01T12:00:01Z', '2026-03-01T12:00:02Z', 2, '2026-03-01T12:00:02.300Z'),
    );
    await settle();
    expect(journal.intents.map((i) => `${i.scheduledAt} ${i.trigger}`)).toEqual([
      '2026-03-01T12:00:01.000Z schedule',
      '2026-03-01T12:00:02.000Z catchup',
    ]);
    const recorded = await history.runs('a');
    expect(recorded.find((r) => r.scheduledAt === '2026-03-01T12:00:01.000Z')?.id).toBe(preparedId);
  });

  it('a fire whose intent is not durable is not started: it is recorded missed with the reason', async () => {
    const runs = manager();
    runs.define(job('a'));
    journal.append = () =>
      Promise.reject(
        new SchedulerError(
          'FIRE_NOT_DURABLE',
          'the fire of "a" could not be made durable: the fire journal\'s reserve is exhausted',
        ),
      );
    runs.prepare([{ name: 'a', at: new Date('2026-03-01T12:00:01Z') }]);
    clock.set('2026-03-01T12:00:01.002Z');
    runs.handleDue(
      due('a', '2026-03-01T12:00:01Z', '2026-03-01T12:00:01Z', 1, '2026-03-01T12:00:01.002Z'),
    );
    await settle();
    runs.start('a', clock.now(), 'manual');
    await settle();
    expect(tasks.calls).toHaveLength(0);
    const recorded = await history.runs('a');
    expect(summary(recorded)).toEqual([
      'missed schedule 2026-03-01T12:00:01.000Z missed=1',
      'missed manual 2026-03-01T12:00:01.002Z missed=1',
    ]);
    expect(recorded[0]?.reason).toMatch(
      /could not be made durable before its start \(.*reserve is exhausted\); it was not started, so that it can never run twice$/,
    );
    expect(history.lastScheduledAt('a')).toBe('2026-03-01T12:00:01.000Z');
    expect(events.map((e) => `${e.type} ${e.run.status}`)).toEqual([
      'run:recorded missed',
      'run:recorded missed',
    ]);
    expect(runs.runningCount).toBe(0);
  });
});
