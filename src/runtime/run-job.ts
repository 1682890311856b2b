// Run one attempt of a task in its own process group and report what happened as data.
import { statSync } from 'node:fs';
import type { Clock } from '../shared/clock.js';
import { describeAbort, MAX_TIMER_MS, runHttpTask } from './http-task.js';
import type { AttemptResult } from './attempt-result.js';
import type { HttpTask } from './http-task.js';
import { toRunOutcome } from './outcome.js';
import type { RunOutcome } from './outcome.js';
import { OutputTail, redactSecrets } from './output-tail.js';
import { readProcessStartTime, terminateProcessGroup } from './process-group.js';
import { spawnProcess } from './spawn-process.js';

/** Everything one attempt needs, already resolved and rendered. */
export interface TaskInvocation {
  task: { kind: 'command'; command: string[] } | { kind: 'shell'; shell: string } | HttpTask;
  /** Extra env, merged over the daemon's own env (CRONOPS_RUN_ID and friends included by the caller). */
  env: Record<string, string>;
  /** Where the process starts. @default the daemon's working directory */
  workingDir?: string;
  /** Per attempt; then the group gets SIGTERM. <= 0 or non-finite: no timeout. Capped at ~24.8 days. */
  timeoutMs: number;
  /** SIGTERM → SIGKILL delay for the group. */
  killGraceMs: number;
  /** Bytes kept of the combined stdout+stderr (the last ones). */
  maxOutputBytes: number;
  /** Resolved secret values: replaced by "[redacted]" in the output tail and error text. */
  secrets: string[];
  /** Written to the process's stdin, which is then closed. @default stdin is /dev/null */
  input?: string;
}

export type { AttemptResult } from './attempt-result.js';

/** Called as soon as the process exists, so the caller can persist it before anything else happens. */
export type SpawnListener = (info: {
  pid: number;
  processStartTime: number;
}) => void | Promise<void>;

export interface RunTaskOptions {
  clock: Clock;
  /** Aborting it terminates the group (outcome `killed`): Replace, shutdown. */
  signal?: AbortSignal;
  /**
   * Gets the pid and start time (0 when /proc cannot tell), called before runTask returns: a record the
   * caller makes right after the call already carries them. Output is consumed and the timeout runs
   * while it is pending. If it throws or rejects, the attempt goes on and its `error` mentions it.
   */
  onSpawn?: SpawnListener;
  /**
   * Gets every chunk of output as it arrives (`cronops exec` streams it to the terminal). Raw bytes:
   * NOT redacted, unlike the tail. Not called for http tasks. A throwing listener is ignored.
   */
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
}

/** The shape of runTask, for callers that take it as a dependency (tests pass a fake). */
export type RunTask = (
  invocation: TaskInvocation,
  options: RunTaskOptions,
) => Promise<AttemptResult>;

/**
 * The daemon's own environment, copied once, when the first process starts: every job inherits it under its
 * own variables. Reading `process.env` whole costs about 0.15 ms (each variable goes through a native
 * getter), which would come before every spawn; cronops never changes its environment after start-up.
 */
let inheritedEnv: Record<string, string | undefined> | undefined;

/**
 * Start one no-op process (`/bin/sh -c :`) the way jobs start, so that V8 compiles the code that starts a
 * process now and not at the first fire. Without it, a daemon's first fire spent 5–6 ms more before its
 * fork than later ones, most of it compiling the code that starts a process. Never rejects; without `/bin/sh` it only warms less.
 */
export function warmUpProcessStart(clock: Clock): Promise<AttemptResult> {
  return runTask(
    {
      task: { kind: 'shell', shell: ':' },
      env: {},
      timeoutMs: 10_000,
      killGraceMs: 1_000,
      maxOutputBytes: 1024,
      secrets: [],
    },
    { clock },
  );
}

/** How long the pipes may stay open once the whole group is gone (a process that left the group holds them). */
const PIPE_DRAIN_MS = 500;

