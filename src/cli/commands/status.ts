// `cronops status`: what the daemon is doing, as a table, from its endpoint or (offline) from <state-dir>/status.json.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { systemClock } from '../../shared/clock.js';
import { SchedulerError } from '../../shared/errors.js';
import type { StatusSchedule, StatusSnapshot } from '../../status/snapshot.js';
import { createUsageError, writeErr, writeJson, writeOut } from '../output.js';
import { selectStoreUrl } from '../store-option.js';
import { DEFAULT_STATE_DIR, formatDuration } from './history.js';

/** Where the daemon's endpoint is when neither --url nor $CRONOPS_URL says otherwise. */
export const DEFAULT_DAEMON_URL = 'http://127.0.0.1:8787';

/** How long a request to the daemon may take before it counts as unreachable. */
const REQUEST_TIMEOUT_MS = 5_000;

interface StatusOptions {
  url?: string;
  stateDir?: string;
  json?: boolean;
  store?: string;
}

/** The status document and where it came from. */
export interface LoadedStatus {
  snapshot: StatusSnapshot;
  /** One line for stderr naming the source. */
  source: string;
}

/** `--url`, shared by the commands that talk to the daemon. */
export function createUrlOption(): Option {
  return new Option('--url <url>', `the daemon's endpoint (default: ${DEFAULT_DAEMON_URL})`).env(
    'CRONOPS_URL',
  );
}

/** The endpoint's base URL without a trailing slash; a usage error for anything but http(s). */
export function normaliseDaemonUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw createUsageError(`--url: expected a URL like "${DEFAULT_DAEMON_URL}", got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw createUsageError(`--url: expected an http:// or https:// URL, got "${text}"`);
  }
  return url.href.replace(/\/+$/, '');
}

/** A network failure as a few words ("connection refused"), or undefined when `error` is not one. */
export function describeNetworkError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (error.name !== 'TypeError' || cause === undefined) return undefined;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return typeof cause.message === 'string' ? cause.message : (code ?? error.message);
  }
}

export function registerStatusCommand(program: Command): Command {
  return program
    .command('status')
    .summary('show every schedule: next run, last run, health')
    .description(
      'Show what the daemon is doing: every schedule with its next and last run, status, duration ' +
        'and health, then the daemon and configuration problems. Asks the endpoint (--url); with ' +
        '--state-dir, or when the endpoint cannot be reached, reads <state-dir>/status.json instead. ' +
        'The source used is named on stderr.',
    )
    .addOption(createUrlOption())
    .addOption(
      new Option(
        '--state-dir <dir>',
        `read <dir>/status.json, without asking the daemon (offline fallback: $CRONOPS_STATE_DIR or ${DEFAULT_STATE_DIR})`,
      ),
    )
    .option(
      '--store <url>',
      'read the PostgreSQL store instead: its replicas (heartbeat, clock offset, config) and schedules',
    )
    .option('--json', 'print the status document as JSON and nothing else')
    .addHelpText(
      'after',
      `
Examples:
  $ cronops status
  $ cronops status --url http://cronops.internal:8787
  $ cronops status --state-dir /var/lib/cronops
  $ cronops status --store postgres://cronops@db/cronops
  $ cronops status --json | jq '.schedules[] | select(.health != "ok") | .name'`,
    )
    .action(async (options: StatusOptions) => {
      if (options.url !== undefined && options.stateDir !== undefined) {
        throw createUsageError('give either --url or --state-dir, not both');
      }
      const storeUrl = selectStoreUrl(options.store);
      if (storeUrl !== undefined) {
        const { loadStoreStatus, renderStoreStatus } = await import('./store-status.js');
        const status = await loadStoreStatus(storeUrl);
        if (options.json === true) writeJson(status, 2);
        else for (const line of renderStoreStatus(status)) writeOut(line);
        return;
      }
      const loaded = await loadStatus(options);
      writeErr(`cronops: ${loaded.source}`);
      if (options.json === true) {
        writeJson(loaded.snapshot, 2);
        return;
      }
      for (const line of renderStatus(loaded.snapshot, systemClock.now())) writeOut(line);
    });
}

