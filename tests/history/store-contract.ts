// The HistoryStore contract: every implementation (lowdb files, PostgreSQL) passes these same tests.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryStore, RunRecord, RunStatus } from '../../src/history/store.js';

/** A backing store (a temp directory, a database) that stores can be opened on, again and again. */
export interface ContractBacking {
  /** A new store instance on the same backing data (not yet opened). */
  create(): HistoryStore;
  /** Remove the backing data. */
  destroy(): Promise<void>;
  /** What the store adds to a run it records (the PostgreSQL store: the replica). @default none */
  stamp?: (run: RunRecord) => RunRecord;
}

/** A ULID-shaped id that sorts by `n`. */
export function runId(n: number): string {
  return `01JCONTRACT${String(n).padStart(15, '0')}`;
}

export function makeRun(n: number, overrides: Partial<RunRecord> = {}): RunRecord {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
  return {
    id: runId(n),
    schedule: 'backup',
    trigger: 'schedule',
    scheduledAt: at,
    status: 'succeeded',
    attempts: [
      {
        attempt: 1,
        startedAt: at,
        finishedAt: at,
        exitCode: 0,
        signal: null,
        outputTail: `out ${n}\n`,
        pid: 1000 + n,
        processStartTime: 5000 + n,
      },
    ],
    startedAt: at,
    finishedAt: at,
    durationMs: 12,
    specHash: 'sha256:abc',
    ...overrides,
  };
}

