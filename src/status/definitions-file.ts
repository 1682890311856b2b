// Writes the definitions document to <state-dir>/definitions.json: atomically, only when asked (after a change), never throwing.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import {
  buildScheduleDefinition,
  DEFINITIONS_FORMAT,
  type DefinedSchedule,
} from './definitions.js';
import { writeChunksAtomically, type StatusFileTimers } from './file.js';
import { compareByName } from '../shared/compare-text.js';

export interface DefinitionsFileWriterOptions {
  /** The file to write, usually `<state-dir>/definitions.json`. */
  path: string;
  /** The running schedules, asked for when a write starts, so the document is the newest. */
  schedules: () => Iterable<DefinedSchedule>;
  logger?: Logger;
  /**
   * A change is written once changes have stopped for this long (reloads in a row, such as a series of
   * edits, are one write). @default 1000
   */
  quietMs?: number;
  /** …but at most this long after the first of them. @default 10000 */
  maxDelayMs?: number;
  /** @default real timers that do not keep the process alive */
  timers?: StatusFileTimers;
  /** @default systemClock */
  clock?: Clock;
}

/** Schedules defined and serialised per chunk (and per turn of the event loop). */
const ENTRIES_PER_CHUNK = 100;

/**
 * The JSON of `buildDefinitionsDocument(schedules)` (and a newline) in chunks of ENTRIES_PER_CHUNK
 * schedules, yielding to the event loop between them. Each schedule's masked definition is made as it is
 * serialised and dropped at once: with 100,000 schedules, neither the definitions nor the text are ever
 * held whole, and no fire waits behind them. The schedules are taken (and sorted) when this is called.
 */
export function serializeDefinitionsInSteps(
  schedules: Iterable<DefinedSchedule>,
): AsyncGenerator<string> {
  return definitionChunks([...schedules].sort(compareByName));
}

async function* definitionChunks(sorted: readonly DefinedSchedule[]): AsyncGenerator<string> {
  const empty = JSON.stringify({ definitionsFormat: DEFINITIONS_FORMAT, schedules: [] });
  const at = empty.lastIndexOf('[]') + 1;
  yield empty.slice(0, at);
  for (let start = 0; start < sorted.length; start += ENTRIES_PER_CHUNK) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const end = Math.min(sorted.length, start + ENTRIES_PER_CHUNK);
    let part = '';
    for (let index = start; index < end; index += 1) {
      const definition = buildScheduleDefinition(sorted[index] as DefinedSchedule);
      part += `${index > 0 ? ',' : ''}${JSON.stringify(definition)}`;
    }
    yield part;
  }
  yield `${empty.slice(at)}\n`;
}

/** Real timers; they do not keep the process alive (shutdown calls `flush`). */
const unrefTimers: StatusFileTimers = {
  set: (callback, ms) => setTimeout(callback, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface DefinitionsFileWriter {
  /** The definitions changed: write them once changes stop (once more after a write under way). */
  changed(): void;
  /** Write a change not written yet now, and wait until every change is written. Never rejects. */
  flush(): Promise<void>;
}

/**
 * The writer of the definitions document. The document can be tens of megabytes (~0.1 s of CPU to
 * serialise for 10,000 schedules), and only `cronops plan` reads it: it is written only after a change,
 * once changes stop, and serialised a few schedules per turn of the event loop, so no fire and no
 * reload waits behind it.
 */
export function createDefinitionsFileWriter(
  options: DefinitionsFileWriterOptions,
): DefinitionsFileWriter {
  const { path, logger } = options;
  const quietMs = options.quietMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const timers = options.timers ?? unrefTimers;
  const clock = options.clock ?? systemClock;
  let dirty = false;
  let timer: unknown;
  /** When the first change not written yet came, for maxDelayMs. */
  let firstChangeMs: number | undefined;
  let writing: Promise<void> | undefined;
  let lastError: string | undefined;

  async function writeOnce(): Promise<void> {
    dirty = false;
    try {
      // The schedules as the write starts, whatever reloads do meanwhile.
      const chunks = serializeDefinitionsInSteps(options.schedules());
      await mkdir(dirname(path), { recursive: true });
      await writeChunksAtomically(path, chunks);
      if (lastError !== undefined) logger?.info({ file: path }, 'definitions file writable again');
      lastError = undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Logged once per failing streak; the next change tries again.
      if (lastError === undefined)
        logger?.error({ err: error, file: path }, 'cannot write definitions file');
      lastError = message;
    }
  }

  function start(): void {
    if (timer !== undefined) timers.clear(timer);
    timer = undefined;
    firstChangeMs = undefined;
    if (writing !== undefined || !dirty) return;
    writing = writeOnce().finally(() => {
      writing = undefined;
      // A change during the write: written after its own quiet time.
      if (dirty) wait();
    });
  }

  function wait(): void {
    const nowMs = clock.now().getTime();
    firstChangeMs ??= nowMs;
    if (timer !== undefined) timers.clear(timer);
    // Clamped to [0, quietMs], so a clock stepped backward cannot hold the file back.
    timer = timers.set(start, Math.max(0, Math.min(quietMs, firstChangeMs + maxDelayMs - nowMs)));
  }

  return {
    changed() {
      dirty = true;
      wait();
    },
    async flush() {
      start();
      while (writing !== undefined) {
        await writing;
        start();
      }
    },
  };
}
