// `cronops history`: the recorded runs of the state directory, newest first, as a table or JSON.
import { Option, type Command } from 'commander';
import { readHistoryOffline } from '../../history/read-offline.js';
import {
  RUN_STATUSES,
  type RunQuery,
  type RunRecord,
  type RunStatus,
} from '../../history/store.js';
import { systemClock } from '../../shared/clock.js';
import { SchedulerError } from '../../shared/errors.js';
import { parseDurationArgument, parseInstantArgument } from '../time-argument.js';
import { createUsageError, writeErr, writeJson, writeOut } from '../output.js';
import { createStoreOption, selectStoreUrl } from '../store-option.js';

/** The state directory used when --state-dir is not given. */
export const DEFAULT_STATE_DIR = './.cronops';

/** `--state-dir`, shared by the commands that read the state directory. */
export function createStateDirOption(): Option {
  return new Option('--state-dir <dir>', 'state directory of the daemon')
    .env('CRONOPS_STATE_DIR')
    .default(DEFAULT_STATE_DIR);
}

interface HistoryOptions {
  status?: string[];
  since?: string;
  until?: string;
  limit: string;
  chain?: string;
  json?: boolean;
  stateDir: string;
  store?: string;
}

export function registerHistoryCommand(program: Command): Command {
  return program
    .command('history')
    .summary('list recorded runs, newest first')
    .description(
      'List the runs recorded in the state directory, newest first: id, schedule, trigger, ' +
        'scheduled time, status, duration and exit code. Reads the files directly, so it works ' +
        'whether or not the daemon is running.',
    )
    .argument('[name]', 'only runs of this schedule')
    .option(
      '--status <status>',
      `only runs with this status; repeat or separate with commas (${RUN_STATUSES.join(', ')})`,
      (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',')],
    )
    .option(
      '--since <time>',
      'only runs scheduled at or after TIME: an ISO 8601 instant or a duration ago (24h, 7d)',
    )
    .option('--until <time>', 'only runs scheduled before TIME (same forms as --since)')
    .option(
      '--chain <id>',
      'only the runs of one chain (spec.after): its first run and every run it led to',
    )
    .option('--limit <n>', 'at most N runs (0: all)', '20')
    .option('--json', 'print a JSON array of run records and nothing else')
    .addOption(createStateDirOption())
    .addOption(createStoreOption())
    .addHelpText(
      'after',
      `
Examples:
  $ cronops history
  $ cronops history --store postgres://cronops@db/cronops   the runs of every replica
  $ cronops history nightly-db-backup --status failed,timedOut --since 7d
  $ cronops history --json --limit 0 | jq '.[] | select(.status == "failed") | .id'
  $ cronops history --state-dir /var/lib/cronops --since 2026-03-01T00:00:00Z
  $ cronops history --chain 01JNQ6Z5S8M2W4X7Y9A1B3C5D7   # a pipeline's night, step by step`,
    )
    .action(async (name: string | undefined, options: HistoryOptions) => {
      const query = buildHistoryQuery(name, options, systemClock.now());
      const storeUrl = selectStoreUrl(options.store);
      let source = options.stateDir;
      let runs: RunRecord[];
      if (storeUrl === undefined) runs = await listStateDirRuns(options.stateDir, query);
      else {
        const store = await import('../../store/pg/read-store.js');
        source = store.redactStoreUrl(storeUrl);
        runs = await store.listRunsInStore(storeUrl, query);
      }
      if (options.json === true) {
        writeJson(runs, 2);
        return;
      }
      if (runs.length === 0) {
        writeOut(
          name === undefined
            ? `no runs match in ${source}`
            : `no runs of "${name}" match in ${source}`,
        );
        return;
      }
      for (const line of renderRunTable(runs)) writeOut(line);
    });
}

