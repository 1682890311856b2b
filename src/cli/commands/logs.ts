// `cronops logs RUN_ID`: one run's header and, for each attempt, its exit status and output tail.
import type { Command } from 'commander';
import { readHistoryOffline } from '../../history/read-offline.js';
import type { AttemptRecord, RunRecord } from '../../history/store.js';
import { SchedulerError } from '../../shared/errors.js';
import { writeErr, writeJson, writeOut } from '../output.js';
import { createStoreOption, selectStoreUrl } from '../store-option.js';
import { createStateDirOption, formatDuration, formatExit, formatInstant } from './history.js';

interface LogsOptions {
  json?: boolean;
  stateDir: string;
  store?: string;
}

export function registerLogsCommand(program: Command): Command {
  return program
    .command('logs')
    .summary("show one run: its status, times and each attempt's output")
    .description(
      "Show one recorded run: schedule, status, times and reason, then each attempt's exit " +
        'code or signal and the tail of its output (as kept by output.maxBytes).',
    )
    .argument('<run-id>', 'the run id, as printed by `cronops history`')
    .option('--json', 'print the run record as JSON and nothing else')
    .addOption(createStateDirOption())
    .addOption(createStoreOption())
    .addHelpText(
      'after',
      `
Examples:
  $ cronops history nightly-db-backup --status failed --limit 1
  $ cronops logs 01JNQ6Z5S8M2W4X7Y9A1B3C5D7
  $ cronops logs 01JNQ6Z5S8M2W4X7Y9A1B3C5D7 --json | jq -r '.attempts[-1].outputTail'`,
    )
    .action(async (runId: string, options: LogsOptions) => {
      const storeUrl = selectStoreUrl(options.store);
      let run: RunRecord | undefined;
      let source = options.stateDir;
      if (storeUrl === undefined) {
        const history = await readHistoryOffline(options.stateDir);
        for (const warning of history.warnings) writeErr(`cronops: warning: ${warning}`);
        run = history.getRun(runId);
      } else {
        const store = await import('../../store/pg/read-store.js');
        source = store.redactStoreUrl(storeUrl);
        run = await store.findRunInStore(storeUrl, runId);
      }
      if (run === undefined) {
        throw new SchedulerError('RUN_NOT_FOUND', `run "${runId}" not found in ${source}`);
      }
      if (options.json === true) writeJson(run, 2);
      else for (const line of renderRunLog(run)) writeOut(line);
    });
}

/** The text printed by `cronops logs`: a header, then a section per attempt. */
export function renderRunLog(run: RunRecord): string[] {
  const header: [string, string | undefined][] = [
    ['run', run.id],
    ['schedule', run.schedule],
    ['trigger', run.trigger],
    ['replica', run.replica],
    ['status', describeRunStatus(run)],
    ['reason', run.reason],
    [
      'missed',
      run.missed &&
        `${run.missed.count} fire(s) from ${formatInstant(run.missed.first)} to ${formatInstant(run.missed.last)}`,
    ],
    ['scheduled', formatInstant(run.scheduledAt)],
    ['started', run.startedAt && formatInstant(run.startedAt)],
    ['finished', run.finishedAt && formatInstant(run.finishedAt)],
    ['duration', run.durationMs === undefined ? undefined : formatDuration(run.durationMs)],
    ['spec', run.specHash],
  ];
  const lines = header
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => `${`${key}:`.padEnd(11)}${value}`);
  if (run.attempts.length === 0) {
    lines.push('', 'no attempts (the run never started a process)');
    return lines;
  }
  for (const attempt of run.attempts)
    lines.push('', ...renderAttempt(attempt, run.attempts.length));
  return lines;
}

function renderAttempt(attempt: AttemptRecord, total: number): string[] {
  const parts = [`attempt ${attempt.attempt} of ${total}`, describeAttemptEnd(attempt)];
  parts.push(`started ${formatInstant(attempt.startedAt)}`);
  if (attempt.finishedAt !== undefined) {
    const ms = Date.parse(attempt.finishedAt) - Date.parse(attempt.startedAt);
    parts.push(
      Number.isNaN(ms)
        ? `finished ${formatInstant(attempt.finishedAt)}`
        : `took ${formatDuration(ms)}`,
    );
  }
  const lines = [`--- ${parts.join(', ')}`];
  if (attempt.error !== undefined && attempt.error !== '') lines.push(`error: ${attempt.error}`);
  const tail = attempt.outputTail ?? '';
  if (tail === '') lines.push('(no output)');
  else lines.push(tail.endsWith('\n') ? tail.slice(0, -1) : tail);
  return lines;
}

/** `failed (exit code 3)`, `timedOut (signal SIGKILL)`, `skipped`. */
function describeRunStatus(run: RunRecord): string {
  const last = run.attempts[run.attempts.length - 1];
  if (last === undefined || last.finishedAt === undefined) return run.status;
  const end = formatExit(run);
  if (end === '-') return run.status;
  return `${run.status} (${typeof last.exitCode === 'number' ? 'exit code' : 'signal'} ${end})`;
}

function describeAttemptEnd(attempt: AttemptRecord): string {
  if (typeof attempt.exitCode === 'number') return `exit code ${attempt.exitCode}`;
  if (typeof attempt.signal === 'string' && attempt.signal !== '')
    return `killed by ${attempt.signal}`;
  return attempt.finishedAt === undefined ? 'still running' : 'no exit code';
}
