import {
  access,
  appendFile,
  mkdtemp,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { idFilterMayContain, probeId } from '../../src/history/id-filter.js';
import {
  HEAD_READ_BYTES,
  ShardFileAdapter,
  TAIL_READ_BYTES,
  parseShardContent,
  parseShardHead,
  serializeEntries,
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
      const [firstLine, rest, ...more] = text.split('\n');
      expect(more).toEqual(['']);
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
        appendedIds: [],
        tail: { entries: 0, damaged: false },
      });
      expect(await adapter.read()).toMatchObject({
        ...shard,
        tail: { entries: 0, damaged: false },
      });
    });

    it('appends entries after the document; the head and a whole read apply them in order', async () => {
      const adapter = new ShardFileAdapter(file);
      const shard = buildShard(10);
      await adapter.write(shard);
      // Run 11 starts, run 3 is rewritten, the watermark moves, then run 11 finishes.
      await adapter.append(
        [{ run: buildRun(11, 'running'), lastScheduledAt: '2026-03-08T03:30:00.000Z' }],
        { sync: false },
      );
      await adapter.append(
        [
          { run: buildRun(3, 'failed') },
          { lastScheduledAt: '2026-03-08T04:30:00.000Z' },
          { run: buildRun(11, 'succeeded') },
        ],
        { sync: true },
      );
      const text = await readFile(file, 'utf8');
      expect(text.startsWith(serializeShard(shard))).toBe(true);
      expect(text.split('\n')).toHaveLength(2 + 4 + 1);
      const runs = shard.runs.map((run) => (run.id === runId(3) ? buildRun(3, 'failed') : run));
      runs.push(buildRun(11, 'succeeded'));
      expect(await adapter.read()).toMatchObject({
        ...shard,
        lastScheduledAt: '2026-03-08T04:30:00.000Z',
        runs,
        tail: { entries: 4, damaged: false },
      });
      const head = adapter.readHead();
      expect(head).toMatchObject({
        lastScheduledAt: '2026-03-08T04:30:00.000Z',
        appendedIds: [runId(11), runId(3), runId(11)],
        tail: { entries: 4, damaged: false },
      });
      // The summary counts what the entries changed (run 3 is not among its runs, so it counts as new
      // until the runs are read: see addToSummary).
      expect(head?.summary.counts).toMatchObject({ succeeded: 10, failed: 2, running: 0 });
      expect(head?.summary.newestId).toBe(runId(11));
    });

    it.each([
      ['within the first read', 10],
      ['beyond the first read', 10_000],
    ])('reads the appended entries of a file whose end lies %s', async (_where, tailBytes) => {
      const run = buildRun(1);
      run.attempts[0]!.outputTail = 'x'.repeat(tailBytes);
      const adapter = new ShardFileAdapter(file);
      await adapter.write({ version: 1, schedule: 'backup', runs: [run] });
      await adapter.append(
        [{ run: buildRun(2) }, { lastScheduledAt: '2026-03-08T05:00:00.000Z' }],
        {
          sync: false,
        },
      );
      expect((await stat(file)).size > HEAD_READ_BYTES).toBe(tailBytes > HEAD_READ_BYTES);
      expect(adapter.readHead()).toMatchObject({
        lastScheduledAt: '2026-03-08T05:00:00.000Z',
        appendedIds: [runId(2)],
        tail: { entries: 2, damaged: false },
      });
    });

    it('finds the end of the document by bytes, with text that is not ASCII', async () => {
      const run = buildRun(1);
      run.attempts[0]!.outputTail = 'Größe: 12 Mo — ✓ terminé\n';
      const adapter = new ShardFileAdapter(file);
      await adapter.write({ version: 1, schedule: 'backup', runs: [run] });
      await adapter.append([{ run: { ...buildRun(2), reason: 'déjà vu' } }], { sync: false });
      expect((await adapter.read())?.runs.map((known) => known.id)).toEqual([runId(1), runId(2)]);
      expect(adapter.readHead()?.tail).toEqual({ entries: 1, damaged: false });
    });

    it('never appends to a missing file (no document to follow)', async () => {
      await expect(
        new ShardFileAdapter(file).append([{ run: buildRun(1) }], { sync: false }),
      ).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(access(file)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it.each([
      ['a line cut short (no newline)', '{"run":{"id":"01JA'],
      ['a line that is not JSON', 'garbage\n'],
      ['JSON that is not an entry', '{"other":1}\n'],
      ['a run that is not a run', '{"run":{"id":"x","status":"weird"}}\n'],
    ])('stops at %s: the entries before it count, the rest is ignored', async (_name, bad) => {
      const adapter = new ShardFileAdapter(file);
      await adapter.write(buildShard(2));
      await adapter.append([{ run: buildRun(3) }], { sync: false });
      await appendFile(file, `${bad}${serializeEntries([{ run: buildRun(4) }])}`);
      expect(adapter.readHead()).toMatchObject({
        appendedIds: [runId(3)],
        tail: { entries: 1, damaged: true },
      });
      const read = await adapter.read();
      expect(read?.runs.map((run) => run.id)).toEqual([runId(1), runId(2), runId(3)]);
      expect(read?.tail).toEqual({ entries: 1, damaged: true });
    });

    it('leaves a tail longer than TAIL_READ_BYTES to a whole read', async () => {
      const adapter = new ShardFileAdapter(file);
      await adapter.write(buildShard(1));
      const long = { ...buildRun(2), reason: 'x'.repeat(1024) };
      const count = Math.ceil(TAIL_READ_BYTES / 1024) + 1;
      await adapter.append(
        Array.from({ length: count }, () => ({ run: long })),
        { sync: false },
      );
      expect(adapter.readHead()).toBeUndefined();
      expect((await adapter.read())?.tail).toEqual({ entries: count, damaged: false });
    });

    it('parses a file without a head whole, and a damaged document as not JSON', () => {
      const shard = buildShard(2);
      expect(parseShardContent(Buffer.from(JSON.stringify(shard)), file)).toEqual(shard);
      const text = serializeShard(shard);
      expect(() => parseShardContent(Buffer.from(text.slice(0, -5)), file)).toThrow(
        /not valid JSON/,
      );
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
