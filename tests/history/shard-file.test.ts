import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { idFilterMayContain, probeId } from '../../src/history/id-filter.js';
import {
  HEAD_READ_BYTES,
  ShardFileAdapter,
  parseShardHead,
  serializeShard,
} from '../../src/history/shard-file.js';
import type { RunRecord, RunStatus, ShardFile } from '../../src/history/store.js';
import { summarizeRuns } from '../../src/history/summary.js';

const runId = (n: number): string => `01JA${String(n).padStart(22, '0')}`;

function buildRun(n: number, status: RunStatus = 'succeeded', reason?: string): RunRecord {
  return {
    id: runId(n),
    schedule: 'backup',
    trigger: 'schedule',
    scheduledAt: '2026-03-08T02:30:00.000Z',
    status,
    ...(reason !== undefined ? { reason } : {}),
    attempts: [
      {
        attempt: 1,
        startedAt: '2026-03-08T02:30:00.100Z',
        exitCode: 0,
        outputTail: `output of run ${n}\nwith "quotes" and a second line\n`,
      },
    ],
    specHash: 'h1',
  };
}

function buildShard(count: number): ShardFile {
  return {
    version: 1,
    schedule: 'backup',
    lastScheduledAt: '2026-03-08T02:30:00.000Z',
    runs: Array.from({ length: count }, (_, index) =>
      buildRun(index + 1, index % 7 === 3 ? 'failed' : 'succeeded'),
    ),
  };
}

describe('history/shard-file', () => {
  describe('serializeShard and parseShardHead', () => {
    it('writes one JSON document whose first line is the head', () => {
      const shard = buildShard(20);
      const text = serializeShard(shard);
      const [firstLine, rest, more] = text.split('\n');
      expect(more).toBeUndefined();
      expect(firstLine).toMatch(
        /^\{"version":1,"schedule":"backup","lastScheduledAt":".*","summary":\{.*\},$/,
      );
      expect(rest).toMatch(/^"runs":\[.*\]\}$/);
      const { summary, ...parsed } = JSON.parse(text) as ShardFile & { summary: unknown };
      expect(parsed).toEqual(shard);
      expect(summary).toMatchObject({ total: 20, counts: { succeeded: 17, failed: 3 } });
    });

    it('round-trips the summary: the head gives what summarizeRuns gives, without output tails', () => {
      const shard = buildShard(30);
      const text = serializeShard(shard);
      const newline = text.indexOf('\n');
      const head = parseShardHead(text.slice(0, newline));
      expect(head?.lastScheduledAt).toBe('2026-03-08T02:30:00.000Z');
      expect(head?.summary).toEqual(summarizeRuns(shard.runs));
      expect(head?.summary.runs.flatMap((run) => run.attempts.map((a) => a.outputTail))).toEqual(
        head?.summary.runs.map(() => undefined),
      );
      expect(head?.bytes).toBe(Buffer.byteLength(text.slice(newline + 1)));
      for (const run of shard.runs) {
        expect(idFilterMayContain(head!.ids, probeId(run.id))).toBe(true);
      }
    });

    it('writes an empty shard with an empty summary', () => {
      const text = serializeShard({ version: 1, schedule: 'backup', runs: [] });
      const head = parseShardHead(text.slice(0, text.indexOf('\n')));
      expect(head?.summary).toEqual({
        total: 0,
        counts: expect.objectContaining({ succeeded: 0 }),
        runs: [],
      });
      expect(JSON.parse(text)).toMatchObject({ version: 1, schedule: 'backup', runs: [] });
    });

    it.each([
      ['not JSON', 'hello'],
      ['a whole document (the older format)', '{"version":1,"schedule":"backup","runs":[]}'],
      [
        'another version',
        serializeShard(buildShard(1)).split('\n')[0]!.replace('"version":1', '"version":2'),
      ],
      [
        'counts that do not add up',
        serializeShard(buildShard(3)).split('\n')[0]!.replace('"total":3', '"total":4'),
      ],
      [
        'an unknown status',
        serializeShard(buildShard(1)).split('\n')[0]!.replace('"succeeded":1', '"done":1'),
      ],
      [
        'a broken id filter',
        serializeShard(buildShard(1))
          .split('\n')[0]!
          .replace(/"ids":"[^"]*"/, '"ids":"!!"'),
      ],
      ['a pretty-printed first line', '{'],
    ])('refuses a head that is %s', (_name, line) => {
      expect(parseShardHead(line)).toBeUndefined();
    });
  });

  describe('ShardFileAdapter', () => {
    let dir: string;
    let file: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cronops-shard-'));
      file = join(dir, 'backup.json');
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('writes the head format atomically and reads the head alone or the whole file', async () => {
      const adapter = new ShardFileAdapter(file);
      const shard = buildShard(40);
      await adapter.write(shard);
      expect(await readFile(file, 'utf8')).toBe(serializeShard(shard));
      expect(adapter.readHead()).toEqual({
        lastScheduledAt: '2026-03-08T02:30:00.000Z',
        summary: summarizeRuns(shard.runs),
        ids: expect.any(Uint8Array),
      });
      expect(await adapter.read()).toMatchObject(shard);
    });

    it('reads a missing file as null', () => {
      expect(new ShardFileAdapter(file).readHead()).toBeNull();
    });

    it('has no head for a shard in the older format (plain JSON), which read() still reads', async () => {
      const shard = buildShard(3);
      await writeFile(file, JSON.stringify(shard));
      const adapter = new ShardFileAdapter(file);
      expect(adapter.readHead()).toBeUndefined();
      expect(await adapter.read()).toEqual(shard);
    });

    it('reads on when the head is longer than the first read', async () => {
      // Running runs are all in the summary: 60 of them with long reasons make a head of ~30 KiB.
      const runs = Array.from({ length: 60 }, (_, index) =>
        buildRun(index + 1, 'running', `reason ${'x'.repeat(400)}`),
      );
      const shard: ShardFile = { version: 1, schedule: 'backup', runs };
      await new ShardFileAdapter(file).write(shard);
      const text = await readFile(file, 'utf8');
      expect(text.indexOf('\n')).toBeGreaterThan(HEAD_READ_BYTES * 2);
      const head = new ShardFileAdapter(file).readHead();
      expect(head?.summary.counts.running).toBe(60);
      expect(head?.summary.runs).toHaveLength(60);
    });

    it('has no head for a truncated file, though its first line is intact', async () => {
      const adapter = new ShardFileAdapter(file);
      await adapter.write(buildShard(40));
      const text = await readFile(file, 'utf8');
      await truncate(file, Buffer.byteLength(text) - 10);
      expect(adapter.readHead()).toBeUndefined();
      await expect(adapter.read()).rejects.toThrow(/not valid JSON/);
    });

    it('has no head when the first line is corrupt', async () => {
      const text = serializeShard(buildShard(5));
      await writeFile(file, text.replace('"summary":{', '"summary":{{'));
      expect(new ShardFileAdapter(file).readHead()).toBeUndefined();
    });
  });
});
