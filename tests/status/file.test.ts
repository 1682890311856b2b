import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import {
  createStatusFileWriter,
  iterateSnapshotParts,
  writeChunksAtomically,
  textSlices,
  type StatusFileTimers,
} from '../../src/status/file.js';
import {
  buildStatusSnapshot,
  type StatusInput,
  type StatusSnapshot,
} from '../../src/status/snapshot.js';

/** A snapshot whose generatedAt tells which one it is; `schedules` makes it large. */
function makeSnapshot(n: number, schedules = 0): StatusSnapshot {
  const input: StatusInput = {
    now: new Date(Date.UTC(2026, 2, 10, 12, 0, n)),
    daemon: {
      version: '0.1.0',
      pid: 1,
      startedAt: new Date('2026-03-10T12:00:00.000Z'),
      configDir: 'schedules.d',
      stateDir: '.cronops',
      watchMode: 'off',
      listen: null,
      maxConcurrentRuns: null,
      shuttingDown: false,
    },
    files: [],
    schedules: Array.from({ length: schedules }, (_, index) => ({
      name: `job-${String(index).padStart(4, '0')}`,
      file: 'schedules.d/all.yaml',
      description: 'x'.repeat(200),
      schedule: '*/5 * * * *',
      humanSchedule: 'Every 5 minutes',
      timezone: 'Europe/Berlin',
      suspended: false,
      degraded: false,
      labels: { team: 'data' },
      concurrencyPolicy: 'Forbid',
      nextFires: [new Date('2026-03-10T12:05:00.000Z')],
      running: [],
      queued: 0,
      runs: [],
    })),
    history: { writable: true, pendingWrites: 0, corrupt: [] },
  };
  return buildStatusSnapshot(input);
}

/** Timers that only fire when the test says so. */
class ManualTimers implements StatusFileTimers {
  readonly scheduled: { callback: () => void; ms: number }[] = [];
  set(callback: () => void, ms: number): unknown {
    const entry = { callback, ms };
    this.scheduled.push(entry);
    return entry;
  }
  clear(handle: unknown): void {
    const index = this.scheduled.indexOf(handle as (typeof this.scheduled)[number]);
    if (index >= 0) this.scheduled.splice(index, 1);
  }
  fire(): number {
    const entry = this.scheduled.shift();
    if (entry === undefined) throw new Error('no timer scheduled');
    entry.callback();
    return entry.ms;
  }
}

function captureLogs(): {
  lines: Record<string, unknown>[];
  logger: ReturnType<typeof createLogger>;
} {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    },
  });
  return { lines, logger };
}

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cronops-status-file-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readStatus(path: string): Promise<StatusSnapshot> {
  return JSON.parse(await readFile(path, 'utf8')) as StatusSnapshot;
}