/** The runs of the state directory's history files matching the query (warnings to stderr). */
async function listStateDirRuns(stateDir: string, query: RunQuery): Promise<RunRecord[]> {
  const history = await readHistoryOffline(stateDir);
  for (const warning of history.warnings) writeErr(`cronops: warning: ${warning}`);
  if (!history.exists) {
    throw new SchedulerError(
      'HISTORY_READ_FAILED',
      `no history in ${stateDir} (${history.historyDir} does not exist; is --state-dir right?)`,
      { file: history.historyDir },
    );
  }
  return history.listRuns(query);
}

/** The query for the command's arguments; throws a usage error for a bad value. */
export function buildHistoryQuery(
  name: string | undefined,
  options: Pick<HistoryOptions, 'status' | 'since' | 'until' | 'limit' | 'chain'>,
  now: Date,
): RunQuery {
  const query: RunQuery = {};
  if (name !== undefined) query.schedule = name;
  if (options.chain !== undefined) query.chain = options.chain.trim();
  const statuses = (options.status ?? [])
    .map((status) => status.trim())
    .filter((status) => status !== '');
  for (const status of statuses) {
    if (!(RUN_STATUSES as readonly string[]).includes(status)) {
      throw createUsageError(
        `--status: unknown status "${status}" (expected one of ${RUN_STATUSES.join(', ')})`,
      );
    }
  }
  if (statuses.length > 0) query.status = statuses as RunStatus[];
  if (options.since !== undefined) query.since = parseTimeBound('--since', options.since, now);
  if (options.until !== undefined) query.until = parseTimeBound('--until', options.until, now);
  if (!/^\d+$/.test(options.limit)) {
    throw createUsageError(`--limit: expected a whole number, got "${options.limit}"`);
  }
  const limit = Number(options.limit);
  if (limit > 0) query.limit = limit;
  return query;
}

/**
 * `--since`/`--until`: a duration before `now` (`90m`, `24h`, `1h30m`, `7d`, `2w`) or an
 * ISO 8601 date or instant. A date-time without an offset is read as UTC.
 */
export function parseTimeBound(flag: string, text: string, now: Date): Date {
  const value = text.trim();
  const ms = parseDurationArgument(value);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  const at = parseInstantArgument(value);
  if (at !== undefined) return at;
  throw createUsageError(
    `${flag}: expected an ISO 8601 time like "2026-03-01T00:00:00Z" or a duration like "24h" or "7d", got "${text}"`,
  );
}

/** The table printed by `cronops history`: a header and one line per run, columns aligned. */
export function renderRunTable(runs: readonly RunRecord[]): string[] {
  const rows = [
    ['ID', 'SCHEDULE', 'TRIGGER', 'SCHEDULED', 'STATUS', 'DURATION', 'EXIT'],
    ...runs.map((run) => [
      run.id,
      run.schedule,
      // A run started by `after` names the schedule whose run started it.
      run.upstream === undefined ? run.trigger : `after ${run.upstream.schedule}`,
      formatInstant(run.scheduledAt),
      run.status === 'missed' && run.missed !== undefined
        ? `missed (${run.missed.count})`
        : run.status,
      run.durationMs === undefined ? '-' : formatDuration(run.durationMs),
      formatExit(run),
    ]),
  ];
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] as string).length)),
  );
  return rows.map((row) =>
    row
      .map((cell, column) =>
        column === row.length - 1 ? cell : cell.padEnd(widths[column] as number),
      )
      .join('  ')
      .trimEnd(),
  );
}

/** `2026-03-08T07:00:00.000Z` → `2026-03-08T07:00:00Z` (milliseconds only when not zero). */
export function formatInstant(iso: string): string {
  return iso.replace(/\.000Z$/, 'Z');
}

/** A duration for people: `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 3600) {
    return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, '0')}s`;
  }
  const totalMinutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(totalMinutes / 60)}h${String(totalMinutes % 60).padStart(2, '0')}m`;
}

/** The last attempt's exit code, or its signal, or `-`. */
export function formatExit(run: RunRecord): string {
  const last = run.attempts[run.attempts.length - 1];
  if (last === undefined) return '-';
  if (typeof last.exitCode === 'number') return String(last.exitCode);
  if (typeof last.signal === 'string' && last.signal !== '') return last.signal;
  return '-';
}
