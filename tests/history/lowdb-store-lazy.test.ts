import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createLowdbHistoryStore,
  type LowdbHistoryStore,
  type LowdbHistoryStoreOptions,
} from '../../src/history/lowdb-store.js';
import {
  ShardFileAdapter,
  parseShardContent,
  serializeShard,
} from '../../src/history/shard-file.js';
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
    scheduledAt: '2026-03-08T02:30:00.000Z',
    status,
    attempts: [
      {
        attempt: 1,
        startedAt: '2026-03-08T02:30:00.100Z',
        exitCode: status === 'succeeded' ? 0 : 1,
        outputTail: `output of run ${n}\n`,
      },
    ],
    specHash: 'h1',
  };
}

describe('history/lowdb-store (shards read on demand)', () => {
  let stateDir: string;
  let historyDir: string;
  let store: LowdbHistoryStore | undefined;
  /** Whole-file reads (adapter.read) per schedule. */
  let reads: Map<string, number>;

  function openStore(options: Partial<LowdbHistoryStoreOptions> = {}): LowdbHistoryStore {
    store = createLowdbHistoryStore({
      stateDir,
      clock: new ManualClock('2026-03-08T07:00:00.000Z'),
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

  /** Write a shard file directly: with a head (as the store writes it) or in the older format. */
  async function seedShard(
    schedule: string,
    runs: RunRecord[],
    format: 'current' | 'older' = 'current',
  ): Promise<ShardFile> {
    const shard: ShardFile = {
      version: 1,
      schedule,
      lastScheduledAt: '2026-03-08T02:30:00.000Z',
      runs,
    };
    await writeFile(
      join(historyDir, `${schedule}.json`),
      format === 'current' ? serializeShard(shard) : JSON.stringify(shard),
    );
    return shard;
  }

  async function readShardFile(schedule: string): Promise<{ text: string; shard: ShardFile }> {
    const file = join(historyDir, `${schedule}.json`);
    const content = await readFile(file);
    return { text: content.toString('utf8'), shard: parseShardContent(content, file) };
  }

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cronops-lazy-'));
    historyDir = join(stateDir, 'history');
    await mkdir(historyDir);
    reads = new Map();
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    await rm(stateDir, { recursive: true, force: true });
  });

  it('opens with the heads only: summaries and watermarks in memory, no runs', async () => {
    const runs = Array.from({ length: 30 }, (_, i) =>
      buildRun(i + 1, 'backup', i === 29 ? 'failed' : 'succeeded'),
    );
    await seedShard('backup', runs);
    await seedShard('sync', [buildRun(100, 'sync')]);
    const history = openStore();
    expect(await history.open()).toEqual({ schedules: ['backup', 'sync'], corrupt: [] });
    expect(reads.size).toBe(0);
    expect(history.memory()).toEqual({ loadedShards: 0, loadedBytes: 0, pendingRecords: 0 });
    expect(history.summary('backup')).toEqual(summarizeRuns(runs));
    expect(history.summary('backup').counts).toMatchObject({ succeeded: 29, failed: 1 });
    expect(history.lastScheduledAt('sync')).toBe('2026-03-08T02:30:00.000Z');
    expect(history.summary('unknown')).toMatchObject({ total: 0, runs: [] });
  });

  it('appends a record to a shard not in memory without reading it', async () => {
    const runs = Array.from({ length: 20 }, (_, i) => buildRun(i + 1, 'backup'));
    await seedShard('backup', runs);
    const history = openStore();
    await history.open();
    history.setRetention('backup', { successfulRunsLimit: 100, failedRunsLimit: 100 });
    await history.recordRun(buildRun(21, 'backup', 'running'));
    expect(history.memory().pendingRecords).toBe(1);
    expect(history.summary('backup').counts).toMatchObject({ succeeded: 20, running: 1 });
    await history.recordRun(buildRun(21, 'backup', 'failed'), {
      lastScheduledAt: '2026-03-08T03:30:00.000Z',
    });
    await history.flush();
    expect(reads.get('backup')).toBeUndefined();
    const { text, shard } = await readShardFile('backup');
    // The document as it was, then the two records (coalesced into one write).
    expect(
      text.startsWith(
        serializeShard({
          version: 1,
          schedule: 'backup',
          lastScheduledAt: '2026-03-08T02:30:00.000Z',
          runs,
        }),
      ),
    ).toBe(true);
    expect(text.trimEnd().split('\n')).toHaveLength(4);
    expect(shard.runs).toEqual([...runs, buildRun(21, 'backup', 'failed')]);
    expect(shard.lastScheduledAt).toBe('2026-03-08T03:30:00.000Z');
    expect(history.summary('backup')).toEqual(summarizeRuns(shard.runs));
    expect(history.memory()).toEqual({ loadedShards: 0, loadedBytes: 0, pendingRecords: 0 });
    // Found by id without the runs in memory (the document's id filter does not hold it).
    expect((await history.getRun(runId(21)))?.status).toBe('failed');
  });

  it('applies retention when the shard is rewritten whole, and settles the summary', async () => {
    await seedShard(
      'backup',
      Array.from({ length: 10 }, (_, i) => buildRun(i + 1, 'backup')),
    );
    const history = openStore();
    await history.open();
    history.setRetention('backup', { successfulRunsLimit: 10, failedRunsLimit: 2 });
    const changed: string[] = [];
    history.subscribe((schedule) => changed.push(schedule));
    await history.recordRun(buildRun(11, 'backup'));
    // Until the shard is read, the summary counts the new run on top (retention needs the runs).
    expect(history.summary('backup').counts.succeeded).toBe(11);
    await history.flush();
    expect((await readShardFile('backup')).shard.runs).toHaveLength(11);
    await history.compactNow();
    expect(reads.get('backup')).toBe(1);
    const { text, shard } = await readShardFile('backup');
    expect(shard.runs.map((run) => run.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => runId(i + 2)),
    );
    expect(text.trimEnd().split('\n')).toHaveLength(2);
    expect(history.summary('backup')).toMatchObject({ total: 10, oldestId: runId(2) });
    expect(changed).toEqual(['backup']);
  });

  it('setRetention with lower limits reads, prunes and writes a shard not in memory', async () => {
    await seedShard(
      'backup',
      Array.from({ length: 10 }, (_, i) => buildRun(i + 1, 'backup')),
    );
    await seedShard('sync', [buildRun(20, 'sync')]);
    const history = openStore();
    await history.open();
    history.setRetention('backup', { successfulRunsLimit: 3, failedRunsLimit: 3 });
    history.setRetention('sync', { successfulRunsLimit: 3, failedRunsLimit: 3 });
    await history.flush();
    expect((await readShardFile('backup')).shard.runs.map((run) => run.id)).toEqual([
      runId(8),
      runId(9),
      runId(10),
    ]);
    expect(history.summary('backup').total).toBe(3);
    // Within its limits: not read.
    expect(reads.get('sync')).toBeUndefined();
  });

  it('keeps whole shards within the cache budget, least recently used out', async () => {
    for (let s = 0; s < 40; s += 1) {
      await seedShard(
        `s${s}`,
        Array.from({ length: 10 }, (_, i) => buildRun(s * 100 + i, `s${s}`)),
      );
    }
    const budget = 12_000;
    const history = openStore({ cacheBytes: budget });
    await history.open();
    for (let s = 0; s < 40; s += 1) {
      expect(await history.runs(`s${s}`)).toHaveLength(10);
      expect(history.memory().loadedBytes).toBeLessThanOrEqual(budget);
    }
    expect(history.memory().loadedShards).toBeGreaterThan(0);
    // The most recently read is still in memory; the first one had to go.
    await history.runs('s39');
    await history.runs('s0');
    expect(reads.get('s39')).toBe(1);
    expect(reads.get('s0')).toBe(2);
  });

  it('keeps a shard with a write in flight in memory, over the budget if need be', async () => {
    const history = openStore({ cacheBytes: 0 });
    await history.open();
    const durable = history.recordRun(buildRun(1, 'backup', 'running'), { durable: true });
    await history.recordRun(buildRun(2, 'backup'));
    await durable;
    await history.flush();
    expect(history.memory()).toEqual({ loadedShards: 0, loadedBytes: 0, pendingRecords: 0 });
    expect((await history.runs('backup')).map((run) => run.id)).toEqual([runId(1), runId(2)]);
  });

  it('drops a shard read only to be rewritten once it is written; a run in progress or a hot shard stays', async () => {
    const clock = new ManualClock('2026-03-08T07:00:00.000Z');
    await seedShard('rare', [buildRun(1, 'rare')]);
    await seedShard('busy', [buildRun(2, 'busy')]);
    const history = openStore({ clock });
    await history.open();

    await history.recordRun(buildRun(3, 'rare'), { durable: true });
    await history.recordRun(buildRun(4, 'busy'), { durable: true });
    expect(reads.size).toBe(0);
    await history.compactNow();
    expect(Object.fromEntries(reads)).toEqual({ rare: 1, busy: 1 });
    expect(history.memory().loadedShards).toBe(0);

    // Read again within a minute of leaving memory: hot, it stays after this rewrite.
    clock.tick(30_000);
    await history.recordRun(buildRun(5, 'busy'), { durable: true });
    await history.compactNow();
    expect(reads.get('busy')).toBe(2);
    expect(history.memory().loadedShards).toBe(1);
    // A run in progress: more records follow, it stays.
    clock.tick(120_000);
    await history.recordRun(buildRun(6, 'rare', 'running'), { durable: true });
    await history.compactNow();
    expect(reads.get('rare')).toBe(2);
    expect(history.memory().loadedShards).toBe(2);
    // Once it finished, the rewrite that follows reads it again.
    await history.recordRun(buildRun(6, 'rare'), { durable: true });
    expect(history.memory().loadedShards).toBe(1);
    await history.compactNow();
    expect(reads.get('rare')).toBe(3);
    expect((await readShardFile('rare')).shard.runs.map((run) => run.id)).toEqual([
      runId(1),
      runId(3),
      runId(6),
    ]);
  });

  it('rewrites a shard in the background once it is quiet, or once it holds enough entries', async () => {
    const clock = new ManualClock('2026-03-08T07:00:00.000Z');
    await seedShard('quiet', [buildRun(1, 'quiet')]);
    await seedShard('busy', [buildRun(2, 'busy')]);
    const history = openStore({
      clock,
      compactIdleMs: 10_000,
      compactAfterEntries: 3,
      compactSweepMs: 5,
    });
    await history.open();
    const tailLines = async (schedule: string): Promise<number> =>
      (await readShardFile(schedule)).text.trimEnd().split('\n').length - 2;

    await history.recordRun(buildRun(3, 'quiet'));
    for (let n = 4; n <= 6; n += 1) await history.recordRun(buildRun(n, 'busy'));
    await history.flush();
    // Three entries: due at once, without the clock moving.
    await vi.waitFor(async () => expect(await tailLines('busy')).toBe(0), { timeout: 2000 });
    expect(await tailLines('quiet')).toBe(1);
    clock.tick(9_000);
    await history.recordRun(buildRun(7, 'quiet'));
    await history.flush();
    clock.tick(9_000);
    // Each append moves the rewrite back: still 9 s of the 10 since the last one.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await tailLines('quiet')).toBe(2);
    clock.tick(1_000);
    await vi.waitFor(async () => expect(await tailLines('quiet')).toBe(0), { timeout: 2000 });
    expect((await readShardFile('quiet')).shard.runs.map((run) => run.id)).toEqual([
      runId(1),
      runId(3),
      runId(7),
    ]);
  });

  it('reads appended entries with the heads at open(), and rewrites a damaged tail', async () => {
    await seedShard('backup', [buildRun(1, 'backup')]);
    const first = openStore();
    await first.open();
    await first.recordRun(buildRun(2, 'backup', 'running'), {
      lastScheduledAt: '2026-03-08T05:30:00.000Z',
    });
    await first.recordRun(buildRun(2, 'backup', 'failed'));
    await first.close();
    // A write cut short by a power loss: a torn line at the end.
    const file = join(historyDir, 'backup.json');
    await writeFile(file, `${await readFile(file, 'utf8')}{"run":{"id":"01JA`);

    const logs: string[] = [];
    const history = openStore({
      logger: pino({ level: 'warn' }, { write: (line: string) => logs.push(line) }),
    });
    await history.open();
    expect(reads.size).toBe(0);
    expect(history.summary('backup')).toMatchObject({
      total: 2,
      counts: { succeeded: 1, failed: 1, running: 0 },
      newestId: runId(2),
    });
    expect(history.lastScheduledAt('backup')).toBe('2026-03-08T05:30:00.000Z');
    expect(logs.join('')).toContain('ignoring a damaged line at the end of a history file');
    // The next write is a whole one: nothing is appended after the torn line.
    await history.recordRun(buildRun(3, 'backup'));
    await history.flush();
    const { text, shard } = await readShardFile('backup');
    expect(text).not.toContain('{"run":{"id":"01JA\n');
    expect(shard.runs.map((run) => [run.id, run.status])).toEqual([
      [runId(1), 'succeeded'],
      [runId(2), 'failed'],
      [runId(3), 'succeeded'],
    ]);
    expect(shard.lastScheduledAt).toBe('2026-03-08T05:30:00.000Z');
  });

  it('starts a shard whose file disappeared again from the records it holds', async () => {
    await seedShard('backup', [buildRun(1, 'backup'), buildRun(2, 'backup')]);
    const history = openStore();
    await history.open();
    await rm(join(historyDir, 'backup.json'));
    await history.recordRun(buildRun(3, 'backup'), { durable: true });
    expect((await readShardFile('backup')).shard.runs).toEqual([buildRun(3, 'backup')]);
    expect(history.summary('backup')).toMatchObject({ total: 1, oldestId: runId(3) });
    expect(history.health()).toMatchObject({ writable: true, pendingWrites: 0 });
  });

  describe('queries across shards', () => {
    beforeEach(async () => {
      // 50 schedules; schedule k holds runs k*1000+1 … k*1000+20 (so schedule 49 has the newest).
      for (let k = 0; k < 50; k += 1) {
        await seedShard(
          `s${k}`,
          Array.from({ length: 20 }, (_, i) =>
            buildRun(k * 1000 + i + 1, `s${k}`, i === 5 ? 'failed' : 'succeeded'),
          ),
        );
      }
    });

    it('lists the newest runs across schedules, reading only the shards that hold them', async () => {
      const history = openStore();
      await history.open();
      const page = await history.listRuns({ limit: 5 });
      expect(page.map((run) => run.id)).toEqual([20, 19, 18, 17, 16].map((i) => runId(49_000 + i)));
      expect(page[0]?.attempts[0]?.outputTail).toBe(`output of run ${49_020}\n`);
      expect([...reads.keys()].length).toBeLessThanOrEqual(8);
      const next = await history.listRuns({ limit: 25, before: runId(49_016) });
      expect(next.map((run) => run.id)).toEqual([
        ...[15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map((i) => runId(49_000 + i)),
        ...[20, 19, 18, 17, 16, 15, 14, 13, 12, 11].map((i) => runId(48_000 + i)),
      ]);
    });

    it('lists the newest runs of a set of schedules the same way', async () => {
      const history = openStore();
      await history.open();
      const names = Array.from({ length: 25 }, (_, k) => `s${k * 2}`);
      const page = await history.listRuns({ schedules: names, limit: 3 });
      expect(page.map((run) => run.id)).toEqual([20, 19, 18].map((i) => runId(48_000 + i)));
      expect([...reads.keys()].every((name) => names.includes(name))).toBe(true);
      expect([...reads.keys()].length).toBeLessThanOrEqual(8);
    });

    it('skips shards whose counts show no run of the statuses asked for', async () => {
      await seedShard('clean', [buildRun(90_001, 'clean')]);
      const history = openStore();
      await history.open();
      const failed = await history.listRuns({ status: ['failed'] });
      expect(failed).toHaveLength(50);
      expect(reads.get('clean')).toBeUndefined();
      expect(await history.listRuns({ status: ['running', 'pending'] })).toEqual([]);
    });

    it('finds one run by id among all shards, reading the shard that holds it', async () => {
      const history = openStore();
      await history.open();
      const run = await history.getRun(runId(17_009));
      expect(run).toEqual(buildRun(17_009, 's17'));
      // The id filters rule out the other shards (a rare false "maybe" reads one more).
      expect(reads.get('s17')).toBe(1);
      expect([...reads.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3);
      reads.clear();
      expect(await history.getRun(runId(17_999))).toBeUndefined();
      expect(await history.getRun('01JZZZZZZZZZZZZZZZZZZZZZZZ')).toBeUndefined();
      expect([...reads.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2);
    });

    it('answers hasRun for recent runs from the summaries, and reads a shard for an older one', async () => {
      const history = openStore();
      await history.open();
      expect(await history.hasRun('s3', runId(3_020))).toBe(true);
      expect(await history.hasRun('s3', runId(4_020))).toBe(false);
      expect(await history.hasRun('unknown', runId(3_020))).toBe(false);
      expect(reads.size).toBe(0);
      expect(await history.hasRun('s3', runId(3_010))).toBe(true);
      expect(reads.get('s3')).toBe(1);
    });

    it('getRun with a schedule looks in that shard only', async () => {
      const history = openStore();
      await history.open();
      expect((await history.getRun(runId(8_004), { schedule: 's8' }))?.id).toBe(runId(8_004));
      expect(await history.getRun(runId(8_004), { schedule: 's9' })).toBeUndefined();
      expect([...reads.keys()]).toEqual(['s8']);
    });
  });

  it('reads shards in the older format whole, then rewrites them with a head', async () => {
    const runs = Array.from({ length: 12 }, (_, i) => buildRun(i + 1, 'backup'));
    const old = await seedShard('backup', runs, 'older');
    const history = openStore();
    await history.open();
    expect(history.summary('backup')).toEqual(summarizeRuns(runs));
    await history.upgraded();
    const { text, shard } = await readShardFile('backup');
    expect(text).toBe(serializeShard(old));
    expect(shard.runs).toEqual(runs);
    await history.close();
    reads.clear();
    const again = openStore();
    await again.open();
    expect(reads.size).toBe(0);
    expect(again.summary('backup')).toEqual(summarizeRuns(runs));
  });

  it('a shard found corrupt when it is read later is moved aside, reported, and started fresh', async () => {
    const text = serializeShard({
      version: 1,
      schedule: 'backup',
      runs: [buildRun(1, 'backup'), buildRun(2, 'backup')],
    });
    // Same size, a damaged run: the head still matches the file.
    const newline = text.indexOf('\n');
    await writeFile(
      join(historyDir, 'backup.json'),
      text.slice(0, newline) + text.slice(newline).replace('"runs":[{', '"runs":[['),
    );
    const history = openStore();
    expect((await history.open()).corrupt).toEqual([]);
    expect(history.summary('backup').total).toBe(2);
    const changed: string[] = [];
    history.subscribe((schedule) => changed.push(schedule));
    expect(await history.runs('backup')).toEqual([]);
    expect(history.health().corrupt).toEqual([
      {
        file: join(historyDir, 'backup.json'),
        movedTo: join(historyDir, 'backup.json.corrupt-20260308T070000.000Z'),
        error: expect.stringContaining('not valid JSON'),
        at: '2026-03-08T07:00:00.000Z',
      },
    ]);
    expect(history.summary('backup').total).toBe(0);
    expect(changed).toEqual(['backup']);
    await history.recordRun(buildRun(3, 'backup'), { durable: true });
    expect((await readShardFile('backup')).shard.runs).toEqual([buildRun(3, 'backup')]);
  });

  it('answers from the summary and keeps records in memory while a shard cannot be read', async () => {
    await seedShard('backup', [buildRun(1, 'backup'), buildRun(2, 'backup')]);
    const history = openStore({ retryIntervalMs: 60_000 });
    await history.open();
    // A directory where the file was: reading it fails with EISDIR (not a corrupt file).
    await rm(join(historyDir, 'backup.json'));
    await mkdir(join(historyDir, 'backup.json'));
    await history.recordRun(buildRun(3, 'backup'), { durable: true });
    expect(history.health()).toMatchObject({ writable: false, pendingWrites: 1 });
    expect(history.memory().pendingRecords).toBe(1);
    const runs = await history.runs('backup');
    expect(runs.map((run) => run.id)).toEqual([runId(1), runId(2), runId(3)]);
    expect(runs[2]?.attempts[0]?.outputTail).toBe('output of run 3\n');
    expect(await history.getRun(runId(3))).toEqual(buildRun(3, 'backup'));
    await rm(join(historyDir, 'backup.json'), { recursive: true });
    await writeFile(
      join(historyDir, 'backup.json'),
      serializeShard({
        version: 1,
        schedule: 'backup',
        runs: [buildRun(1, 'backup'), buildRun(2, 'backup')],
      }),
    );
    await history.recordRun(buildRun(4, 'backup'), { durable: true });
    expect(history.health()).toMatchObject({ writable: true, pendingWrites: 0 });
    expect((await readShardFile('backup')).shard.runs.map((run) => run.id)).toEqual([
      runId(1),
      runId(2),
      runId(3),
      runId(4),
    ]);
  });
});
