// A lowdb Adapter for one JSON file: writes go to a temp file, are fsynced and renamed over the target.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { SchedulerError } from '../shared/errors.js';

/** A lowdb adapter that can also make its last rename durable. */
export interface DurableAdapter<T> extends Adapter<T> {
  /** fsync the directory, so a rename done by `write` survives a power loss. Optional: memory adapters have none. */
  syncDirectory?(): Promise<void>;
  /**
   * Like `write`, without fsync: atomic against a crash of the daemon (temp file + rename), not against
   * a power loss. Background writes use it; fires are made durable by the fire journal instead.
   */
  writeWithoutSync?(data: T): Promise<void>;
}

/** Temp files are `.<name>.<pid>.<n>.tmp` next to the target; this tells them apart from data files. */
export const TEMP_FILE_PATTERN = /^\..+\.\d+\.\d+\.tmp$/;

let tempCounter = 0;

/**
 * Atomic JSON file. `read` returns null for a missing file and throws a SchedulerError
 * (code HISTORY_READ_FAILED, the SyntaxError as cause) for content that does not parse,
 * such as a file truncated by a crash. `write` serialises the data synchronously (so the
 * caller may keep changing it), writes a temp file in the same directory, fsyncs it and
 * renames it over the target: readers see the old file or the new one, never a mix.
 */
export class AtomicJsonFile<T> implements DurableAdapter<T> {
  readonly file: string;
  readonly #serialize: (data: T) => string;

  /** `serialize` turns the data into the file's text. @default JSON.stringify */
  constructor(file: string, serialize: (data: T) => string = (data) => JSON.stringify(data)) {
    this.file = file;
    this.#serialize = serialize;
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return parseJsonText(text, this.file) as T;
  }

  write(data: T): Promise<void> {
    // Serialise before the first await: the snapshot is the state at the time of the call.
    const text = this.#serialize(data);
    return writeFileAtomically(this.file, text);
  }

  writeWithoutSync(data: T): Promise<void> {
    return writeFileAtomically(this.file, this.#serialize(data), { sync: false });
  }

  async syncDirectory(): Promise<void> {
    const handle = await open(dirname(this.file), 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** Parse a file's text; throws a SchedulerError (HISTORY_READ_FAILED, the SyntaxError as cause) when it is not JSON. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = text.length === 0 ? 'empty file' : (error as Error).message;
    throw new SchedulerError('HISTORY_READ_FAILED', `${file}: not valid JSON (${detail})`, {
      file,
      cause: error,
    });
  }
}

/** Write `text` to `file` through a temp file (fsynced unless `sync: false`) and a rename. */
export async function writeFileAtomically(
  file: string,
  text: string,
  options: { sync?: boolean } = {},
): Promise<void> {
  tempCounter += 1;
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${tempCounter}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(temp, 'w', 0o644);
    await handle.writeFile(text, 'utf8');
    if (options.sync !== false) await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, file);
  } catch (error) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
