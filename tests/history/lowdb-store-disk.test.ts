import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLowdbHistoryStore } from '../../src/history/lowdb-store.js';
import { parseShardContent } from '../../src/history/shard-file.js';
import type { HistoryStore, RunRecord, RunStatus } from '../../src/history/store.js';
import { ManualClock } from '../../src/shared/clock.js';

interface LogLine {
  level: number;
  msg: string;
  err?: { message: string; code?: string };
}

function buildRun(id: string, status: RunStatus = 'succeeded', schedule = 'backup'): RunRecord {
  return {
    id,
    schedule,
    trigger: 'schedule',
    scheduledAt: '2026-03-08T02:30:00.000Z',
    status,
    attempts: [
      { attempt: 1, startedAt: '2026-03-08T02:30:00.100Z', exitCode: 0, outputTail: 'done\n' },
    ],
    specHash: 'h1',
  };
}

const runId = (n: number): string => `01JA${String(n).padStart(22, '0')}`;

async function readShard(
  stateDir: string,
  schedule: string,
): Promise<{ lastScheduledAt?: string; runs: RunRecord[]; summary?: unknown }> {
  const file = join(stateDir, 'history', `${schedule}.json`);
  const shard = parseShardContent(await readFile(file), file);
  delete shard.tail;
  return shard;
}

/**
 * A state directory that cannot be created. Without root, its parent is chmod 0555
 * (EACCES). Root ignores permissions, so there the parent is a regular file (ENOTDIR).
 */
async function createUnwritableStateDir(
  base: string,
): Promise<{ stateDir: string; makeWritable(): Promise<void> }> {
  const probe = join(base, 'probe');
  await mkdir(probe);
  await chmod(probe, 0o555);
  const permissionsApply = await writeFile(join(probe, 'x'), '').then(
    () => false,
    () => true,
  );
  await chmod(probe, 0o755);
  await rm(probe, { recursive: true });
  const parent = join(base, 'parent');
  if (permissionsApply) {
    await mkdir(parent);
    await chmod(parent, 0o555);
    return { stateDir: join(parent, 'state'), makeWritable: () => chmod(parent, 0o755) };
  }
  await writeFile(parent, 'a file where a directory should be');
  return {
    stateDir: join(parent, 'state'),
    makeWritable: async () => {
      await rm(parent);
      await mkdir(parent);
    },
  };
}

