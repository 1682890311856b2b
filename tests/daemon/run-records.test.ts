import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Memory } from 'lowdb';
import { pino } from 'pino';
import { monotonicFactory } from 'ulid';
import { beforeEach, describe, expect, it } from 'vitest';
import { RunRecorder } from '../../src/daemon/run-records.js';
import { Notifier } from '../../src/daemon/run-notify.js';
import { createLowdbHistoryStore } from '../../src/history/lowdb-store.js';
import type { HistoryStore, RunRecord, RunStatus, ShardFile } from '../../src/history/store.js';
import type { NotifySpec } from '../../src/manifest/schema.js';
import type { DesiredSchedule } from '../../src/reconcile/desired.js';
import { ManualClock } from '../../src/shared/clock.js';
import { job as fixtureJob } from './run-fixture.js';

const logger = pino({ level: 'silent' });

function job(notify: NotifySpec[]): DesiredSchedule {
  return fixtureJob('a', { task: { kind: 'shell', shell: 'false', env: {} }, notify });
}

let clock: ManualClock;
let history: HistoryStore;
let sent: string[];
const ids = monotonicFactory();

/** A recorder as the RunManager builds one, whose deliveries are kept as "event at". */
function recorder(): RunRecorder {
  const notifier = new Notifier({
    clock,
    logger,
    secrets: { env: {}, readFile: () => '' },
    deliverNotification: async (_target, payload) => {
      sent.push(`${payload.event} ${clock.now().toISOString()}`);
      return { delivered: true };
    },
  });
  return new RunRecorder({
    clock,
    history,
    logger,
    notifier,
    newRunId: () => ids(clock.now().getTime()),
  });
}

function finish(runs: RunRecorder, schedule: DesiredSchedule, status: RunStatus): RunRecord {
  const record: RunRecord = {
    id: ids(clock.now().getTime()),
    schedule: 'a',
    trigger: 'schedule',
    scheduledAt: clock.now().toISOString(),
    startedAt: clock.now().toISOString(),
    status,
    attempts: [],
    specHash: 'h-a',
  };
  runs.finish(schedule, record);
  return record;
}

beforeEach(async () => {
  clock = new ManualClock('2026-03-01T12:00:00.000Z');
  history = createLowdbHistoryStore({
    stateDir: await mkdtemp(join(tmpdir(), 'cronops-run-records-')),
    clock,
    adapterFactory: () => new Memory<ShardFile>(),
  });
  await history.open();
  sent = [];
});

describe('daemon/run-records', () => {
  it('mode change: one failure for a failing streak, none after a restart, one recovery; repeatInterval re-sends', async () => {
    const schedule = job([
      { on: ['failure', 'recovery'], mode: 'change', repeatInterval: 60_000, command: ['page'] },
    ]);
    let runs = recorder();
    for (let second = 0; second < 30; second += 1) {
      finish(runs, schedule, 'failed');
      clock.tick(1_000);
    }
    // A restart: a new recorder over the same history.
    runs = recorder();
    for (let second = 0; second < 40; second += 1) {
      finish(runs, schedule, second % 2 === 0 ? 'failed' : 'timedOut');
      clock.tick(1_000);
    }
    finish(runs, schedule, 'interrupted');
    finish(runs, schedule, 'succeeded');
    clock.tick(1_000);
    finish(runs, schedule, 'succeeded');
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([
      'failure 2026-03-01T12:00:00.000Z',
      'failure 2026-03-01T12:01:00.000Z',
      'recovery 2026-03-01T12:01:10.000Z',
    ]);
  });

  it('mode every: one per failed run, as before', async () => {
    const schedule = job([{ on: ['failure'], mode: 'every', command: ['page'] }]);
    const runs = recorder();
    for (let second = 0; second < 3; second += 1) {
      finish(runs, schedule, 'failed');
      clock.tick(1_000);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(3);
  });

  it('the first missed record notifies, the next one in a row does not; each record remembers it', async () => {
    const schedule = job([{ on: ['missed'], command: ['page'] }]);
    const runs = recorder();
    const gap = (at: string) => ({
      first: new Date(at),
      last: new Date(at),
      count: 1,
      reason: 'r',
    });
    const first = runs.recordMissed(schedule, gap('2026-03-01T11:00:00Z'));
    clock.tick(5_000);
    const second = runs.recordMissed(schedule, gap('2026-03-01T11:00:05Z'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual(['missed 2026-03-01T12:00:00.000Z']);
    expect(Object.values(first.notified ?? {})).toEqual(['2026-03-01T12:00:00.000Z']);
    expect(second.notified).toEqual(first.notified);
  });
});
