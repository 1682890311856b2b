import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLowdbHistoryStore } from '../../src/history/lowdb-store.js';
import { serializeShard } from '../../src/history/shard-file.js';
import type { RunRecord } from '../../src/history/store.js';
import { ManualClock } from '../../src/shared/clock.js';

const SCHEDULES = 2_000;
const RUNS = 100;
const TAIL = 'line of job output: processed 1234 rows in 56 ms\n'.repeat(8);

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function heapUsedMiB(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe('history/lowdb-store memory', () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cronops-memory-'));
    const historyDir = join(stateDir, 'history');
    await mkdir(historyDir);
    for (let s = 0; s < SCHEDULES; s += 1) {
      const schedule = `schedule-${s}`;
      const runs: RunRecord[] = Array.from({ length: RUNS }, (_, i) => ({
        id: `01JA${String(s * RUNS + i).padStart(22, '0')}`,
        schedule,
        trigger: 'schedule',
        scheduledAt: '2026-03-08T02:30:00.000Z',
        startedAt: '2026-03-08T02:30:00.100Z',
        finishedAt: '2026-03-08T02:30:01.100Z',
        durationMs: 1000,
        status: i % 10 === 0 ? 'failed' : 'succeeded',
        attempts: [
          {
            attempt: 1,
            startedAt: '2026-03-08T02:30:00.100Z',
            finishedAt: '2026-03-08T02:30:01.100Z',
            exitCode: i % 10 === 0 ? 1 : 0,
            signal: null,
            outputTail: TAIL,
          },
        ],
        specHash: 'sha256:0123456789abcdef',
      }));
      await writeFile(
        join(historyDir, `${schedule}.json`),
        serializeShard({ version: 1, schedule, runs }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('opening 2,000 schedules × 100 runs keeps the heap small; queries stay within the cache', async () => {
    // ~80 MB of runs on disk: held in memory they would take well over 150 MB of heap.
    const before = heapUsedMiB();
    const store = createLowdbHistoryStore({
      stateDir,
      clock: new ManualClock('2026-03-08T07:00:00.000Z'),
      cacheBytes: 4 * 1024 * 1024,
    });
    const opened = await store.open();
    expect(opened.schedules).toHaveLength(SCHEDULES);
    const afterOpen = heapUsedMiB();
    expect(afterOpen - before).toBeLessThan(30);

    for (let s = 0; s < SCHEDULES; s += 50) {
      expect(await store.runs(`schedule-${s}`)).toHaveLength(RUNS);
    }
    expect((await store.listRuns({ status: ['failed'], limit: 20 })).length).toBe(20);
    expect(store.memory().loadedBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(heapUsedMiB() - before).toBeLessThan(45);
    await store.close();
  }, 120_000);
});
