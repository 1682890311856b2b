import { DEFAULT_RETENTION } from '../../src/history/store.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Memory } from 'lowdb';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DurableAdapter } from '../../src/history/atomic-file.js';
import {
  createLowdbHistoryStore,
  type LowdbHistoryStoreOptions,
} from '../../src/history/lowdb-store.js';
import type { HistoryStore, RunRecord, RunStatus, ShardFile } from '../../src/history/store.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { Logger } from '../../src/shared/logger.js';

/** A lowdb adapter that keeps a snapshot of every write and can hold writes or fail them. */
class RecordingAdapter implements DurableAdapter<ShardFile> {
  static readonly order: string[] = [];
  data: ShardFile | null = null;
  readonly writes: ShardFile[] = [];
  syncs = 0;
  inFlight = 0;
  maxInFlight = 0;
  failure: NodeJS.ErrnoException | undefined;
  #gate: Promise<void> | undefined;
  #openGate: (() => void) | undefined;

  hold(): void {
    this.#gate = new Promise((resolve) => (this.#openGate = resolve));
  }

  release(): void {
    this.#openGate?.();
    this.#gate = undefined;
  }

  read(): Promise<ShardFile | null> {
    return Promise.resolve(this.data);
  }

  async write(data: ShardFile): Promise<void> {
    const snapshot = structuredClone(data);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.#gate !== undefined) await this.#gate;
      if (this.failure !== undefined) throw this.failure;
      this.writes.push(snapshot);
      this.data = snapshot;
      RecordingAdapter.order.push(snapshot.schedule);
    } finally {
      this.inFlight -= 1;
    }
  }

  syncDirectory(): Promise<void> {
    this.syncs += 1;
    return Promise.resolve();
  }
}

interface LogLine {
  level: number;
  msg: string;
  err?: { message: string };
}

function captureLogs(): { logger: Logger; lines: LogLine[]; waitFor(msg: string): Promise<void> } {
  const lines: LogLine[] = [];
  const waiting: { part: string; resolve: () => void }[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        const parsed = JSON.parse(line) as LogLine;
        lines.push(parsed);
        for (const waiter of waiting.filter((entry) => parsed.msg.includes(entry.part)))
          waiter.resolve();
      },
    },
  );
  const waitFor = (part: string): Promise<void> =>
    lines.some((line) => line.msg.includes(part))
      ? Promise.resolve()
      : new Promise((resolve) => waiting.push({ part, resolve }));
  return { logger, lines, waitFor };
}

function buildRun(id: string, status: RunStatus = 'succeeded', schedule = 'backup'): RunRecord {
  return {
    id,
    schedule,
    trigger: 'schedule',
    scheduledAt: '2026-03-08T02:30:00.000Z',
    status,
    attempts: [{ attempt: 1, startedAt: '2026-03-08T02:30:00.100Z', exitCode: 0 }],
    specHash: 'h1',
  };
}

/** Sortable ids: run 7 → '01JA0000000000000000000007'. */
const runId = (n: number): string => `01JA${String(n).padStart(22, '0')}`;

