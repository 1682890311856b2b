// `cronops exec`: one whole run of a schedule, now, in the foreground, with the daemon's semantics.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { RunRecord } from '../../history/store.js';
import { formatIssue, loadManifestDir } from '../../manifest/load.js';
import { fingerprintSchedule } from '../../reconcile/fingerprint.js';
import type { DesiredSchedule } from '../../reconcile/desired.js';
import { SchedulerError } from '../../shared/errors.js';
import { formatErrorLine, writeErr } from '../output.js';
import { runScheduleOnce } from './exec-run.js';
import { createStateDirOption } from './history.js';
import { findSchedule } from './next.js';
import { selectDefaultDir } from './validate.js';

interface ExecOptions {
  dir?: string;
  record?: boolean;
  notify?: boolean;
  stateDir: string;
}

/** exec's exit statuses (docs/cli.md). */
export const EXEC_EXIT = {
  succeeded: 0,
  failed: 1,
  usage: 2,
  timedOut: 124,
  /** exec itself failed: no such schedule, invalid manifest, state directory in use. Nothing ran. */
  notRun: 125,
} as const;

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

/** The exit status for a finished run; `signal` is the one exec got, if it stopped the run. */
export function selectExecExitCode(
  status: RunRecord['status'],
  signal?: keyof typeof SIGNAL_NUMBERS,
): number {
  if (status === 'succeeded') return EXEC_EXIT.succeeded;
  if (status === 'timedOut') return EXEC_EXIT.timedOut;
  if (signal !== undefined) return 128 + SIGNAL_NUMBERS[signal];
  return EXEC_EXIT.failed;
}

export function registerExecCommand(program: Command): void {
  program
    .command('exec')
    .summary('run a schedule once now, in the foreground, as the daemon would')
    .description(
      'Run one whole run of a schedule now (trigger "manual"), exactly as the daemon runs a fire:\n' +
        'templates, env and secrets, per-attempt timeout and kill grace, retries with its backoff.\n' +
        "The job's output is streamed with secret values redacted. Nothing is recorded unless --record,\n" +
        'no notification is sent unless --notify. SIGINT/SIGTERM stop the run (its whole process group).\n' +
        'Exit status: 0 succeeded, 1 failed, 124 timed out, 130/143 stopped by SIGINT/SIGTERM,\n' +
        '125 nothing ran (no such schedule, invalid manifest, state directory in use), 2 usage error.',
    )
    .argument('<name>', 'a schedule name (metadata.name)')
    .option('--dir <dir>', 'manifest directory (default: $CRONOPS_DIR or schedules.d)')
    .option(
      '--record',
      'write the run to the history in --state-dir (refused while a daemon uses it)',
    )
    .option('--notify', "send the schedule's notifications for this run")
    .addOption(createStateDirOption())
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ cronops exec postgres-backup --dir examples\n' +
        '  $ cronops exec postgres-backup --dir examples --record --state-dir /var/lib/cronops --notify',
    )
    .action(async (name: string, options: ExecOptions, command: Command) => {
      const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
      try {
        process.exitCode = await execSchedule(name, options);
      } catch (error) {
        if (error instanceof SchedulerError && error.code === 'USAGE') throw error;
        writeErr(formatErrorLine(error, debug));
        process.exitCode = EXEC_EXIT.notRun;
      }
    });
}

async function execSchedule(name: string, options: ExecOptions): Promise<number> {
  const dir = options.dir ?? selectDefaultDir(process.env);
  const job = await loadJob(name, dir);
  if (options.record) refuseBusyStateDir(options.stateDir);
  const abort = new AbortController();
  let stoppedBy: keyof typeof SIGNAL_NUMBERS | undefined;
  const onSignal = (signal: keyof typeof SIGNAL_NUMBERS): void => {
    stoppedBy ??= signal;
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const run = await runScheduleOnce(job, {
      ...(options.record ? { recordIn: options.stateDir } : {}),
      notify: options.notify === true,
      signal: abort.signal,
      stdout: process.stdout,
      stderr: process.stderr,
    });
    const seconds = ((run.durationMs ?? 0) / 1000).toFixed(2);
    const attempts = run.attempts.length === 1 ? '' : ` after ${run.attempts.length} attempts`;
    // The record says what the RunManager says of any shutdown; here exec's own signal is the reason.
    const reason = stoppedBy === undefined ? run.reason : `stopped by ${stoppedBy}`;
    writeErr(
      `cronops: ${run.status} in ${seconds}s${attempts}${reason ? `: ${reason}` : ''}` +
        (options.record ? ` (recorded as run ${run.id})` : ''),
    );
    return selectExecExitCode(run.status, stoppedBy);
  } catch (error) {
    if (stoppedBy === undefined) throw error;
    // Stopped before the run could start (while the history was opening): a signal, not a failure.
    writeErr(`cronops: stopped by ${stoppedBy} before the run started`);
    return selectExecExitCode('interrupted', stoppedBy);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The schedule as the daemon would run it; throws (exit 125) when it is missing or its file invalid. */
async function loadJob(name: string, dir: string): Promise<DesiredSchedule> {
  const found = findSchedule(await loadManifestDir(dir), name);
  if (found.kind === 'missing') {
    const hint = found.suggestion === undefined ? '' : ` (did you mean "${found.suggestion}"?)`;
    throw new SchedulerError('SCHEDULE_NOT_FOUND', `no schedule named "${name}" in ${dir}${hint}`, {
      schedule: name,
    });
  }
  if (found.kind === 'invalid') {
    for (const issue of found.issues) writeErr(formatIssue(issue));
    throw new SchedulerError(
      'MANIFEST_INVALID',
      `schedule "${name}" is in ${found.file}, which is invalid`,
      {
        file: found.file,
        schedule: name,
      },
    );
  }
  const { loaded } = found;
  return { ...loaded, hash: fingerprintSchedule(loaded.metadata, loaded.spec), degraded: false };
}

/**
 * A daemon keeps each schedule's history in memory and rewrites its file: a run written beside it would be
 * lost. Its status.json names its pid; if that process is alive, the state directory is taken.
 */
function refuseBusyStateDir(stateDir: string): void {
  const pid = readDaemonPid(join(stateDir, 'status.json'));
  if (pid === undefined || pid === process.pid || !isAlive(pid)) return;
  throw new SchedulerError(
    'STATE_DIR_UNAVAILABLE',
    `a daemon (pid ${pid}) is using the state directory ${stateDir}: it would overwrite a run recorded there; ` +
      'use `cronops trigger` to run the schedule on that daemon, or --record with another --state-dir',
    { file: stateDir },
  );
}

function readDaemonPid(file: string): number | undefined {
  try {
    const status = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
    const pid = status.pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
