// `cronops trigger NAME`: ask the running daemon to run a schedule now ("run now"), under its concurrency policy.
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import { SchedulerError } from '../../shared/errors.js';
import { EXIT, writeErr, writeOut } from '../output.js';
import {
  DEFAULT_DAEMON_URL,
  createUrlOption,
  describeNetworkError,
  normaliseDaemonUrl,
} from './status.js';

interface TriggerFlags {
  url?: string;
  token?: string;
  requestId?: string;
}

/** What the daemon answered, reduced to what the command prints. */
export type TriggerOutcome =
  { ok: true; runId: string; note?: string } | { ok: false; message: string };

/** The meaning of the daemon's answer to `POST …/trigger`, for the schedule `name`. */
export function interpretTriggerAnswer(
  name: string,
  status: number,
  body: unknown,
): TriggerOutcome {
  const data = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = (key: string): string | undefined =>
    typeof data[key] === 'string' ? (data[key] as string) : undefined;
  switch (status) {
    case 202: {
      const runId = text('runId');
      if (runId === undefined)
        return { ok: false, message: 'the daemon accepted the run but sent no run id' };
      const reason = text('reason');
      return text('outcome') === 'waiting'
        ? { ok: true, runId, note: `run ${runId} of "${name}" is waiting: ${reason ?? 'queued'}` }
        : { ok: true, runId };
    }
    case 409:
      return {
        ok: false,
        message: `"${name}" was not started: ${text('reason') ?? 'skipped by its concurrency policy'}`,
      };
    case 401:
      return {
        ok: false,
        message: 'the daemon needs a trigger token: pass --token or set CRONOPS_TRIGGER_TOKEN',
      };
    case 403:
      return {
        ok: false,
        message: 'the daemon refused the trigger token (not the one it was started with)',
      };
    case 404:
      return { ok: false, message: `the daemon has no schedule named "${name}"` };
    case 405:
      return {
        ok: false,
        message:
          'run now is disabled on this daemon: start it with --trigger-token or CRONOPS_TRIGGER_TOKEN',
      };
    default:
      return {
        ok: false,
        message: `the daemon answered ${status}${text('message') ? `: ${text('message')}` : text('error') ? `: ${text('error')}` : ''}`,
      };
  }
}

export function registerTriggerCommand(program: Command): Command {
  return program
    .command('trigger')
    .summary('run a schedule now on the running daemon')
    .description(
      'Ask the running daemon to start a run of NAME now (trigger "manual"), under the ' +
        "schedule's concurrencyPolicy. Prints the run id. Needs the daemon's trigger token " +
        '(cronops run --trigger-token). Exits 1 when the run was not started, with the reason.',
    )
    .argument('<name>', 'the schedule (metadata.name)')
    .addOption(createUrlOption())
    .addOption(
      new Option(
        '--token <token>',
        'the trigger token (prefer the variable: a flag shows in ps)',
      ).env('CRONOPS_TRIGGER_TOKEN'),
    )
    .addOption(
      new Option(
        '--request-id <id>',
        'names this request: the same id starts one run, whichever replica it reaches (default: a new id, so a retry of this command does not run twice)',
      ),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ CRONOPS_TRIGGER_TOKEN=… cronops trigger nightly-db-backup
  01JP0K5M00Q1R2S3T4V5W6X7Y8
  $ cronops logs "$(cronops trigger cache-warmer)"   (once it finished)`,
    )
    .action(async (name: string, flags: TriggerFlags) => {
      const base = normaliseDaemonUrl(flags.url ?? DEFAULT_DAEMON_URL);
      const target = `${base}/api/v1/schedules/${encodeURIComponent(name)}/trigger`;
      let response: Response;
      try {
        response = await fetch(target, {
          method: 'POST',
          headers: {
            Accept: 'application/json',
            ...(flags.token ? { Authorization: `Bearer ${flags.token}` } : {}),
            'Idempotency-Key': flags.requestId ?? randomUUID(),
          },
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        const reason = describeNetworkError(error);
        if (reason === undefined) throw error;
        throw new SchedulerError(
          'DAEMON_UNREACHABLE',
          `cannot reach the daemon at ${base} (${reason})`,
          {
            cause: error,
          },
        );
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        body = undefined;
      }
      const outcome = interpretTriggerAnswer(name, response.status, body);
      if (!outcome.ok) {
        writeErr(`cronops: ${outcome.message}`);
        process.exitCode = EXIT.invalid;
        return;
      }
      if (outcome.note !== undefined) writeErr(`cronops: ${outcome.note}`);
      writeOut(outcome.runId);
    });
}
