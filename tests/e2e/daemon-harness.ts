// Starting the real daemon (the built CLI) on temp directories, and waiting on what it writes.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';
import { parseShardContent } from '../../src/history/shard-file.js';

export const CLI = resolve('dist/cli/main.js');
export const JOBS = resolve('tests/fixtures/jobs');

export interface RunningDaemon {
  proc: ChildProcess;
  /** Everything the daemon printed so far (JSON log lines). */
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function makeDirs(
  prefix = 'cronops-e2e-',
): Promise<{ root: string; dir: string; state: string }> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const dir = join(root, 'schedules.d');
  const state = join(root, 'state');
  await mkdir(dir);
  return { root, dir, state };
}

/** A Schedule manifest as YAML (JSON is valid YAML). */
export function manifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify(
    { apiVersion: 'cronops/v1', kind: 'Schedule', metadata: { name }, spec },
    null,
    2,
  );
}

export async function writeManifest(dir: string, file: string, ...docs: string[]): Promise<void> {
  await writeFile(join(dir, file), docs.join('\n---\n'));
}

/** `cronops run` of the built CLI (or of another build's `cli`), JSON logs, output captured. */
export function startDaemon(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cli: string = CLI,
): RunningDaemon {
  const proc = spawn(process.execPath, [cli, 'run', '--log-format', 'json', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    proc.on('exit', (code, signal) => done({ code, signal })),
  );
  return { proc, output: () => out, exited };
}

/**
 * The daemons and temp directories of one test file, killed and removed after each test (registers its
 * own afterEach). `setup()` makes a root with `schedules.d/` and `state/`; `daemon()` starts the CLI.
 */
export function useDaemons(prefix?: string): {
  setup: () => Promise<{ root: string; dir: string; state: string }>;
  daemon: (args: string[], env?: NodeJS.ProcessEnv) => RunningDaemon;
} {
  const started: RunningDaemon[] = [];
  const roots: string[] = [];
  afterEach(async () => {
    for (const d of started.splice(0)) {
      if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
    }
    for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
  });
  return {
    async setup() {
      const dirs = await makeDirs(prefix);
      roots.push(dirs.root);
      return dirs;
    },
    daemon(args, env = {}) {
      const d = startDaemon(args, env);
      started.push(d);
      return d;
    },
  };
}

/** Poll `check` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface StoredRun {
  id: string;
  schedule: string;
  trigger: string;
  scheduledAt: string;
  status: string;
  reason?: string;
  attempts: {
    attempt: number;
    exitCode?: number | null;
    signal?: string | null;
    outputTail?: string;
    pid?: number;
  }[];
  missed?: { count: number; first: string; last: string };
}

/** The runs in a schedule's history shard, or [] when it does not exist (yet). */
export async function readRuns(state: string, schedule: string): Promise<StoredRun[]> {
  try {
    const file = join(state, 'history', `${schedule}.json`);
    return parseShardContent(await readFile(file), file).runs as StoredRun[];
  } catch {
    return [];
  }
}

export async function readStatus(state: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(state, 'status.json'), 'utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return undefined;
  }
}

export async function listHistory(state: string): Promise<string[]> {
  try {
    return (await readdir(join(state, 'history'))).sort();
  } catch {
    return [];
  }
}

/** True while a process with this pid exists and is not a zombie (an exited orphan waiting for init to reap it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function stopDaemon(
  daemon: RunningDaemon,
  timeoutMs = 15_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (daemon.proc.exitCode === null && daemon.proc.signalCode === null) daemon.proc.kill('SIGTERM');
  const timer = setTimeout(() => daemon.proc.kill('SIGKILL'), timeoutMs);
  try {
    return await daemon.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Steps to undo after each test (a database, a directory, a server), the last added first; failures ignored. */
export function useCleanup(): { push: (step: () => Promise<unknown>) => void } {
  const steps: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step().catch(() => undefined);
  });
  return { push: (step) => void steps.push(step) };
}