/** Register the contract for one implementation. */
export function describeHistoryStoreContract(
  name: string,
  makeBacking: () => Promise<ContractBacking>,
): void {
  describe(`HistoryStore contract: ${name}`, () => {
    let backing: ContractBacking;
    const open: HistoryStore[] = [];

    const stamped = (run: RunRecord): RunRecord => backing.stamp?.(run) ?? run;
    const openStore = async (): Promise<HistoryStore> => {
      const store = backing.create();
      open.push(store);
      await store.open();
      return store;
    };

    beforeEach(async () => {
      backing = await makeBacking();
    });
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close();
      await backing.destroy();
    });

    it('reads back every field of a recorded run', async () => {
      const store = await openStore();
      const run = makeRun(1, {
        reason: 'exit 0',
        missed: { count: 2, first: '2026-01-01T00:00:00.000Z', last: '2026-01-01T00:00:01.000Z' },
      });
      await store.recordRun(run);
      await store.flush();
      expect(await store.getRun(run.id)).toEqual(stamped(run));
      expect(await store.runs('backup')).toEqual([stamped(run)]);
      expect(await store.hasRun('backup', run.id)).toBe(true);
      expect(await store.hasRun('backup', runId(99))).toBe(false);
    });

    it('replaces a run recorded again with the same id', async () => {
      const store = await openStore();
      await store.recordRun(makeRun(1, { status: 'running', attempts: [] }));
      await store.recordRun(makeRun(1, { status: 'failed', reason: 'exit 3' }));
      await store.flush();
      expect((await store.runs('backup')).map((run) => [run.id, run.status])).toEqual([
        [runId(1), 'failed'],
      ]);
      const summary = store.summary('backup');
      expect(summary.total).toBe(1);
      expect(summary.counts.failed).toBe(1);
      expect(summary.counts.running).toBe(0);
    });

    it('summarises counts, oldest and newest, and keeps summary runs without output tails', async () => {
      const store = await openStore();
      const statuses: RunStatus[] = ['succeeded', 'failed', 'succeeded', 'running', 'missed'];
      for (const [index, status] of statuses.entries())
        await store.recordRun(makeRun(index + 1, { status }));
      await store.flush();
      const summary = store.summary('backup');
      expect(summary.total).toBe(5);
      expect(summary.counts).toMatchObject({ succeeded: 2, failed: 1, running: 1, missed: 1 });
      expect(summary.oldestId).toBe(runId(1));
      expect(summary.newestId).toBe(runId(5));
      expect(summary.runs.map((run) => run.id)).toEqual([1, 2, 3, 4, 5].map(runId));
      expect(
        summary.runs.every((run) => run.attempts.every((a) => a.outputTail === undefined)),
      ).toBe(true);
    });

    it('knows nothing of a schedule never recorded', async () => {
      const store = await openStore();
      expect(store.summary('nothing').total).toBe(0);
      expect(await store.runs('nothing')).toEqual([]);
      expect(await store.getRun(runId(7))).toBeUndefined();
      expect(store.lastScheduledAt('nothing')).toBeUndefined();
    });

    it('lists runs newest first across schedules, with filters and an id cursor', async () => {
      const store = await openStore();
      for (let n = 1; n <= 6; n += 1) {
        await store.recordRun(
          makeRun(n, {
            schedule: n % 2 === 0 ? 'even' : 'odd',
            status: n === 3 ? 'failed' : 'succeeded',
          }),
        );
      }
      await store.flush();
      const ids = (runs: RunRecord[]): string[] => runs.map((run) => run.id);
      expect(ids(await store.listRuns({}))).toEqual([6, 5, 4, 3, 2, 1].map(runId));
      expect(ids(await store.listRuns({ schedule: 'odd' }))).toEqual([5, 3, 1].map(runId));
      expect(ids(await store.listRuns({ schedules: ['even'] }))).toEqual([6, 4, 2].map(runId));
      expect(ids(await store.listRuns({ status: ['failed'] }))).toEqual([runId(3)]);
      expect(
        ids(
          await store.listRuns({
            since: new Date('2026-01-01T00:00:02.000Z'),
            until: new Date('2026-01-01T00:00:05.000Z'),
          }),
        ),
      ).toEqual([4, 3, 2].map(runId));
      const page1 = await store.listRuns({ limit: 4 });
      expect(ids(page1)).toEqual([6, 5, 4, 3].map(runId));
      expect(ids(await store.listRuns({ limit: 4, before: page1.at(-1)!.id }))).toEqual(
        [2, 1].map(runId),
      );
      expect(await store.listRuns({ limit: 0 })).toEqual([]);
    });

    it('keeps the newest runs per retention class; active runs always', async () => {
      const store = await openStore();
      store.setRetention('backup', { successfulRunsLimit: 2, failedRunsLimit: 1 });
      const statuses: RunStatus[] = [
        'running',
        'succeeded',
        'failed',
        'succeeded',
        'timedOut',
        'succeeded',
        'missed',
      ];
      for (const [index, status] of statuses.entries())
        await store.recordRun(makeRun(index + 1, { status }));
      await store.flush();
      expect((await store.runs('backup')).map((run) => run.id)).toEqual([1, 4, 6, 7].map(runId));
      const summary = store.summary('backup');
      expect(summary.total).toBe(4);
      expect(summary.counts).toMatchObject({ running: 1, succeeded: 2, missed: 1, failed: 0 });
    });

    it('remembers watermarks set directly and with a recorded run', async () => {
      const store = await openStore();
      await store.setLastScheduledAt('backup', '2026-01-01T00:00:00.000Z');
      expect(store.lastScheduledAt('backup')).toBe('2026-01-01T00:00:00.000Z');
      await store.recordRun(makeRun(1), { lastScheduledAt: '2026-01-01T00:00:01.000Z' });
      expect(store.lastScheduledAt('backup')).toBe('2026-01-01T00:00:01.000Z');
      await store.setLastScheduledAt('idle', '2026-01-01T00:00:05.000Z', { durable: true });
      expect(store.lastScheduledAt('idle')).toBe('2026-01-01T00:00:05.000Z');
    });

    it('finds everything again after a restart', async () => {
      const first = await openStore();
      await first.recordRun(makeRun(1), { lastScheduledAt: '2026-01-01T00:00:01.000Z' });
      await first.recordRun(makeRun(2, { schedule: 'report', status: 'failed' }));
      await first.setLastScheduledAt('idle', '2026-01-01T00:00:09.000Z');
      await first.recordRun(makeRun(3), { durable: true });
      await first.close();
      open.splice(open.indexOf(first), 1);

      const second = backing.create();
      open.push(second);
      const opened = await second.open();
      expect(opened.schedules).toEqual(expect.arrayContaining(['backup', 'report']));
      expect(opened.corrupt).toEqual([]);
      expect(second.lastScheduledAt('backup')).toBe('2026-01-01T00:00:01.000Z');
      expect(second.lastScheduledAt('idle')).toBe('2026-01-01T00:00:09.000Z');
      expect(second.summary('backup').total).toBe(2);
      expect(second.summary('report').counts.failed).toBe(1);
      expect(await second.getRun(runId(2))).toEqual(
        stamped(makeRun(2, { schedule: 'report', status: 'failed' })),
      );
      expect((await second.runs('backup')).map((run) => run.id)).toEqual([runId(1), runId(3)]);
    });

    it('reports itself writable with nothing pending once flushed', async () => {
      const store = await openStore();
      await store.recordRun(makeRun(1));
      await store.flush();
      expect(store.health()).toMatchObject({ writable: true, pendingWrites: 0, corrupt: [] });
    });
  });
}
