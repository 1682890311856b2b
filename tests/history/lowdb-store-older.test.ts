import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLowdbHistoryStore,
  type LowdbHistoryStore,
  type LowdbHistoryStoreOptions,
} from '../../src/history/lowdb-store.js';
import { ShardFileAdapter, serializeShard } from '../../src/history/shard-file.js';
import type { RunRecord, RunStatus, ShardFile } from '../../src/history/store.js';
import { summarizeRuns } from '../../src/history/summary.js';
import { ManualClock } from '../../src/shared/clock.js';

/** Sortable ids; `n` orders runs across schedules too. */
const runId = (n: number): string => `01JA${String(n).padStart(22, '0')}`;

function buildRun(n: number, schedule: string, status: RunStatus = 'succeeded'): RunRecord {
  return {
    id: runId(n),
    schedule,
    trigger: 'schedule',
    scheduledAt: `2026-03-08T02:${String(n % 60).padStart(2, '0')}:00.000Z`,
    status,
    attempts: [
      {
        attempt: 1,
        startedAt: '2026-03-08T02:30:00.100Z',
        ...(status === 'running' ? {} : { exitCode: status === 'succeeded' ? 0 : 1 }),
        outputTail: `output of run ${n}: "status":"running"\n`,
      },
    ],
    specHash: 'h1',
  };
}

// Shards written before the summary head existed, past the bytes open() reads whole: scanned at start-up, read on
// first use or by the background rewrite.
describe('history/lowdb-store (older-format shards opened lazily)', () => {
  let stateDir: string;
  let historyDir: string;
  let store: LowdbHistoryStore | undefined;
  /** Whole-file reads (adapter.read) per schedule. */
  let reads: Map<string, number>;

  function openStore(options: Partial<LowdbHistoryStoreOptions> = {}): LowdbHistoryStore {
    store = createLowdbHistoryStore({
      stateDir,
      clock: new ManualClock('2026-03-08T07:00:00.000Z'),
      openReadBytes: 0,
      // Held unless a test waits for it (close() ends the wait).
      upgradeDelayMs: 60_000,
      adapterFactory: (file) => {
        const adapter = new ShardFileAdapter(file);
        const read = adapter.read.bind(adapter);
        const schedule = file.slice(historyDir.length + 1, -'.json'.length);
        adapter.read = () => {
          reads.set(schedule, (reads.get(schedule) ?? 0) + 1);
          return read();
        };
        return adapter;
      },
      ...options,
    });
    return store;
  }

  async function seedOlder(schedule: string, runs: RunRecord[]): Promise<ShardFile> {
    const shard: ShardFile = {
      version: 1,
      schedule,
      lastScheduledAt: `2026-03-08T06:00:00.000Z`,
      runs,
    };
    await writeFile(join(historyDir, `${schedule}.json`), JSON.stringify(shard));
    return shard;
  }

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cronops-older-'));
    historyDir = join(stateDir, 'history');
    await mkdir(historyDir);
    reads = new Map();
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    await rm(stateDir, { recursive: true, force: true });
  });

  it('opens without reading them: the watermark is known, the summary once the shard is read', async () => {
    const runs = [buildRun(1, 'backup', 'failed'), buildRun(2, 'backup'), buildRun(3, 'backup')];
    await seedOlder('backup', runs);
    const history = openStore({ upgradeDelayMs: 200 });
    const changed: string[] = [];
    history.subscribe((schedule) => changed.push(schedule));
    expect(await history.open()).toEqual({ schedules: ['backup'], corrupt: [] });
    expect(reads.size).toBe(0);
    expect(history.lastScheduledAt('backup')).toBe('2026-03-08T06:00:00.000Z');
    expect(history.summary('backup')).toMatchObject({
      total: 0,
      oldestId: runId(1),
      newestId: runId(3),
    });

    expect(await history.runs('backup')).toEqual(runs);
    expect(history.summary('backup')).toEqual(summarizeRuns(runs));
    expect(changed).toContain('backup');
    await history.upgraded();
    const text = await readFile(join(historyDir, 'backup.json'), 'utf8');
    expect(text).toBe(
      serializeShard({
        version: 1,
        schedule: 'backup',
        lastScheduledAt: '2026-03-08T06:00:00.000Z',
        runs,
      }),
    );
  });

  it('the background rewrite reads each one, gives every summary, and reopens from the heads', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const [index, name] of names.entries()) {
      await seedOlder(name, [
        buildRun(index * 10 + 1, name),
        buildRun(index * 10 + 2, name, 'failed'),
      ]);
    }
    const history = openStore({ upgradeDelayMs: 200 });
    await history.open();
    expect(reads.size).toBe(0);
    await history.upgraded();
    for (const [index, name] of names.entries()) {
      expect(history.summary(name).counts).toMatchObject({ succeeded: 1, failed: 1 });
      expect(history.summary(name).newestId).toBe(runId(index * 10 + 2));
    }
    expect(history.memory().loadedShards).toBe(0);
    await history.close();
    reads.clear();
    const again = openStore();
    await again.open();
    expect(reads.size).toBe(0);
    expect(again.summary('c').total).toBe(2);
  });

  it('start-up recovery reads only the shards that may hold a running or pending run', async () => {
    await seedOlder('quiet', [buildRun(1, 'quiet'), buildRun(2, 'quiet', 'failed')]);
    await seedOlder('crashed', [buildRun(3, 'crashed'), buildRun(4, 'crashed', 'running')]);
    const history = openStore();
    await history.open();
    const found = await history.listRuns({ status: ['running', 'pending'] });
    expect(found.map((run) => run.id)).toEqual([runId(4)]);
    expect(reads.get('crashed')).toBe(1);
    // The output tail says "status":"running" inside a string: not a match.
    expect(reads.get('quiet')).toBeUndefined();
  });

  it('finds a run by id, and answers hasRun, from an unread shard', async () => {
    await seedOlder('backup', [buildRun(1, 'backup'), buildRun(2, 'backup')]);
    await seedOlder('sync', [buildRun(5, 'sync')]);
    const history = openStore();
    await history.open();
    expect(await history.hasRun('sync', runId(1))).toBe(false);
    expect(reads.size).toBe(0);
    expect(await history.hasRun('backup', runId(1))).toBe(true);
    expect((await history.getRun(runId(5)))?.schedule).toBe('sync');
    expect(reads.get('backup')).toBe(1);
  });

  it('merges a record made before the shard is read, and lists newest first across unread shards', async () => {
    await seedOlder('backup', [buildRun(1, 'backup'), buildRun(2, 'backup')]);
    await seedOlder('sync', [buildRun(3, 'sync'), buildRun(4, 'sync')]);
    const history = openStore();
    await history.open();
    await history.recordRun(buildRun(5, 'backup', 'failed'), { durable: true });
    expect((await history.listRuns({ limit: 3 })).map((run) => run.id)).toEqual([
      runId(5),
      runId(4),
      runId(3),
    ]);
    expect(history.summary('backup')).toMatchObject({
      total: 3,
      counts: { succeeded: 2, failed: 1 },
    });
  });

  it('still moves a damaged file aside at open()', async () => {
    const good = JSON.stringify({ version: 1, schedule: 'backup', runs: [buildRun(1, 'backup')] });
    await writeFile(join(historyDir, 'backup.json'), good.slice(0, -25));
    const history = openStore();
    const opened = await history.open();
    expect(opened.corrupt).toHaveLength(1);
    expect(
      (await readdir(historyDir)).some((name) => name.startsWith('backup.json.corrupt-')),
    ).toBe(true);
  });
});