describe('status/file', () => {
  it('writes the snapshot as JSON, creating the directory, leaving no temp file', async () => {
    const path = join(dir, 'state', 'nested', 'status.json');
    const writer = createStatusFileWriter({ path });
    const snapshot = makeSnapshot(1, 2);
    writer.update(snapshot);
    await writer.flush();
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(snapshot);
    expect(await readdir(join(dir, 'state', 'nested'))).toEqual(['status.json']);
    expect(writer.health()).toEqual({ writable: true });
  });

  it('calls onWritten after each write, once the file is in place', async () => {
    const path = join(dir, 'status.json');
    const seen: string[] = [];
    const writer = createStatusFileWriter({
      path,
      onWritten: () => void seen.push('written'),
    });
    writer.update(makeSnapshot(1));
    expect(seen).toEqual([]);
    await writer.flush();
    expect(seen).toEqual(['written']);
    expect((await readStatus(path)).generatedAt).toBe(makeSnapshot(1).generatedAt);
  });

  it('flush with nothing pending writes nothing', async () => {
    const path = join(dir, 'status.json');
    const writer = createStatusFileWriter({ path });
    await writer.flush();
    expect(await readdir(dir)).toEqual([]);
  });

  it('coalesces 50 updates into at most 2 writes of the latest snapshot', async () => {
    const path = join(dir, 'status.json');
    const writer = createStatusFileWriter({ path });
    let built = 0;
    for (let n = 0; n < 50; n += 1) {
      writer.update(() => {
        built += 1;
        return makeSnapshot(n);
      });
    }
    await writer.flush();
    expect(built).toBeGreaterThanOrEqual(1);
    expect(built).toBeLessThanOrEqual(2);
    expect((await readStatus(path)).generatedAt).toBe(makeSnapshot(49).generatedAt);
  });

  it('starts writes at most once per minIntervalMs and writes only the latest', async () => {
    const path = join(dir, 'status.json');
    const timers = new ManualTimers();
    const clock = new ManualClock('2026-03-10T12:00:00.000Z');
    const writer = createStatusFileWriter({ path, timers, clock, minIntervalMs: 100 });
    const built: number[] = [];
    const update = (n: number) =>
      writer.update(() => {
        built.push(n);
        return makeSnapshot(n);
      });

    update(1);
    update(2);
    expect(timers.scheduled.map((t) => t.ms)).toEqual([0]);
    expect(timers.fire()).toBe(0);
    await writer.flush(); // waits for the write under way; nothing else is pending
    expect(built).toEqual([2]);

    clock.tick(30);
    update(3);
    update(4);
    clock.tick(10);
    update(5);
    expect(timers.scheduled.map((t) => t.ms)).toEqual([70]);
    clock.tick(60);
    timers.fire();
    await writer.flush();
    expect(built).toEqual([2, 5]);
    expect((await readStatus(path)).generatedAt).toBe(makeSnapshot(5).generatedAt);

    clock.tick(500);
    update(6);
    expect(timers.scheduled.map((t) => t.ms)).toEqual([0]);
    await writer.flush(); // writes now, without waiting for the timer
    expect(timers.scheduled).toEqual([]);
    expect(built).toEqual([2, 5, 6]);
  });

  it('never waits longer than minIntervalMs when the clock steps backward', async () => {
    const timers = new ManualTimers();
    const clock = new ManualClock('2026-03-10T12:00:00.000Z');
    const writer = createStatusFileWriter({ path: join(dir, 'status.json'), timers, clock });
    writer.update(makeSnapshot(1));
    timers.fire();
    await writer.flush();
    clock.tick(-3_600_000);
    writer.update(makeSnapshot(2));
    expect(timers.scheduled.map((t) => t.ms)).toEqual([100]);
    timers.fire();
    await writer.flush();
    expect((await readStatus(join(dir, 'status.json'))).generatedAt).toBe(
      makeSnapshot(2).generatedAt,
    );
  });

  it('is atomic: a reader never sees a partial file', async () => {
    const path = join(dir, 'status.json');
    const writer = createStatusFileWriter({ path, minIntervalMs: 0 });
    writer.update(makeSnapshot(0, 300));
    await writer.flush();
    let done = false;
    let reads = 0;
    const reader = (async () => {
      while (!done) {
        const snapshot = await readStatus(path); // throws on a partial file
        expect(snapshot.schedules).toHaveLength(300);
        reads += 1;
      }
    })();
    for (let n = 1; n <= 40; n += 1) {
      writer.update(makeSnapshot(n, 300));
      await writer.flush();
    }
    done = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect((await readStatus(path)).generatedAt).toBe(makeSnapshot(40).generatedAt);
    expect(await readdir(dir)).toEqual(['status.json']);
  });

  it('never throws for an unwritable path: logs once, reports it, recovers', async () => {
    // A regular file where the directory should be: mkdir fails with ENOTDIR, even as root.
    const blocker = join(dir, 'state');
    await writeFile(blocker, 'not a directory');
    const path = join(blocker, 'cronops', 'status.json');
    const { lines, logger } = captureLogs();
    const writer = createStatusFileWriter({ path, logger });

    writer.update(makeSnapshot(1));
    await expect(writer.flush()).resolves.toBeUndefined();
    writer.update(makeSnapshot(2));
    await writer.flush();
    const health = writer.health();
    expect(health.writable).toBe(false);
    expect(health.lastError).toContain('ENOTDIR');
    const errors = lines.filter((line) => line['level'] === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'cannot write status file', file: path });

    await rm(blocker);
    await mkdir(blocker);
    writer.update(makeSnapshot(3));
    await writer.flush();
    expect(writer.health()).toEqual({ writable: true });
    expect((await readStatus(path)).generatedAt).toBe(makeSnapshot(3).generatedAt);
    expect(lines.some((line) => line['msg'] === 'status file writable again')).toBe(true);
  });

  it('reports a snapshot function that throws instead of throwing', async () => {
    const writer = createStatusFileWriter({ path: join(dir, 'status.json') });
    writer.update(() => {
      throw new Error('cannot build');
    });
    await writer.flush();
    expect(writer.health()).toEqual({ writable: false, lastError: 'cannot build' });
  });
});

describe('status/file iterateSnapshotParts', () => {
  it('equals JSON.stringify, and serialises an entry object once', () => {
    const entry = { name: 'a', labels: { team: 'x' }, nextFires: ['2026-01-01T00:00:00.000Z'] };
    const snapshot = {
      version: '1',
      schedules: [entry, { name: 'b' }],
      summary: { schedules: 2 },
    } as unknown as Parameters<typeof iterateSnapshotParts>[0];
    expect([...iterateSnapshotParts(snapshot)].join('')).toBe(JSON.stringify(snapshot));
    entry.name = 'changed behind its back'; // entries are immutable in practice: the cached JSON stays
    expect(JSON.parse([...iterateSnapshotParts(snapshot)].join('')).schedules[0].name).toBe('a');
  });

  it('gives the same JSON with a suffix as parts: the head, one per entry, the tail', () => {
    for (const schedules of [
      [],
      [{ name: 'ü' }],
      [{ name: 'a', description: 'Sicherung → Nacht' }, { name: 'b' }],
      Array.from({ length: 2_000 }, (_, index) => ({ name: `s${index}`, description: 'é😀' })),
    ]) {
      const snapshot = { version: '1', schedules, files: [] } as unknown as Parameters<
        typeof iterateSnapshotParts
      >[0];
      const parts = [...iterateSnapshotParts(snapshot, '\n')];
      expect(parts.join('')).toBe(`${JSON.stringify(snapshot)}\n`);
      expect(parts).toHaveLength(schedules.length + 2);
      expect(parts.slice(1, -1)).toEqual(
        schedules.map((entry, index) => `${index === 0 ? '' : ','}${JSON.stringify(entry)}`),
      );
    }
  });
});

