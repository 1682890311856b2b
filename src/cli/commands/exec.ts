// `cronops exec`: run one schedule's task once, now, in the foreground — for trying a manifest before merging it.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ulid } from 'ulid';
import { buildInvocation } from '../../daemon/invocation.js';
import { formatIssue, loadManifestDir } from '../../manifest/load.js';
import { runTask } from '../../runtime/run-job.js';
import { systemClock } from '../../shared/clock.js';
import { SchedulerError } from '../../shared/errors.js';
import { writeErr } from '../output.js';
import { findSchedule } from './next.js';
import { selectDefaultDir } from './validate.js';

interface ExecOptions {
  dir?: string;
}

export function registerExecCommand(program: Command): void {
  program
    .command('exec')
    .summary("run one schedule's task once now, in the foreground")
    .description(
      "Run one attempt of a schedule's task now, with its templates, env, secrets, working directory\n" +
        'and timeout, streaming its output. Nothing is recorded in the history. The exit status is the\n' +
        "task's (1 when it could not start or timed out, or an http task got an unexpected status).",
    )
    .argument('<name>', 'a schedule name (metadata.name)')
    .option('--dir <dir>', 'manifest directory (default: $CRONOPS_DIR or schedules.d)')
    .addHelpText('after', '\nExample:\n  $ cronops exec nightly-db-backup --dir examples')
    .action(async (name: string, options: ExecOptions) => {
      process.exitCode = await execSchedule(name, options.dir ?? selectDefaultDir(process.env));
    });
}

async function execSchedule(name: string, dir: string): Promise<number> {
  const result = await loadManifestDir(dir);
  const found = findSchedule(result, name);
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
  const { spec } = found.loaded;
  const runId = ulid();
  const built = buildInvocation(
    spec,
    { schedule: name, runId, attempt: 1, trigger: 'manual', scheduledAt: systemClock.now() },
    { env: process.env, readFile: (path) => readFileSync(path, 'utf8') },
  );
  if (!built.ok)
    throw new SchedulerError('MANIFEST_INVALID', `cannot start "${name}": ${built.error}`, {
      schedule: name,
    });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  writeErr(`cronops: running "${name}" (run ${runId})`);
  try {
    const attempt = await runTask(built.invocation, {
      clock: systemClock,
      signal: abort.signal,
      onOutput: (chunk) => process.stdout.write(chunk),
    });
    if (spec.task.kind === 'http')
      process.stdout.write(
        attempt.outputTail.endsWith('\n') ? attempt.outputTail : `${attempt.outputTail}\n`,
      );
    const seconds = ((attempt.finishedAt.getTime() - attempt.startedAt.getTime()) / 1000).toFixed(
      2,
    );
    writeErr(
      `cronops: ${attempt.outcome} in ${seconds}s${attempt.error ? `: ${attempt.error}` : ''}`,
    );
    if (attempt.outcome === 'succeeded') return 0;
    return attempt.exitCode !== null && attempt.exitCode > 0 ? attempt.exitCode : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