const enoent = (code: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: simulated, open '/state/history/backup.json'`), { code });

describe('history/lowdb-store', () => {
  let stateDir: string;
  let adapters: Map<string, RecordingAdapter>;
  let store: HistoryStore;
  let logs: ReturnType<typeof captureLogs>;

  const adapterFor = (schedule: string): RecordingAdapter =>
    adapters.get(`${schedule}.json`) as RecordingAdapter;

  function openStore(options: Partial<LowdbHistoryStoreOptions> = {}): HistoryStore {
    store = createLowdbHistoryStore({
      stateDir,
      clock: new ManualClock('2026-03-08T07:00:00.000Z'),
      logger: logs.logger,
      adapterFactory: (file) => {
        const adapter = new RecordingAdapter();
        adapters.set(basename(file), adapter);
        return adapter;
      },
      ...options,
    });
    return store;
  }

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cronops-store-'));
    adapters = new Map();
    logs = captureLogs();
  });

  afterEach(async () => {
    await store.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  describe('records', () => {
    it('keeps runs oldest first by id, replacing a run recorded again', async () => {
      openStore();
      await store.open();
      await store.recordRun(buildRun(runId(2), 'running'));
      await store.recordRun(buildRun(runId(1)));
      await store.recordRun(buildRun(runId(3)));
      await store.recordRun(buildRun(runId(2), 'failed'));
      expect((await store.runs('backup')).map((run) => [run.id, run.status])).toEqual([
        [runId(1), 'succeeded'],
        [runId(2), 'failed'],
        [runId(3), 'succeeded'],
      ]);
      expect((await store.getRun(runId(2)))?.status).toBe('failed');
      expect(await store.getRun('unknown')).toBeUndefined();
      expect(await store.runs('other')).toEqual([]);
    });

    it('stores a copy: changing the caller object afterwards changes nothing', async () => {
      openStore();
      await store.open();
      const run = buildRun(runId(1), 'running');
      await store.recordRun(run);
      run.status = 'failed';
      run.attempts[0]!.exitCode = 9;
      expect(await store.getRun(runId(1))).toMatchObject({
        status: 'running',
        attempts: [{ exitCode: 0 }],
      });
    });

    it('applies retention on every record; pruned runs are gone from getRun', async () => {
      openStore();
      await store.open();
      store.setRetention('backup', { successfulRunsLimit: 2, failedRunsLimit: 1 });
      for (let n = 1; n <= 4; n += 1) await store.recordRun(buildRun(runId(n)));
      await store.recordRun(buildRun(runId(5), 'failed'));
      await store.recordRun(buildRun(runId(6), 'timedOut'));
      await store.recordRun(buildRun(runId(7), 'running'));
      expect((await store.runs('backup')).map((run) => run.id)).toEqual([
        runId(3),
        runId(4),
        runId(6),
        runId(7),
      ]);
      expect(await store.getRun(runId(1))).toBeUndefined();
      expect(await store.getRun(runId(5))).toBeUndefined();
      await store.flush();
      expect(adapterFor('backup').data?.runs.map((run) => run.id)).toEqual([
        runId(3),
        runId(4),
        runId(6),
        runId(7),
      ]);
    });

    it('setRetention prunes what is already there and writes the result', async () => {
      openStore();
      await store.open();
      for (let n = 1; n <= 5; n += 1) await store.recordRun(buildRun(runId(n)));
      await store.flush();
      store.setRetention('backup', { successfulRunsLimit: 1, failedRunsLimit: 1 });
      expect((await store.runs('backup')).map((run) => run.id)).toEqual([runId(5)]);
      await store.flush();
      expect(adapterFor('backup').data?.runs.map((run) => run.id)).toEqual([runId(5)]);
    });

    it("keeps every run until the schedule's limits are known (recovery comes before the manifests), then prunes to them", async () => {
      openStore();
      await store.open();
      for (let n = 1; n <= 60; n += 1) await store.recordRun(buildRun(runId(n)));
      expect(await store.runs('backup')).toHaveLength(60);
      store.setRetention('backup', DEFAULT_RETENTION);
      expect(await store.runs('backup')).toHaveLength(50);
      expect((await store.runs('backup'))[0]?.id).toBe(runId(11));
    });

    it('persists lastScheduledAt in the shard, with a run or on its own', async () => {
      openStore();
      await store.open();
      expect(store.lastScheduledAt('backup')).toBeUndefined();
      await store.recordRun(buildRun(runId(1), 'running'), {
        durable: true,
        lastScheduledAt: '2026-03-08T02:30:00.000Z',
      });
      expect(adapterFor('backup').data).toMatchObject({
        version: 1,
        schedule: 'backup',
        lastScheduledAt: '2026-03-08T02:30:00.000Z',
        runs: [{ id: runId(1), status: 'running' }],
      });
      await store.setLastScheduledAt('backup', '2026-03-09T02:30:00.000Z', { durable: true });
      expect(store.lastScheduledAt('backup')).toBe('2026-03-09T02:30:00.000Z');
      expect(adapterFor('backup').data?.lastScheduledAt).toBe('2026-03-09T02:30:00.000Z');
    });

    it('lists runs across schedules, newest first, with filters and a cursor', async () => {
      openStore();
      await store.open();
      await store.recordRun(buildRun(runId(1), 'succeeded', 'backup'));
      await store.recordRun(buildRun(runId(2), 'failed', 'sync'));
      await store.recordRun(buildRun(runId(3), 'failed', 'backup'));
      await store.recordRun(buildRun(runId(4), 'succeeded', 'sync'));
      const ids = (runs: RunRecord[]): string[] => runs.map((run) => run.id);
      expect(ids(await store.listRuns({}))).toEqual([runId(4), runId(3), runId(2), runId(1)]);
      expect(ids(await store.listRuns({ schedule: 'sync' }))).toEqual([runId(4), runId(2)]);
      expect(ids(await store.listRuns({ status: ['failed'] }))).toEqual([runId(3), runId(2)]);
      expect(ids(await store.listRuns({ limit: 2 }))).toEqual([runId(4), runId(3)]);
      expect(ids(await store.listRuns({ limit: 2, before: runId(3) }))).toEqual([
        runId(2),
        runId(1),
      ]);
    });

    it("works with lowdb's Memory adapter", async () => {
      openStore({ adapterFactory: () => new Memory<ShardFile>() });
      const opened = await store.open();
      expect(opened).toEqual({ schedules: [], corrupt: [] });
      await store.recordRun(buildRun(runId(1), 'running'), { durable: true });
      await store.recordRun(buildRun(runId(1)));
      await store.flush();
      expect((await store.runs('backup')).map((run) => run.status)).toEqual(['succeeded']);
      expect(store.health()).toEqual({ writable: true, pendingWrites: 0, corrupt: [] });
    });
  });

  describe('writes', () => {
    it('coalesces many records in a short time into one write per shard', async () => {
      openStore();
      await store.open();
      store.setRetention('backup', { successfulRunsLimit: 1000, failedRunsLimit: 1000 });
      for (let n = 1; n <= 100; n += 1) await store.recordRun(buildRun(runId(n)));
      await store.recordRun(buildRun(runId(1), 'succeeded', 'sync'));
      expect(store.health().pendingWrites).toBe(2);
      await store.flush();
      expect(adapterFor('backup').writes).toHaveLength(1);
      expect(adapterFor('backup').writes[0]?.runs).toHaveLength(100);
      expect(adapterFor('sync').writes).toHaveLength(1);
      expect(store.health().pendingWrites).toBe(0);
    });

    it('has at most one write in flight per shard and writes the latest state next', async () => {
      openStore();
      await store.open();
      // A run in progress keeps the shard in memory between writes (a shard that is read only to be
      // written is read again for its next write: see lowdb-store-lazy.test.ts).
      const adapter =
        (await store.recordRun(buildRun(runId(1), 'running'), { durable: true }),
        adapterFor('backup'));
      adapter.hold();
      const first = store.recordRun(buildRun(runId(2)), { durable: true });
      for (let n = 3; n <= 10; n += 1) await store.recordRun(buildRun(runId(n)));
      const flushed = store.flush();
      await new Promise(setImmediate);
      expect(adapter.inFlight).toBe(1);
      adapter.release();
      await first;
      await flushed;
      expect(adapter.maxInFlight).toBe(1);
      expect(adapter.writes.map((write) => write.runs.length)).toEqual([1, 2, 10]);
    });

    it('resolves a durable record only once a durable write including it is done', async () => {
      openStore();
      await store.open();
      await store.recordRun(buildRun(runId(1)), { durable: true });
      const adapter = adapterFor('backup');
      expect(adapter.syncs).toBe(1);
      adapter.hold();
      let done = false;
      const durable = store
        .recordRun(buildRun(runId(2), 'running'), { durable: true })
        .then(() => (done = true));
      await new Promise(setImmediate);
      expect(done).toBe(false);
      adapter.release();
      await durable;
      expect(adapter.writes.at(-1)?.runs.map((run) => run.id)).toEqual([runId(1), runId(2)]);
      expect(adapter.syncs).toBe(2);
    });

    it('makes a durable record that arrives during a write wait for the next write', async () => {
      openStore();
      await store.open();
      await store.recordRun(buildRun(runId(1)), { durable: true });
      const adapter = adapterFor('backup');
      adapter.hold();
      await store.recordRun(buildRun(runId(2)));
      await new Promise(setImmediate); // the background write of run 2 starts and is held
      expect(adapter.inFlight).toBe(1);
      let done = false;
      const durable = store
        .recordRun(buildRun(runId(3), 'running'), { durable: true })
        .then(() => (done = true));
      adapter.release();
      await durable;
      expect(done).toBe(true);
      expect(adapter.writes.map((write) => write.runs.length)).toEqual([1, 2, 3]);
      expect(adapter.syncs).toBe(2);
    });
    it('lets a durable write go ahead of queued background writes', async () => {
      openStore({ maxConcurrentWrites: 1 });
      await store.open();
      // Runs in progress keep the shards in memory: every write below is queued for its slot at once.
      for (const schedule of ['a', 'b', 'c', 'd']) {
        await store.recordRun(buildRun(runId(1), 'running', schedule), { durable: true });
      }
      adapterFor('a').hold();
      RecordingAdapter.order.length = 0;
      const heldA = store.recordRun(buildRun(runId(3), 'running', 'a'), { durable: true });
      await store.recordRun(buildRun(runId(2), 'succeeded', 'b'));
      await store.recordRun(buildRun(runId(2), 'succeeded', 'c'));
      await new Promise(setImmediate); // b and c are queued behind the held write of a
      const durableD = store.recordRun(buildRun(runId(2), 'running', 'd'), { durable: true });
      adapterFor('a').release();
      await Promise.all([heldA, durableD, store.flush()]);
      expect(RecordingAdapter.order).toEqual(['a', 'd', 'b', 'c']);
    });
  });

  describe('when the state directory cannot be written', () => {
    it.each(['EACCES', 'EROFS', 'ENOSPC', 'EDQUOT', 'EPERM', 'ENOTDIR'])(
      '%s: recordRun does not throw, runs stay in memory, and the next write recovers',
      async (code) => {
        openStore({ retryIntervalMs: 60_000 });
        await store.open();
        await store.recordRun(buildRun(runId(1)), { durable: true });
        const adapter = adapterFor('backup');
        adapter.failure = enoent(code);
        await expect(
          store.recordRun(buildRun(runId(2), 'running'), { durable: true }),
        ).resolves.toBeUndefined();
        await store.recordRun(buildRun(runId(2), 'failed'), { durable: true });
        await store.recordRun(buildRun(runId(3)));
        await store.flush();
        expect(store.health()).toEqual({
          writable: false,
          lastError: `${code}: simulated, open '/state/history/backup.json'`,
          pendingWrites: 1,
          corrupt: [],
        });
        expect((await store.runs('backup')).map((run) => run.id)).toEqual([
          runId(1),
          runId(2),
          runId(3),
        ]);
        const errors = logs.lines.filter((line) => line.level === 50);
        expect(errors).toHaveLength(1);
        expect(errors[0]?.err?.message).toContain(code);
        expect(errors[0]?.msg).toContain('not writable');

        adapter.failure = undefined;
        await store.recordRun(buildRun(runId(4)), { durable: true });
        expect(store.health()).toEqual({ writable: true, pendingWrites: 0, corrupt: [] });
        expect(adapter.data?.runs.map((run) => run.id)).toEqual([
          runId(1),
          runId(2),
          runId(3),
          runId(4),
        ]);
        expect(logs.lines.some((line) => line.msg.includes('writable again'))).toBe(true);
      },
    );

    it('retries on its own every retryIntervalMs and writes every shard kept in memory', async () => {
      openStore({ retryIntervalMs: 5 });
      await store.open();
      await store.recordRun(buildRun(runId(1), 'succeeded', 'backup'), { durable: true });
      await store.recordRun(buildRun(runId(2), 'succeeded', 'sync'), { durable: true });
      adapterFor('backup').failure = enoent('ENOSPC');
      adapterFor('sync').failure = enoent('ENOSPC');
      await store.recordRun(buildRun(runId(3), 'failed', 'backup'));
      await store.recordRun(buildRun(runId(4), 'failed', 'sync'));
      await store.flush();
      expect(store.health()).toMatchObject({ writable: false, pendingWrites: 2 });
      adapterFor('backup').failure = undefined;
      adapterFor('sync').failure = undefined;
      await logs.waitFor('writable again');
      await store.flush();
      expect(store.health()).toEqual({ writable: true, pendingWrites: 0, corrupt: [] });
      expect(adapterFor('backup').data?.runs.map((run) => run.id)).toEqual([runId(1), runId(3)]);
      expect(adapterFor('sync').data?.runs.map((run) => run.id)).toEqual([runId(2), runId(4)]);
    });
  });
});
