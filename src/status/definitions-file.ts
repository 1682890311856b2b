// Writes the definitions document to <state-dir>/definitions.json: atomically, only when asked (after a change), never throwing.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { DefinitionsDocument } from './definitions.js';
import { writeFileAtomically, type StatusFileTimers } from './file.js';
import { stringifyInSteps } from './snapshot-cache.js';

export interface DefinitionsFileWriterOptions {
  /** The file to write, usually `<state-dir>/definitions.json`. */
  path: string;
  /** Called when a write starts, so the document is the newest. */
  build: () => DefinitionsDocument;
  logger?: Logger;
  /**
   * A change is written once changes have stopped for this long (reloads in a row, such as a series of
   * edits, are one write). @default 1000
   */
  quietMs?: number;
  /** …but at most this long after the first of them. @default 5000 */
  maxDelayMs?: number;
  /** @default real timers that do not keep the process alive */
  timers?: StatusFileTimers;
  /** @default systemClock */
  clock?: Clock;
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
  const maxDelayMs = options.maxDelayMs ?? 5000;
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
      const text = `${await stringifyInSteps(options.build())}\n`;
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomically(path, text);
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
