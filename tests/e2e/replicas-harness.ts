// Replicas of the real daemon on one PostgreSQL store, and the ground truth their jobs write: each job
// appends one line (schedule, instant, run id, replica, real start ms) to one file with O_APPEND.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { manifest, startDaemon, waitFor, type RunningDaemon } from './daemon-harness.js';

/** libfaketime from Debian's faketime package. */
const FAKETIME_LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/** The shell of every tick job: one line per start, with the real time (libfaketime taken out). */
export function buildTruthShell(truthFile: string, tag = 'v1'): string {
  return `echo "$CRONOPS_SCHEDULE $CRONOPS_SCHEDULED_TIME $CRONOPS_RUN_ID $REPLICA $(env -u LD_PRELOAD -u FAKETIME date +%s%3N) ${tag}" >> ${truthFile}`;
}

/** Write `count` every-second schedules tick-0… into `dir`. */
export async function writeTicks(dir: string, truthFile: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let index = 0; index < count; index += 1) {
    await writeFile(
      join(dir, `tick-${index}.yaml`),
      manifest(`tick-${index}`, {
        schedule: '*/1 * * * * *',
        task: { shell: buildTruthShell(truthFile) },
        startingDeadline: '5s',
      }),
    );
  }
}

/** One line of the truth file. */
export interface TruthLine {
  schedule: string;
  instantMs: number;
  runId: string;
  replica: string;
  startedMs: number;
  tag: string;
}

export async function readTruth(truthFile: string): Promise<TruthLine[]> {
  let text = '';
  try {
    text = await readFile(truthFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [schedule, instant, runId, replica, started, tag] = line.split(' ');
      return {
        schedule: schedule!,
        instantMs: Date.parse(instant!),
        runId: runId!,
        replica: replica!,
        startedMs: Number(started),
        tag: tag ?? '',
      };
    });
}

/** (schedule, instant) slots that ran more than once. */
export function findDoubles(lines: readonly TruthLine[]): string[] {
  const seen = new Map<string, number>();
  for (const line of lines) {
    const key = `${line.schedule}@${new Date(line.instantMs).toISOString()}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([key]) => key);
}

/** Every whole-second instant in [fromMs, toMs]. */
export function listSecondInstants(fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let at = Math.ceil(fromMs / 1000) * 1000; at <= toMs; at += 1000) out.push(at);
  return out;
}

/** Start one replica on the store, tagged REPLICA=name in its jobs' environment. */
export function startReplica(
  name: string,
  options: {
    dir: string;
    state: string;
    url: string;
    lease?: string;
    faketime?: string;
    /** Another build's dist/cli/main.js (a rolling update between versions). */
    cli?: string;
    /** More environment for the daemon (CRONOPS_TRIGGER_TOKEN, …). */
    env?: NodeJS.ProcessEnv;
  },
): RunningDaemon {
  const args = [
    '--dir',
    options.dir,
    '--state-dir',
    options.state,
    '--listen',
    '127.0.0.1:0',
    '--store',
    options.url,
    '--replica-lease',
    options.lease ?? '3s',
    '--shutdown-grace',
    '5s',
  ];
  const env = { ...options.env, REPLICA: name };
  if (options.faketime === undefined) return startDaemon(args, env, options.cli);
  return startUnderFaketime(options.faketime, args, { ...env, FAKETIME_DONT_FAKE_MONOTONIC: '1' });
}

/**
 * The daemon with libfaketime preloaded, as `faketime -f OFFSET` sets it up, but without faketime's
 * wrapper process (which does not pass SIGTERM on): Node's timers keep the real monotonic clock.
 */
function startUnderFaketime(offset: string, args: string[], env: NodeJS.ProcessEnv): RunningDaemon {
  return startDaemon(args, {
    ...env,
    LD_PRELOAD: FAKETIME_LIBRARY,
    FAKETIME: offset,
  });
}

/** Resolves once the replica heartbeats in the store. */
export async function waitForReplica(daemon: RunningDaemon, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    'the replica to start',
    () =>
      daemon.output().includes('"cronops started"') &&
      daemon.output().includes('"replica heartbeat"'),
    timeoutMs,
  );
}

/** The replica's HTTP endpoint (it listens on a free port), once it serves. */
export async function waitForEndpoint(daemon: RunningDaemon, timeoutMs = 30_000): Promise<string> {
  return waitFor(
    'the endpoint to listen',
    () => {
      const line = daemon
        .output()
        .split('\n')
        .find((l) => l.includes('"status endpoint listening"'));
      return line ? (JSON.parse(line) as { url: string }).url : undefined;
    },
    timeoutMs,
  );
}
