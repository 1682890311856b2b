// Writes the definitions document to <state-dir>/definitions.json: atomically, only when asked (after a change), never throwing.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../shared/logger.js';
import type { DefinitionsDocument } from './definitions.js';
import { writeFileAtomically } from './file.js';
import { stringifyInSteps } from './snapshot-cache.js';

export interface DefinitionsFileWriterOptions {
  /** The file to write, usually `<state-dir>/definitions.json`. */
  path: string;
  /** Called when a write starts, so the document is the newest. */
  build: () => DefinitionsDocument;
  logger?: Logger;
}

export interface DefinitionsFileWriter {
  /** The definitions changed: write them (once more after a write already under way). */
  changed(): void;
  /** Wait until every change asked for is written. Never rejects. */
  flush(): Promise<void>;
}

/**
 * The writer of the definitions document. The document can be tens of megabytes: it is serialised a few
 * schedules per turn of the event loop (so no fire waits behind it) and written only after a change.
 */
export function createDefinitionsFileWriter(
  options: DefinitionsFileWriterOptions,
): DefinitionsFileWriter {
  const { path, logger } = options;
  let dirty = false;
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
    if (writing !== undefined || !dirty) return;
    writing = writeOnce().finally(() => {
      writing = undefined;
      start();
    });
  }

  return {
    changed() {
      dirty = true;
      start();
    },
    async flush() {
      while (writing !== undefined) await writing;
    },
  };
}
