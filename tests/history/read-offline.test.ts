import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHistoryOffline } from '../../src/history/read-offline.js';
import { serializeEntries, serializeShard } from '../../src/history/shard-file.js';
import type { RunRecord, RunStatus } from '../../src/history/store.js';
import { SchedulerError } from '../../src/shared/errors.js';

function buildRun(id: string, schedule: string, status: RunStatus): RunRecord {
  return {
    id,
    schedule,
    trigger: 'schedule',
    scheduledAt: '2026-03-08T02:30:00.000Z',
    status,
    attempts: [],
    specHash: 'h1',
  };
}

describe('history/read-offline', () => {
  let stateDir: string;
  let historyDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'cronops-offline-'));
    historyDir = join(stateDir, 'history');
    await mkdir(historyDir);
  });

  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('reads every shard, skips corrupt ones with a warning, and moves nothing', async () => {
    const backup = {
      version: 1,
      schedule: 'backup',
      lastScheduledAt: '2026-03-08T02:30:00.000Z',
      runs: [buildRun('01B', 'backup', 'failed'), buildRun('01A', 'backup', 'succeeded')],
    };
    const sync = { version: 1, schedule: 'sync', runs: [buildRun('01C', 'sync', 'succeeded')] };
    await writeFile(join(historyDir, 'backup.json'), JSON.stringify(backup));
    await writeFile(join(historyDir, 'sync.json'), JSON.stringify(sync));
    await writeFile(join(historyDir, 'broken.json'), '{"version":1,"runs":[');
    await writeFile(join(historyDir, 'backup.json.corrupt-20260101T000000.000Z'), 'old');
    const before = (await readdir(historyDir)).sort();

    const history = await readHistoryOffline(stateDir);
    expect(history.exists).toBe(true);
    expect(history.schedules).toEqual(['backup', 'sync']);
    expect(history.warnings).toEqual([
      expect.stringMatching(/^skipped .*broken\.json: not valid JSON/),
    ]);
    expect(history.runs('backup').map((run) => run.id)).toEqual(['01A', '01B']);
    expect(history.runs('nope')).toEqual([]);
    expect(history.listRuns({ status: ['succeeded'] }).map((run) => run.id)).toEqual([
      '01C',
      '01A',
    ]);
    expect(history.getRun('01B')?.status).toBe('failed');
    expect(history.lastScheduledAt('backup')).toBe('2026-03-08T02:30:00.000Z');
    expect((await readdir(historyDir)).sort()).toEqual(before);
    expect(await readFile(join(historyDir, 'broken.json'), 'utf8')).toBe('{"version":1,"runs":[');
  });

  it('reads shards written with a summary head as well as older ones', async () => {
    const backup = {
      version: 1 as const,
      schedule: 'backup',
      lastScheduledAt: '2026-03-08T02:30:00.000Z',
      runs: [buildRun('01A', 'backup', 'succeeded'), buildRun('01B', 'backup', 'failed')],
    };
    await writeFile(join(historyDir, 'backup.json'), serializeShard(backup));
    await writeFile(
      join(historyDir, 'sync.json'),
      JSON.stringify({ version: 1, schedule: 'sync', runs: [buildRun('01C', 'sync', 'failed')] }),
    );
    const history = await readHistoryOffline(stateDir);
    expect(history.warnings).toEqual([]);
    expect(history.runs('backup')).toEqual(backup.runs);
    expect(history.lastScheduledAt('backup')).toBe('2026-03-08T02:30:00.000Z');
    expect(history.listRuns({ status: ['failed'] }).map((run) => run.id)).toEqual(['01C', '01B']);
  });

  it("reads the records appended after a shard's document", async () => {
    const backup = {
      version: 1 as const,
      schedule: 'backup',
      lastScheduledAt: '2026-03-08T02:30:00.000Z',
      runs: [buildRun('01A', 'backup', 'succeeded')],
    };
    const appended = serializeEntries([
      { run: buildRun('01B', 'backup', 'running'), lastScheduledAt: '2026-03-08T03:30:00.000Z' },
      { run: buildRun('01B', 'backup', 'failed') },
    ]);
    await writeFile(join(historyDir, 'backup.json'), serializeShard(backup) + appended);
    const history = await readHistoryOffline(stateDir);
    expect(history.warnings).toEqual([]);
    expect(history.runs('backup').map((run) => [run.id, run.status])).toEqual([
      ['01A', 'succeeded'],
      ['01B', 'failed'],
    ]);
    expect(history.getRun('01B')?.status).toBe('failed');
    expect(history.lastScheduledAt('backup')).toBe('2026-03-08T03:30:00.000Z');
  });

  it('gives an empty history for a state directory without one', async () => {
    const history = await readHistoryOffline(join(stateDir, 'missing'));
    expect(history).toMatchObject({ exists: false, schedules: [], warnings: [] });
    expect(history.listRuns({})).toEqual([]);
  });

  it('throws HISTORY_READ_FAILED when the history path cannot be listed', async () => {
    await rm(historyDir, { recursive: true });
    await writeFile(historyDir, 'a file');
    const error = await readHistoryOffline(stateDir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchedulerError);
    expect((error as SchedulerError).code).toBe('HISTORY_READ_FAILED');
    expect((error as SchedulerError).message).toMatch(/^cannot read history in .*history: ENOTDIR/);
  });
});