/**
 * Run one attempt. `command` runs argv without a shell, `shell` runs `/bin/sh -c`, `http` fetches.
 * The process gets its own process group (pgid = pid). Timeout and abort send SIGTERM to the
 * whole group and SIGKILL after `killGraceMs`; when the main process exits on its own, whatever
 * it left in its group is terminated the same way, so no grandchild outlives its attempt.
 * Never rejects: every ending is an AttemptResult.
 */
export async function runTask(
  invocation: TaskInvocation,
  options: RunTaskOptions,
): Promise<AttemptResult> {
  const { task } = invocation;
  if (task.kind === 'http') {
    return runHttpTask(task, {
      clock: options.clock,
      timeoutMs: invocation.timeoutMs,
      maxOutputBytes: invocation.maxOutputBytes,
      secrets: invocation.secrets,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }
  const argv = task.kind === 'command' ? task.command : ['/bin/sh', '-c', task.shell];
  return runProcess(argv, invocation, options);
}

async function runProcess(
  argv: string[],
  invocation: TaskInvocation,
  options: RunTaskOptions,
): Promise<AttemptResult> {
  const { clock, signal } = options;
  const startedAt = clock.now();
  const tail = new OutputTail(invocation.maxOutputBytes, invocation.secrets);
  const notStarted = (outcome: RunOutcome, error: string): AttemptResult => ({
    outcome,
    exitCode: null,
    signal: null,
    outputTail: '',
    startedAt,
    finishedAt: clock.now(),
    error: redactSecrets(error, invocation.secrets),
  });

  if (signal?.aborted) return notStarted('killed', describeAbort(signal));
  const [file, ...args] = argv;
  if (file === undefined || file === '') return notStarted('spawn-error', 'empty command');
  const cwdProblem = checkWorkingDir(invocation.workingDir);
  if (cwdProblem !== undefined) return notStarted('spawn-error', cwdProblem);
  const subprocess = spawnProcess({
    file,
    args,
    env: { ...(inheritedEnv ??= { ...process.env }), ...invocation.env },
    ...(invocation.workingDir === undefined ? {} : { cwd: invocation.workingDir }),
    ...(invocation.input === undefined ? {} : { input: invocation.input }),
  });
  // Consume from the first byte: a full pipe would stall the job.
  let chunks = 0;
  const consume = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    chunks += 1;
    tail.push(chunk);
    try {
      options.onOutput?.(chunk, stream);
    } catch {
      // The listener's problem: the job and its tail go on.
    }
  };
  subprocess.stdout.on('data', consume('stdout'));
  subprocess.stderr.on('data', consume('stderr'));

  const pid = subprocess.pid;
  const processStartTime = pid === undefined ? undefined : readProcessStartTime(pid);
  let stopReason: 'timeout' | 'abort' | undefined;
  let exited = false;
  let termination: Promise<void> | undefined;
  const terminate = (why: 'timeout' | 'abort' | 'exit'): void => {
    if (pid === undefined) return;
    if (why !== 'exit' && !exited) stopReason ??= why;
    termination ??= terminateProcessGroup(pid, invocation.killGraceMs);
  };

  const timeoutMs = invocation.timeoutMs;
  const timer =
    pid !== undefined && Number.isFinite(timeoutMs) && timeoutMs > 0
      ? setTimeout(() => terminate('timeout'), Math.min(timeoutMs, MAX_TIMER_MS))
      : undefined;
  const onAbort = (): void => terminate('abort');
  signal?.addEventListener('abort', onAbort, { once: true });

  // The main process is gone: clean up its group, then give the pipes a moment to drain
  // before closing them, in case a process outside the group (setsid) still holds them.
  let drainTimer: NodeJS.Timeout | undefined;
  subprocess.onExit(() => {
    exited = true;
    terminate('exit');
    // Closed only once the pipes have been quiet for a whole interval, and after an event-loop turn
    // that polls I/O: a starved loop (a burst of 1,000 jobs) must not drop output still waiting in them.
    const closeWhenQuiet = (seen: number): void => {
      drainTimer = setTimeout(() => {
        if (chunks !== seen) return closeWhenQuiet(chunks);
        setImmediate(() => {
          if (chunks !== seen) return closeWhenQuiet(chunks);
          subprocess.stdout.destroy();
          subprocess.stderr.destroy();
        });
      }, PIPE_DRAIN_MS);
    };
    void (termination ?? Promise.resolve()).then(() => closeWhenQuiet(chunks));
  });

  let spawnNote: string | undefined;
  const noteSpawnFailure = (error: unknown): void => {
    spawnNote = `onSpawn failed: ${error instanceof Error ? error.message : String(error)}`;
  };
  let spawnNotified: Promise<void> = Promise.resolve();
  if (pid !== undefined && options.onSpawn !== undefined) {
    try {
      spawnNotified = Promise.resolve(
        options.onSpawn({ pid, processStartTime: processStartTime ?? 0 }),
      ).catch(noteSpawnFailure);
    } catch (error) {
      noteSpawnFailure(error);
    }
  }

  const [result] = await Promise.all([subprocess.ended, spawnNotified]);
  clearTimeout(timer);
  signal?.removeEventListener('abort', onAbort);
  await termination;
  clearTimeout(drainTimer);

  const outcome = toRunOutcome({
    failed: result.failed,
    timedOut: stopReason === 'timeout',
    isTerminated: result.isTerminated,
    isCanceled: stopReason === 'abort',
    ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
    ...(typeof result.code === 'string' ? { code: result.code } : {}),
  });
  const error = describeFailure(outcome, {
    argv,
    exitCode: result.exitCode,
    signal: result.signal,
    code: result.code,
    timeoutMs,
    killGraceMs: invocation.killGraceMs,
    abortSignal: signal,
  });
  const errorText = [error, spawnNote].filter((s) => s !== undefined).join('; ');
  return {
    outcome,
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    outputTail: tail.toString(),
    startedAt,
    finishedAt: clock.now(),
    ...(errorText === '' ? {} : { error: redactSecrets(errorText, invocation.secrets) }),
    ...(pid === undefined ? {} : { pid }),
    ...(processStartTime === undefined ? {} : { processStartTime }),
  };
}

/** Checked before spawning: Node reports a missing cwd as a missing command (`spawn /bin/sh ENOENT`). */
function checkWorkingDir(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  try {
    if (!statSync(dir).isDirectory()) return `working directory is not a directory: ${dir}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `working directory not found: ${dir}`;
    if (code === 'EACCES') return `working directory not accessible: ${dir}`;
    return `working directory unusable: ${dir} (${code ?? 'unknown error'})`;
  }
  return undefined;
}

function describeFailure(
  outcome: RunOutcome,
  facts: {
    argv: string[];
    exitCode: number | undefined;
    signal: string | undefined;
    code: string | undefined;
    timeoutMs: number;
    killGraceMs: number;
    abortSignal: AbortSignal | undefined;
  },
): string | undefined {
  const ended =
    facts.signal !== undefined
      ? `terminated by ${facts.signal}`
      : `exited with code ${facts.exitCode ?? '?'}`;
  switch (outcome) {
    case 'succeeded':
      return undefined;
    case 'timed-out':
      return `timed out after ${facts.timeoutMs} ms; process group sent SIGTERM (SIGKILL after ${facts.killGraceMs} ms); ${ended}`;
    case 'killed':
      return `${facts.abortSignal ? describeAbort(facts.abortSignal) : 'cancelled'}; process group terminated; ${ended}`;
    case 'spawn-error':
      return describeSpawnError(facts.code, facts.argv);
    case 'failed':
      return ended;
  }
}

function describeSpawnError(code: string | undefined, argv: string[]): string {
  const command = argv[0] ?? '';
  switch (code) {
    case 'ENOENT':
      return `command not found: ${command}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied: ${command}`;
    case 'ENOEXEC':
      return `not an executable: ${command}`;
    case 'ENOTDIR':
      return `command not found (a path component is not a directory): ${command}`;
    default:
      return `cannot start ${command}: ${code ?? 'unknown error'}`;
  }
}
