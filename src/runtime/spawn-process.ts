// Starting a job's process with node:child_process, and its end as the flags an outcome is decided from.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { Readable, type Writable } from 'node:stream';
import type { OutcomeFlags } from './outcome.js';

export interface SpawnRequest {
  file: string;
  args: readonly string[];
  /** The whole environment of the process (the daemon's, copied once, with the run's own variables). */
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
}

/** How the process ended: the flags `toRunOutcome` takes, with the signal's name. */
export interface ProcessEnd extends Omit<OutcomeFlags, 'timedOut' | 'isCanceled'> {
  /** The signal that ended the process, when one did. */
  signal?: NodeJS.Signals;
}

export interface StartedProcess {
  /** undefined when the process could not be started (then `ended` says why, with `code`). */
  pid: number | undefined;
  stdout: Readable;
  stderr: Readable;
  /** The main process exited (its pipes may still be open). */
  onExit(listener: () => void): void;
  /** Resolves once the process exited and its pipes closed, or it never started; never rejects. */
  ended: Promise<ProcessEnd>;
}

type Child = ChildProcessByStdio<Writable | null, Readable, Readable>;

/**
 * Start `file` in a process group of its own (`detached`), stdout and stderr piped. This is what execa
 * did for the daemon with `buffer: false`, without execa's per-call work (option normalisation, stream
 * wrappers, abort controllers, promises), which cost about as much CPU as the fork itself
 * (docs/design/processes.md, "The fire path, profiled").
 */
export function spawnProcess(request: SpawnRequest): StartedProcess {
  let child: Child;
  try {
    // stdout and stderr are always pipes; the types cannot follow a stdio array built at run time.
    child = spawn(request.file, request.args, {
      detached: true,
      env: request.env,
      ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
      stdio: [request.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    }) as Child;
  } catch (error) {
    // Arguments Node refuses before any process exists (a NUL byte in an argument).
    return notStarted(error);
  }
  const ended = new Promise<ProcessEnd>((resolve) => {
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once('error', (error: NodeJS.ErrnoException) => {
      // Only a failed start leaves pid undefined; a later error (a failed kill) changes nothing here.
      if (child.pid === undefined) spawnError = error;
    });
    child.once('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (spawnError !== undefined) {
        resolve({ failed: true, isTerminated: false, code: spawnError.code ?? 'EUNKNOWN' });
        return;
      }
      resolve({
        failed: exitCode !== 0,
        isTerminated: signal !== null,
        ...(exitCode === null ? {} : { exitCode }),
        ...(signal === null ? {} : { signal }),
      });
    });
  });
  if (child.stdin !== null) {
    // A job that does not read its input closes the pipe first: EPIPE is its business, not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(request.input);
  }
  return {
    pid: child.pid,
    stdout: child.stdout,
    stderr: child.stderr,
    onExit: (listener) => child.once('exit', listener),
    ended,
  };
}

function notStarted(error: unknown): StartedProcess {
  const code = (error as NodeJS.ErrnoException).code ?? 'EINVAL';
  return {
    pid: undefined,
    stdout: Readable.from([]),
    stderr: Readable.from([]),
    onExit: () => undefined,
    ended: Promise.resolve({ failed: true, isTerminated: false, code }),
  };
}
