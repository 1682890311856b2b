#!/bin/sh
//bin/true; exec node --max-semi-space-size=1 "$0" "$@"
// The cronops command line: builds the program, lets each command register itself, maps errors to exit statuses.
import { Command, CommanderError } from 'commander';
import { readVersion } from './version.js';
import {
  EXIT,
  exitQuietlyOnClosedStdout,
  formatCommanderMessage,
  formatErrorLine,
  selectExitCode,
  writeErr,
} from './output.js';

/** Adds one command (and its options, help and action) to the program. */
type RegisterCommand = (program: Command) => unknown;

/**
 * Every command, in help order, as a loader of its register function. A command's module (and
 * what it imports: the daemon, the history store …) is loaded only when that command runs or
 * when the full help is shown, so `cronops validate` in CI does not pay for the daemon.
 * To add a command: one entry here.
 */
const COMMANDS: Record<string, () => Promise<RegisterCommand>> = {
  run: async () => (await import('./commands/run.js')).registerRunCommand,
  validate: async () => (await import('./commands/validate.js')).registerValidateCommand,
  schema: async () => (await import('./commands/schema.js')).registerSchemaCommand,
  next: async () => (await import('./commands/next.js')).registerNextCommand,
  history: async () => (await import('./commands/history.js')).registerHistoryCommand,
  logs: async () => (await import('./commands/logs.js')).registerLogsCommand,
  exec: async () => (await import('./commands/exec.js')).registerExecCommand,
  plan: async () => (await import('./commands/plan.js')).registerPlanCommand,
  status: async () => (await import('./commands/status.js')).registerStatusCommand,
  trigger: async () => (await import('./commands/trigger.js')).registerTriggerCommand,
  calendar: async () => (await import('./commands/calendar.js')).registerCalendarCommand,
  store: async () => (await import('./commands/store.js')).registerStoreCommand,
  render: async () => (await import('./commands/render.js')).registerRenderCommand,
  healthcheck: async () => (await import('./commands/healthcheck.js')).registerHealthcheckCommand,
};

/**
 * The commands to register for `argv`: only the one named (the first argument that is not an
 * option; global options take no value), or all of them for help, an unknown or no command.
 */
function selectCommands(argv: readonly string[]): string[] {
  const named = argv.slice(2).find((arg) => !arg.startsWith('-'));
  return named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
}

/** The program with its global options and the `names` commands, added by their register functions. */
async function createProgram(names: readonly string[]): Promise<Command> {
  const program = new Command('cronops')
    .description('Configuration-as-code job scheduler: YAML schedules in git, run by a daemon.')
    .version(readVersion(), '-V, --version', 'print the version and exit')
    .option('--debug', 'show stack traces on errors')
    .helpOption('-h, --help', 'show help for a command')
    .showSuggestionAfterError(true)
    // Set before any command is added: subcommands copy these settings when created.
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(`${formatCommanderMessage(text)}\n`),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ cronops validate                      check schedules.d/ (or $CRONOPS_DIR)
  $ cronops validate --format github ci/  annotate a pull request in GitHub Actions
  $ cronops next nightly-db-backup -n 3   when does it fire next?
  $ cronops next --cron '0 9 1,15 * *' --tz Europe/Berlin
  $ cronops schema > schema/cronops.schema.json

Exit status: 0 success, 1 invalid input or a failed check, 2 usage error.
Documentation: docs/cli.md and docs/manifest.md`,
    );

  const registers = await Promise.all(names.map((name) => COMMANDS[name]?.()));
  for (const register of registers) register?.(program);
  return program;
}

/** Run the command line with `argv` (as in process.argv) and return the exit status. */
async function runCli(argv: string[]): Promise<number> {
  // Read --debug before parsing: it must also apply to errors raised while parsing.
  const debug = argv.includes('--debug');
  try {
    const program = await createProgram(selectCommands(argv));
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    // Commander has already printed its own message (as one line, see configureOutput).
    if (!(error instanceof CommanderError)) writeErr(formatErrorLine(error, debug));
    return selectExitCode(error);
  }
}

exitQuietlyOnClosedStdout();
process.exitCode = await runCli(process.argv);
