// Read-only loading of a state directory's history, for CLI commands and other tools (never writes or moves files).
import { readdir } from 'node:fs/promises';
import { SchedulerError } from '../shared/errors.js';
import { selectRuns } from './query.js';
import { ShardFileAdapter } from './shard-file.js';
import {
  checkShardFile,
  resolveHistoryDir,
  resolveShardPath,
  selectShardName,
  type RunQuery,
  type RunRecord,
  type ShardFile,
} from './store.js';

/** A snapshot of the history on disk. */
export interface OfflineHistory {
  /** The directory the history was read from (`<stateDir>/history`). */
  historyDir: string;
  /** false when the history directory does not exist (nothing was ever recorded there). */
  exists: boolean;
  /** Schedules with a readable shard, sorted. */
  schedules: string[];
  /** One line per file that could not be read and was skipped. */
  warnings: string[];
  /** Oldest first. */
  runs(schedule: string): readonly RunRecord[];
  /** Newest first (by id), across schedules. */
  listRuns(query: RunQuery): RunRecord[];
  getRun(id: string): RunRecord | undefined;
  lastScheduledAt(schedule: string): string | undefined;
}

const READ_CONCURRENCY = 32;

/**
 * Load every shard under `<stateDir>/history`. Corrupt or unreadable files are skipped
 * and named in `warnings`; a missing directory gives an empty history with `exists: false`.
 * Throws SchedulerError (HISTORY_READ_FAILED) only when the directory itself cannot be listed.
 */
export async function readHistoryOffline(stateDir: string): Promise<OfflineHistory> {
  const historyDir = resolveHistoryDir(stateDir);
  let entries: string[];
  try {
    entries = await readdir(historyDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      throw new SchedulerError(
        'HISTORY_READ_FAILED',
        `cannot read history in ${historyDir}: ${(error as Error).message}`,
        {
          file: historyDir,
          cause: error,
        },
      );
    }
    return buildOfflineHistory(historyDir, false, new Map(), []);
  }
  const names = entries
    .map(selectShardName)
    .filter((name): name is string => name !== undefined)
    .sort();
  const shards = new Map<string, ShardFile>();
  const warnings: string[] = [];
  let next = 0;
  const readNext = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next] as string;
      next += 1;
      const file = resolveShardPath(stateDir, name);
      try {
        // With the entries appended since the file was last written whole.
        const data = await new ShardFileAdapter(file).read();
        if (data !== null) shards.set(name, checkShardFile(data, name, file));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        warnings.push(
          message.startsWith(file) ? `skipped ${message}` : `skipped ${file}: ${message}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, readNext));
  warnings.sort();
  return buildOfflineHistory(
    historyDir,
    true,
    new Map([...shards].sort(([a], [b]) => (a < b ? -1 : 1))),
    warnings,
  );
}

function buildOfflineHistory(
  historyDir: string,
  exists: boolean,
  shards: Map<string, ShardFile>,
  warnings: string[],
): OfflineHistory {
  const runsBySchedule = new Map<string, readonly RunRecord[]>();
  const runsById = new Map<string, RunRecord>();
  for (const [name, shard] of shards) {
    runsBySchedule.set(name, shard.runs);
    for (const run of shard.runs) runsById.set(run.id, run);
  }
  return {
    historyDir,
    exists,
    schedules: [...shards.keys()],
    warnings,
    runs: (schedule) => runsBySchedule.get(schedule) ?? [],
    listRuns: (query) => selectRuns(runsBySchedule, query),
    getRun: (id) => runsById.get(id),
    lastScheduledAt: (schedule) => shards.get(schedule)?.lastScheduledAt,
  };
}
