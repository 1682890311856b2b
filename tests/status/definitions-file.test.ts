// The definitions file: written on a change, atomically, once more for a change during a write, never throwing.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { createDefinitionsFileWriter } from '../../src/status/definitions-file.js';
import { parseManifestText, resolveSchedules } from '../../src/manifest/load.js';
import {
  buildDefinitionsDocument,
  type DefinedSchedule,
  type DefinitionsDocument,
} from '../../src/status/definitions.js';
import type { StatusFileTimers } from '../../src/status/file.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cronops-definitions-file-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Timers that only fire when the test says so. */
class ManualTimers implements StatusFileTimers {
  readonly #scheduled: { callback: () => void; ms: number }[] = [];
  set(callback: () => void, ms: number): unknown {
    const entry = { callback, ms };
    this.#scheduled.push(entry);
    return entry;
  }
  clear(handle: unknown): void {
    const index = this.#scheduled.indexOf(handle as { callback: () => void; ms: number });
    if (index >= 0) this.#scheduled.splice(index, 1);
  }
  pending(): number[] {
    return this.#scheduled.map((entry) => entry.ms);
  }
  fire(): void {
    const entry = this.#scheduled.shift();
    if (entry === undefined) throw new Error('no timer scheduled');
    entry.callback();
  }
}

const SPEC = resolveSchedules([
  parseManifestText(
    'a.yaml',
    'apiVersion: cronops/v1\nkind: Schedule\nmetadata: { name: a }\nspec: { schedule: "0 3 * * *", task: { command: ["true"] } }\n',
  ),
]).schedules[0]!.spec;

/** `count` running schedules; `tag` (their fingerprint) tells versions apart. */
function makeSchedules(count: number, tag: string): DefinedSchedule[] {
  return Array.from({ length: count }, (_, index) => ({
    name: `job-${String(index).padStart(4, '0')}`,
    hash: tag,
    spec: SPEC,
  }));
}

/** The document those schedules make. */
const makeDocument = (count: number, tag: string): DefinitionsDocument =>
  buildDefinitionsDocument(makeSchedules(count, tag));

describe('status/definitions-file', () => {
  it('writes nothing until a change, then the schedules as they are when the write starts', async () => {
    const path = join(dir, 'state', 'definitions.json');
    let tag = 'v1';
    let asked = 0;
    const writer = createDefinitionsFileWriter({
      path,
      schedules: () => {
        asked += 1;
        return makeSchedules(120, tag);
      },
    });
    await writer.flush();
    expect(asked).toBe(0);
    tag = 'v2';
    writer.changed();
    await writer.flush();
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).toBe(`${JSON.stringify(makeDocument(120, 'v2'))}\n`);
    expect(await readdir(join(dir, 'state'))).toEqual(['definitions.json']);
  });

  it('writes once changes have stopped for quietMs, at most maxDelayMs after the first', async () => {
    const path = join(dir, 'definitions.json');
    const clock = new ManualClock('2026-11-22T12:00:00.000Z');
    const timers = new ManualTimers();
    let tag = 'v1';
    let asked = 0;
    const writer = createDefinitionsFileWriter({
      path,
      schedules: () => {
        asked += 1;
        return makeSchedules(3, tag);
      },
      quietMs: 1000,
      maxDelayMs: 2500,
      clock,
      timers,
    });
    writer.changed();
    expect(timers.pending()).toEqual([1000]);
    clock.tick(800);
    tag = 'v2';
    writer.changed();
    expect(timers.pending()).toEqual([1000]);
    clock.tick(900);
    writer.changed();
    clock.tick(900);
    writer.changed();
    // 2,600 ms after the first change: the cap leaves no more waiting.
    expect(timers.pending()).toEqual([0]);
    expect(asked).toBe(0);
    timers.fire();
    await writer.flush();
    expect(asked).toBe(1);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(makeDocument(3, 'v2'));
    expect(timers.pending()).toEqual([]);
  });

  it('a change during a write is written by one more write; flush writes at once', async () => {
    const path = join(dir, 'definitions.json');
    const timers = new ManualTimers();
    let tag = 'v1';
    let asked = 0;
    const writer = createDefinitionsFileWriter({
      path,
      schedules: () => {
        asked += 1;
        return makeSchedules(500, tag);
      },
      timers,
    });
    writer.changed();
    timers.fire();
    // The first write is under way (serialised in steps): two more changes make one more write.
    tag = 'v2';
    writer.changed();
    tag = 'v3';
    writer.changed();
    await writer.flush();
    expect(asked).toBe(2);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(makeDocument(500, 'v3'));
  });

  it('never throws for an unwritable path: logs once, and writes at the next change', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: {
        write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
      },
    });
    // A regular file where the directory should be: mkdir fails with ENOTDIR, even as root.
    const blocker = join(dir, 'state');
    await writeFile(blocker, 'not a directory');
    const path = join(blocker, 'definitions.json');
    const writer = createDefinitionsFileWriter({
      path,
      schedules: () => makeSchedules(1, 'v'),
      logger,
    });
    writer.changed();
    await expect(writer.flush()).resolves.toBeUndefined();
    writer.changed();
    await writer.flush();
    expect(lines.map((line) => line['msg'])).toEqual(['cannot write definitions file']);
    await rm(blocker);
    writer.changed();
    await writer.flush();
    expect(lines.map((line) => line['msg'])).toEqual([
      'cannot write definitions file',
      'definitions file writable again',
    ]);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(makeDocument(1, 'v'));
  });
});