/** From --state-dir; else from the endpoint, falling back to the default state directory when it is unreachable. */
async function loadStatus(options: StatusOptions): Promise<LoadedStatus> {
  if (options.stateDir !== undefined) return readStatusFile(options.stateDir);
  const base = normaliseDaemonUrl(options.url ?? DEFAULT_DAEMON_URL);
  const fetched = await fetchStatus(base);
  if ('snapshot' in fetched) return fetched;
  const stateDir = process.env['CRONOPS_STATE_DIR'] || DEFAULT_STATE_DIR;
  try {
    const offline = await readStatusFile(stateDir);
    return {
      ...offline,
      source: `${offline.source}; ${base} is unreachable (${fetched.unreachable})`,
    };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new SchedulerError(
      'DAEMON_UNREACHABLE',
      `cannot reach the daemon at ${base} (${fetched.unreachable}), and ${why}`,
      { cause: error },
    );
  }
}

/** GET /status; `unreachable` (with the reason) on a network failure, an error for a wrong answer. */
async function fetchStatus(base: string): Promise<LoadedStatus | { unreachable: string }> {
  let response: Response;
  try {
    response = await fetch(`${base}/status`, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const reason = describeNetworkError(error);
    if (reason === undefined) throw error;
    return { unreachable: reason };
  }
  const text = await response.text();
  const snapshot = parseStatusDocument(text);
  if (!response.ok || snapshot === undefined) {
    throw new SchedulerError(
      'DAEMON_UNREACHABLE',
      `${base}/status answered ${response.status} ${response.statusText}, not a cronops status document (is --url right?)`,
    );
  }
  return { snapshot, source: `status from ${base}/status` };
}

/** Read <stateDir>/status.json; a one-line error when it is missing or not a status document. */
async function readStatusFile(stateDir: string): Promise<LoadedStatus> {
  const file = join(stateDir, 'status.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SchedulerError(
      'STATE_DIR_UNAVAILABLE',
      code === 'ENOENT'
        ? `no status file at ${file} (is --state-dir right? the daemon writes it while running)`
        : `cannot read ${file}: ${(error as Error).message}`,
      { file, cause: error },
    );
  }
  const snapshot = parseStatusDocument(text);
  if (snapshot === undefined) {
    throw new SchedulerError('STATE_DIR_UNAVAILABLE', `${file} is not a cronops status document`, {
      file,
    });
  }
  const age = formatRelativeTime(Date.parse(snapshot.generatedAt), systemClock.now().getTime());
  return { snapshot, source: `status from ${file} (written ${age})` };
}

/** The parsed document when `text` is a status document (format 1), else undefined. */
export function parseStatusDocument(text: string): StatusSnapshot | undefined {
  try {
    const value = JSON.parse(text) as Partial<StatusSnapshot> | null;
    if (value === null || typeof value !== 'object') return undefined;
    if (value.statusFormat !== 1 || !Array.isArray(value.schedules)) return undefined;
    return value as StatusSnapshot;
  } catch {
    return undefined;
  }
}

const UNITS: [suffix: string, ms: number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/**
 * `at` relative to `now` for people: `in 2h 15m`, `5m 3s ago`, `now`. The two largest units,
 * rounded down; under a second is `now`.
 */
export function formatRelativeTime(atMs: number, nowMs: number): string {
  const delta = atMs - nowMs;
  const span = Math.abs(delta);
  const index = UNITS.findIndex(([, size]) => span >= size);
  const unit = UNITS[index];
  if (unit === undefined) return 'now';
  const large = Math.floor(span / unit[1]);
  const next = UNITS[index + 1];
  const small = next === undefined ? 0 : Math.floor((span - large * unit[1]) / next[1]);
  const text =
    small > 0 && next !== undefined
      ? `${large}${unit[0]} ${small}${next[0]}`
      : `${large}${unit[0]}`;
  return delta > 0 ? `in ${text}` : `${text} ago`;
}

/** `2026-12-06 21:00Z`: an activeFrom/activeUntil bound, to the minute (seconds when it has them). */
function formatInstant(iso: string | null): string {
  if (iso === null) return '-';
  const text = new Date(iso)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.000Z$/, 'Z');
  return text.replace(/:00Z$/, 'Z');
}

