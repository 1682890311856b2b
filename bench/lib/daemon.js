// Helpers shared by the daemon benchmarks: options, manifests, history shards, stopping a daemon, percentiles.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseShardContent } from '../../dist/history/shard-file.js';

/** The built CLI (`npx tsc -p tsconfig.build.json` first). */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/**
 * The node flags of the CLI's `exec node …` line: a benchmark runs the daemon as the `cronops` command runs it
 * (the young generation's size, docs/design/memory.md).
 */
export const CLI_NODE_FLAGS = readFileSync(CLI, 'utf8')
  .split('\n', 2)[1]
  .split(' ')
  .filter((word) => word.startsWith('--'));

/** Extra node flags for the daemons a benchmark starts (`BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof"`). */
export const NODE_FLAGS = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];

/**
 * Follow a spawned daemon: `onLine` gets each line of its stdout (the JSON log); `started` resolves with
 * the `cronops started` line, parsed, or rejects with the end of its stderr when it exits first;
 * `exited` resolves with its code and signal.
 */
export function followDaemon(proc, onLine = () => undefined) {
  let stderr = '';
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const started = new Promise((resolve, reject) => {
    let buffered = '';
    proc.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        onLine(line);
        if (line.includes('"cronops started"')) resolve(JSON.parse(line));
      }
    });
    void exited.then(({ code, signal }) =>
      reject(
        new Error(`daemon exited (${code ?? signal}) before starting: ${stderr.slice(-2000)}`),
      ),
    );
  });
  return { started, exited };
}

/**
 * Spawn the built daemon on `dir` and `state`: JSON logs on stdout, NODE_FLAGS passed to node, `env` (default:
 * this process's) as its environment, no HTTP unless `listen` says where, and with `store` (a postgres:// URL)
 * as a replica on that store instead of the lowdb files in `state`.
 */
export function spawnDaemon(
  dir,
  state,
  { shutdownGrace = '2s', env = process.env, listen = 'off', store } = {},
) {
  return spawn(
    process.execPath,
    [
      ...CLI_NODE_FLAGS,
      ...NODE_FLAGS,
      CLI,
      'run',
      '--dir',
      dir,
      '--state-dir',
      state,
      '--listen',
      listen,
      '--log-format',
      'json',
      '--shutdown-grace',
      shutdownGrace,
      ...(store === undefined ? [] : ['--store', store]),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
}

const CLOCK_TICKS =
  Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * CPU time of a process from /proc/<pid>/stat, in seconds: `own` (utime + stime) and `children` (cutime +
 * cstime: the children it has waited for, with the descendants they waited for).
 */
export function readCpuSeconds(pid = process.pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command: state is index 0, so utime (14th field overall) is index 11, then stime,
  // cutime and cstime.
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return {
    own: (fields[11] + fields[12]) / CLOCK_TICKS,
    children: (fields[13] + fields[14]) / CLOCK_TICKS,
  };
}

/** A whole number >= 1 from the environment variable `name`, or `fallback`. */
export function positiveInt(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name}: expected a whole number >= 1, got "${process.env[name]}"`);
  return value;
}

/** One Schedule document (JSON is valid YAML). */
export function manifest(name, spec) {
  return JSON.stringify({ apiVersion: 'cronops/v1', kind: 'Schedule', metadata: { name }, spec });
}

/** The runs in a schedule's history shard (with the records appended to it); [] while it does not exist. */
export async function readRuns(state, name) {
  try {
    const file = join(state, 'history', `${name}.json`);
    return parseShardContent(await readFile(file), file).runs;
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
}

/** Wait until the daemon has written `count` history shards and none is half-written. */
export async function waitForShards(state, count, timeoutMs, pollMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = await readdir(join(state, 'history')).catch(() => []);
    if (
      names.filter((n) => n.endsWith('.json')).length >= count &&
      !names.some((n) => n.endsWith('.tmp'))
    )
      return;
    if (Date.now() > deadline)
      throw new Error(`the daemon did not write ${count} history shards within ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

/** SIGTERM, then SIGKILL after `boundMs`; resolves when the daemon is gone. */
export async function stopDaemon(daemon, boundMs = 60_000) {
  if (daemon.proc.exitCode !== null || daemon.proc.signalCode !== null) return;
  daemon.proc.kill('SIGTERM');
  const timer = setTimeout(() => daemon.proc.kill('SIGKILL'), boundMs);
  await daemon.exited;
  clearTimeout(timer);
}

/**
 * Milliseconds from `scheduledMs` to the time a job printed with `date +%s.%N`, without losing the
 * nanoseconds to floating point; NaN when the output is not such a time.
 */
export function latenessMs(printed, scheduledMs) {
  const match = /^(\d+)\.(\d{9})/.exec(printed.trim());
  if (!match) return NaN;
  const seconds = Number(match[1]) - Math.floor(scheduledMs / 1000);
  return seconds * 1000 + Number(match[2]) / 1e6 - (scheduledMs % 1000);
}

/** Count, p50, p99 (nearest rank) and max; undefined percentiles for no samples. */
export function summarise(samples) {
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}
