// How the command line reports: one-line errors, exit statuses, and output that never mixes with JSON.
import { CommanderError } from 'commander';
import { SchedulerError, exitCodeFor } from '../shared/errors.js';

/** Exit statuses used by every command (SPEC §8). */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

/** A usage error: bad flags, a path that does not exist, conflicting arguments (exit 2). */
export function createUsageError(message: string): SchedulerError {
  return new SchedulerError('USAGE', message);
}

/** The exit status for anything thrown out of a command. */
export function selectExitCode(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof SchedulerError) return exitCodeFor(error.code);
  return EXIT.invalid;
}

/**
 * The single line printed for an error: `cronops: <message>`.
 * With `debug`, the stack trace (and the cause's) follows.
 */
export function formatErrorLine(error: unknown, debug: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = `cronops: ${flattenMessage(message)}`;
  if (!debug || !(error instanceof Error)) return line;
  const parts = [line, error.stack ?? ''];
  let cause: unknown = error.cause;
  while (cause instanceof Error) {
    parts.push(`caused by: ${cause.stack ?? cause.message}`);
    cause = cause.cause;
  }
  return parts.filter(Boolean).join('\n');
}

/** Commander's own messages ("error: unknown option '--x'\n(Did you mean --y?)") as one line. */
export function formatCommanderMessage(text: string): string {
  return `cronops: ${flattenMessage(text.replace(/^error:\s*/i, ''))}`;
}

/** Join a multi-line message into one line so that every error is exactly one line. */
function flattenMessage(message: string): string {
  return message
    .split(/\r?\n/)
    .map((part) => part.trim())
    .filter(Boolean)
    .join(' ');
}

/** Write text to stdout, ending with a newline. */
export function writeOut(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Write text to stderr, ending with a newline. */
export function writeErr(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Write a value as JSON on stdout, and nothing else. */
export function writeJson(value: unknown, indent?: number): void {
  writeOut(JSON.stringify(value, null, indent));
}

/**
 * `cronops next -n 10000 | head`: when the reader closes the pipe, stop quietly instead of
 * crashing with an EPIPE stack trace.
 */
export function exitQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}