describe('status/file textSlices', () => {
  it('cuts text into slices of at most 32 Ki units, keeping surrogate pairs whole', () => {
    const limit = 32 * 1024;
    const cases = [
      '',
      'short',
      'a'.repeat(limit),
      'a'.repeat(limit + 1),
      // A pair whose high half would be the last unit of a slice.
      `${'a'.repeat(limit - 1)}😀${'b'.repeat(10)}`,
      '😀'.repeat(limit),
      'é→😀'.repeat(50_000),
    ];
    for (const text of cases) {
      const slices = [...textSlices(text)];
      expect(slices.join('')).toBe(text);
      for (const slice of slices) {
        expect(slice.length).toBeGreaterThan(0);
        expect(slice.length).toBeLessThanOrEqual(limit);
        // Whole pairs only: re-encoding gives back the same text, with no U+FFFD.
        expect(Buffer.from(slice, 'utf8').toString('utf8')).toBe(slice);
      }
    }
    expect([...textSlices(`${'a'.repeat(limit - 1)}😀`)].map((slice) => slice.length)).toEqual([
      limit - 1,
      2,
    ]);
  });
});

describe('status/file writeChunksAtomically', () => {
  it('writes strings of any size and Buffers byte for byte, from arrays and async iterables', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cronops-status-chunks-'));
    const file = join(dir, 'doc.txt');
    // 300,000 units of 1-, 2-, 3- and 4-byte characters: many slices, pairs across slice boundaries.
    const text = 'aé→😀'.repeat(60_000);
    // Many small parts (as a status document has): the buffer fills and is written many times over.
    const small = Array.from({ length: 20_000 }, (_, index) => `,{"n":${index},"d":"Nacht → ü"}`);
    const chunks = ['head:', text, Buffer.from([0xe2, 0x82, 0xac]), '', ...small, 'tail\n'];
    const expected = Buffer.concat(
      chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)),
    );
    async function* generate(): AsyncGenerator<string | Buffer> {
      for (const chunk of chunks) yield chunk;
    }
    for (const source of [chunks, generate()]) {
      await writeChunksAtomically(file, source);
      expect((await readFile(file)).equals(expected)).toBe(true);
      expect(await readdir(dir)).toEqual(['doc.txt']);
    }
    await rm(dir, { recursive: true, force: true });
  });
});

describe('status/file urgent updates', () => {
  it('spaces writes by ten times their cost, except an urgent update', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cronops-status-urgent-'));
    const timers = new ManualTimers();
    const clock = new ManualClock('2026-03-10T12:00:00.000Z');
    const writer = createStatusFileWriter({
      path: join(dir, 'status.json'),
      timers,
      clock,
      minIntervalMs: 100,
    });
    const costly = (n: number) => () => {
      const until = performance.now() + 15; // a snapshot that costs at least 15 ms to build
      while (performance.now() < until);
      return makeSnapshot(n);
    };
    writer.update(costly(1));
    timers.fire();
    await writer.flush();
    writer.update(makeSnapshot(2));
    expect(timers.scheduled[0]!.ms).toBeGreaterThanOrEqual(150);
    writer.update(makeSnapshot(3), { urgent: true });
    expect(timers.scheduled.map((t) => t.ms)).toEqual([100]);
    timers.fire();
    await writer.flush();
    expect((await readStatus(join(dir, 'status.json'))).generatedAt).toBe(
      makeSnapshot(3).generatedAt,
    );
    await rm(dir, { recursive: true, force: true });
  });

  it('puts a write off while deferMs asks for it, but not an urgent one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cronops-status-defer-'));
    const timers = new ManualTimers();
    const clock = new ManualClock('2026-03-10T12:00:00.000Z');
    let defer = 40;
    const writer = createStatusFileWriter({
      path: join(dir, 'status.json'),
      timers,
      clock,
      deferMs: () => defer,
    });
    writer.update(makeSnapshot(1));
    expect(timers.fire()).toBe(0);
    expect(timers.scheduled.map((t) => t.ms)).toEqual([40]); // a fire is near: put off
    defer = 0;
    timers.fire();
    await writer.flush();
    expect((await readStatus(join(dir, 'status.json'))).generatedAt).toBe(
      makeSnapshot(1).generatedAt,
    );
    defer = 40;
    clock.tick(1_000);
    writer.update(makeSnapshot(2), { urgent: true });
    timers.fire();
    await writer.flush();
    expect((await readStatus(join(dir, 'status.json'))).generatedAt).toBe(
      makeSnapshot(2).generatedAt,
    );
    await rm(dir, { recursive: true, force: true });
  });
});