/** One row of the table for a schedule. */
export function buildStatusRow(schedule: StatusSchedule, nowMs: number): string[] {
  const zone = schedule.timezone === 'UTC' ? '' : ` (${schedule.timezone})`;
  const next = schedule.suspended
    ? 'suspended'
    : schedule.window === 'ended'
      ? `ended ${formatInstant(schedule.activeUntil)}`
      : schedule.window === 'not-started'
        ? `starts ${formatInstant(schedule.activeFrom)}`
        : schedule.nextFires[0] === undefined
          ? 'never'
          : formatRelativeTime(Date.parse(schedule.nextFires[0]), nowMs);
  const running = schedule.running[0];
  const last = schedule.lastRun ?? schedule.lastEvent;
  let lastText = '-';
  let status = '-';
  let duration = '-';
  if (running !== undefined) {
    lastText = formatRelativeTime(Date.parse(running.startedAt), nowMs);
    status = schedule.running.length > 1 ? `running (${schedule.running.length})` : 'running';
    duration = formatDuration(Math.max(0, nowMs - Date.parse(running.startedAt)));
  } else if (last !== null) {
    const at = last.startedAt ?? last.finishedAt ?? last.scheduledAt;
    lastText = formatRelativeTime(Date.parse(at), nowMs);
    status =
      last.status === 'missed' && last.missed !== null
        ? `missed (${last.missed.count})`
        : last.status;
    duration = last.durationMs === null ? '-' : formatDuration(last.durationMs);
  }
  return [
    schedule.name,
    `${schedule.humanSchedule}${zone}`,
    next,
    lastText,
    status,
    duration,
    schedule.health,
  ];
}

/** The text printed by `cronops status`: the table, then the daemon line and any problems. */
export function renderStatus(snapshot: StatusSnapshot, now: Date): string[] {
  const nowMs = now.getTime();
  const lines: string[] = [];
  if (snapshot.schedules.length === 0) {
    lines.push('no schedules loaded');
  } else {
    const rows = [
      ['NAME', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', 'STATUS', 'DURATION', 'HEALTH'],
      ...snapshot.schedules.map((schedule) => buildStatusRow(schedule, nowMs)),
    ];
    const widths = rows[0]!.map((_, column) =>
      Math.max(...rows.map((row) => (row[column] ?? '').length)),
    );
    for (const row of rows) {
      lines.push(
        row
          .map((cell, column) =>
            column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
          )
          .join('  ')
          .trimEnd(),
      );
    }
  }
  lines.push('');
  const health = Object.entries(snapshot.summary.byHealth)
    .filter(([, count]) => count > 0)
    .map(([word, count]) => `${count} ${word}`)
    .join(', ');
  const schedules = `${snapshot.summary.schedules} schedule${snapshot.summary.schedules === 1 ? '' : 's'}`;
  lines.push(
    `${schedules}${health === '' ? '' : ` (${health})`}, ${snapshot.summary.running} running, ${snapshot.summary.queued} queued`,
  );
  const state = snapshot.ready ? 'ready' : `not ready: ${snapshot.notReadyReasons.join('; ')}`;
  const uptime = formatRelativeTime(
    Date.parse(snapshot.startedAt),
    Date.parse(snapshot.generatedAt),
  );
  lines.push(
    `cronops ${snapshot.version}, pid ${snapshot.pid}, started ${uptime}${snapshot.shuttingDown ? ', shutting down' : ''}, ${state}`,
  );
  for (const file of snapshot.files) {
    for (const error of file.errors) lines.push(`error: ${error.text}`);
  }
  if (!snapshot.history.writable && snapshot.history.lastError !== null) {
    lines.push(`history not writable: ${snapshot.history.lastError}`);
  }
  return lines;
}
