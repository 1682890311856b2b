// The history directory's files: listing the shards (and removing temp files a crash left), moving a corrupt one aside.
import { readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../shared/logger.js';
import { TEMP_FILE_PATTERN } from './atomic-file.js';
import type { Shard } from './shard-state.js';
import { selectShardName, type HistoryHealth } from './store.js';

/** The schedules with a shard file in the history directory (none when it cannot be listed). */
export async function listShardNames(historyDir: string, logger: Logger): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(historyDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      logger.error({ err: error, dir: historyDir }, 'history: cannot list the history directory');
    }
    return [];
  }
  // Temp files left by a crash in the middle of a write: the target is intact, the temp is garbage.
  await Promise.all(
    entries
      .filter((entry) => TEMP_FILE_PATTERN.test(entry))
      .map((entry) => unlink(join(historyDir, entry)).catch(() => undefined)),
  );
  return entries.map(selectShardName).filter((name): name is string => name !== undefined);
}

/**
 * Move a corrupt shard file aside (`<file>.corrupt-<time>`) and say so. When it cannot be moved yet, the shard
 * remembers the move (`pendingAside`) for its first write, and the entry carries the error.
 */
export async function moveShardAside(
  shard: Shard,
  error: unknown,
  now: Date,
  logger: Logger,
): Promise<HistoryHealth['corrupt'][number] & { moveError?: unknown }> {
  const movedTo = `${shard.file}.corrupt-${now.toISOString().replace(/[-:]/g, '')}`;
  shard.appendable = false;
  const message = error instanceof Error ? error.message : String(error);
  let moveError: unknown;
  try {
    await rename(shard.file, movedTo);
  } catch (caught) {
    moveError = caught;
    shard.pendingAside = { from: shard.file, to: movedTo };
  }
  logger.error(
    {
      err: error,
      file: shard.file,
      movedTo,
      schedule: shard.name,
      ...(moveError === undefined ? {} : { moveError }),
    },
    moveError === undefined
      ? 'history: corrupt history file moved aside; starting a fresh one'
      : 'history: corrupt history file could not be moved aside yet; starting a fresh one in memory',
  );
  const entry = { file: shard.file, movedTo, error: message, at: now.toISOString() };
  return moveError === undefined ? entry : { ...entry, moveError };
}