describe('history/lowdb-store', () => {
  let base: string;
  let stateDir: string;
  let store: HistoryStore | undefined;
  let lines: LogLine[];
  let onLine: ((line: LogLine) => void) | undefined;
  const clock = new ManualClock('2026-03-08T07:00:00.000Z');

  function openStore(dir = stateDir, retryIntervalMs = 60_000): HistoryStore {
    const logger = pino(
      { level: 'debug' },
      {
        write(text: string) {
          const line = JSON.parse(text) as LogLine;
          lines.push(line);
          onLine?.(line);
        },
      },
    );
    store = createLowdbHistoryStore({ stateDir: dir, clock, logger, retryIntervalMs });
    return store;
  }

  const waitForLog = (part: string): Promise<void> =>
    new Promise((resolve) => {
      onLine = (line) => {
        if (line.msg.includes(part)) resolve();
      };
    });

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'cronops-history-'));
    stateDir = join(base, 'state');
    lines = [];
    onLine = undefined;
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    await chmod(join(base, 'parent'), 0o755).catch(() => undefined);
    await rm(base, { recursive: true, force: true });
  });

  describe('on disk', () => {
    it('has a durable record on disk when its promise resolves', async () => {
      const history = openStore();
      await history.open();
      await history.recordRun(buildRun(runId(1), 'running'), {
        durable: true,
        lastScheduledAt: '2026-03-08T02:30:00.000Z',
      });
      const { summary, ...shard } = await readShard(stateDir, 'backup');
      expect(shard).toEqual({
        version: 1,
        schedule: 'backup',
        lastScheduledAt: '2026-03-08T02:30:00.000Z',
        runs: [buildRun(runId(1), 'running')],
      });
      expect(summary).toMatchObject({ total: 1, counts: { running: 1 }, newestId: runId(1) });
    });

    it('writes coalesced records on flush and leaves no temp files', async () => {
      const history = openStore();
      await history.open();
      for (let n = 1; n <= 20; n += 1) await history.recordRun(buildRun(runId(n)));
      await history.flush();
      expect((await readShard(stateDir, 'backup')).runs).toHaveLength(20);
      expect(await readdir(join(stateDir, 'history'))).toEqual(['backup.json']);
    });

    it('loads every shard again on open', async () => {
      const first = openStore();
      await first.open();
      await first.recordRun(buildRun(runId(1), 'succeeded', 'backup'), {
        lastScheduledAt: '2026-03-08T02:30:00.000Z',
      });
      await first.recordRun(buildRun(runId(2), 'failed', 'sync'));
      await first.close();
      const second = openStore();
      expect(await second.open()).toEqual({ schedules: ['backup', 'sync'], corrupt: [] });
      expect(second.lastScheduledAt('backup')).toBe('2026-03-08T02:30:00.000Z');
      expect((await second.getRun(runId(2)))?.status).toBe('failed');
      expect((await second.listRuns({})).map((run) => run.id)).toEqual([runId(2), runId(1)]);
    });

    it('removes temp files left by a crash in the middle of a write', async () => {
      await mkdir(join(stateDir, 'history'), { recursive: true });
      await writeFile(join(stateDir, 'history', '.backup.json.4242.7.tmp'), '{"version":1,"ru');
      const history = openStore();
      expect(await history.open()).toEqual({ schedules: [], corrupt: [] });
      expect(await readdir(join(stateDir, 'history'))).toEqual([]);
    });
  });

  describe('corrupt files', () => {
    it.each([
      ['truncated', '{"version":1,"schedule":"backup","runs":[{"id":"01A","status":"succ'],
      ['empty', ''],
      ['not JSON', 'hello'],
      ['not a shard', '[1,2,3]'],
      ['from another version', '{"version":2,"runs":[]}'],
    ])('a %s file is moved aside, reported, and a fresh shard works', async (_name, content) => {
      const historyDir = join(stateDir, 'history');
      await mkdir(historyDir, { recursive: true });
      await writeFile(join(historyDir, 'backup.json'), content);
      const good = {
        version: 1,
        schedule: 'sync',
        runs: [buildRun(runId(1), 'succeeded', 'sync')],
      };
      await writeFile(join(historyDir, 'sync.json'), JSON.stringify(good));

      const history = openStore();
      const opened = await history.open();
      const movedTo = join(historyDir, 'backup.json.corrupt-20260308T070000.000Z');
      expect(opened.schedules).toEqual(['backup', 'sync']);
      expect(opened.corrupt).toEqual([
        {
          file: join(historyDir, 'backup.json'),
          movedTo,
          error: expect.stringContaining('backup.json'),
          at: '2026-03-08T07:00:00.000Z',
        },
      ]);
      expect(history.health().corrupt).toEqual(opened.corrupt);
      expect(await readFile(movedTo, 'utf8')).toBe(content);
      expect(lines.filter((line) => line.level === 50).map((line) => line.msg)).toEqual([
        'history: corrupt history file moved aside; starting a fresh one',
      ]);
      expect(await history.runs('sync')).toHaveLength(1);
      expect(await history.runs('backup')).toEqual([]);

      await history.recordRun(buildRun(runId(2)), { durable: true });
      expect((await readShard(stateDir, 'backup')).runs.map((run) => run.id)).toEqual([runId(2)]);
      expect(history.health().writable).toBe(true);
    });
  });

  describe('an unwritable state directory', () => {
    it('opens, keeps runs in memory, and writes them all once the directory is writable', async () => {
      const unwritable = await createUnwritableStateDir(base);
      const history = openStore(unwritable.stateDir);
      expect(await history.open()).toEqual({ schedules: [], corrupt: [] });
      expect(history.health()).toMatchObject({
        writable: false,
        lastError: expect.stringMatching(/EACCES|ENOTDIR/),
      });

      await expect(
        history.recordRun(buildRun(runId(1), 'running'), { durable: true }),
      ).resolves.toBeUndefined();
      await history.recordRun(buildRun(runId(1), 'succeeded'), { durable: true });
      await history.recordRun(buildRun(runId(2), 'failed'));
      await history.flush();
      expect((await history.runs('backup')).map((run) => run.status)).toEqual([
        'succeeded',
        'failed',
      ]);
      expect(history.health()).toMatchObject({ writable: false, pendingWrites: 1 });
      const errors = lines.filter((line) => line.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.err?.code).toMatch(/EACCES|ENOTDIR/);

      await unwritable.makeWritable();
      await history.recordRun(buildRun(runId(3)), { durable: true });
      expect(history.health()).toEqual({ writable: true, pendingWrites: 0, corrupt: [] });
      expect((await readShard(unwritable.stateDir, 'backup')).runs.map((run) => run.id)).toEqual([
        runId(1),
        runId(2),
        runId(3),
      ]);
    });

    it('retries on its own and recovers without a new write', async () => {
      const unwritable = await createUnwritableStateDir(base);
      const history = openStore(unwritable.stateDir, 5);
      await history.open();
      await history.recordRun(buildRun(runId(1)), { durable: true });
      expect(history.health().writable).toBe(false);
      const recovered = waitForLog('writable again');
      await unwritable.makeWritable();
      await recovered;
      await history.flush();
      expect(history.health()).toEqual({ writable: true, pendingWrites: 0, corrupt: [] });
      expect((await readShard(unwritable.stateDir, 'backup')).runs.map((run) => run.id)).toEqual([
        runId(1),
      ]);
    });

    it('survives its history directory being replaced by a file, and recovers when it is back', async () => {
      const history = openStore();
      await history.open();
      // A run in progress keeps its shard in memory, so it is written again in full.
      await history.recordRun(buildRun(runId(1), 'running'), { durable: true });
      const historyDir = join(stateDir, 'history');
      await rm(historyDir, { recursive: true });
      await writeFile(historyDir, 'not a directory');

      await expect(
        history.recordRun(buildRun(runId(2)), { durable: true }),
      ).resolves.toBeUndefined();
      expect(history.health()).toMatchObject({
        writable: false,
        lastError: expect.stringContaining('ENOTDIR'),
        pendingWrites: 1,
      });

      await rm(historyDir);
      await history.flush();
      expect(history.health()).toEqual({ writable: true, pendingWrites: 0, corrupt: [] });
      expect((await readShard(stateDir, 'backup')).runs.map((run) => run.id)).toEqual([
        runId(1),
        runId(2),
      ]);
    });
  });
});
