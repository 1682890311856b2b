// Process groups: identify a job's processes by pid + start time, terminate whole groups, reap orphans.
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { SchedulerError } from '../shared/errors.js';

/** How often a terminating group is checked for survivors. */
const POLL_MS = 25;
/** How long to wait for a group to disappear after SIGKILL (it cannot refuse; this only bounds the wait). */
const AFTER_KILL_MS = 2_000;

/** What /proc/<pid>/stat says about a process. */
interface ProcessStat {
  /** One letter: R, S, D, Z (zombie), T, … */
  state: string;
  /** The process group id. */
  pgid: number;
  /** Clock ticks since boot when the process started. */
  startTime: number;
}

/**
 * The process's start time (field 22 of /proc/<pid>/stat, clock ticks since boot), or undefined
 * when the process does not exist or /proc is unavailable. Together with the pid it identifies a
 * process for good: a pid can be reused, a pid with the same start time cannot.
 */
export function readProcessStartTime(pid: number): number | undefined {
  return readProcessStat(pid)?.startTime;
}

/**
 * Send a signal to every process in a group. Returns false when the group no longer exists
 * (ESRCH) or is not ours to signal (EPERM). Refuses pgids that would address more than one group
 * (0, 1, negative) and the daemon's own group.
 */
export function killProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  assertForeignGroup(pgid);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw new SchedulerError('INTERNAL', `cannot send ${signal} to process group ${pgid}`, {
      cause: error,
    });
  }
}

/**
 * SIGTERM the group, then SIGKILL it if any member (zombies aside) is still alive after `graceMs`.
 * Resolves once the group is empty, or shortly after the SIGKILL at the latest.
 */
export async function terminateProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!killProcessGroup(pgid, 'SIGTERM')) return;
  if (await waitForEmptyGroup(pgid, Math.max(0, graceMs))) return;
  if (!killProcessGroup(pgid, 'SIGKILL')) return;
  await waitForEmptyGroup(pgid, AFTER_KILL_MS);
}

/**
 * After a crash, terminate what runs left `running` still have alive:
 * - the recorded group, only when the recorded pid is alive AND has the recorded start time
 *   (a reused pid belongs to someone else and is never hit);
 * - every group holding a process whose environment carries `CRONOPS_RUN_ID=<runId>`, which
 *   covers a crash between spawn and persisting the pid, and a leader that died before its group.
 * Returns, per run, how many processes were in the groups it terminated.
 */
export async function reapOrphans(
  runs: { runId: string; pid?: number; processStartTime?: number }[],
  graceMs: number,
): Promise<{ runId: string; killed: number }[]> {
  const self = readProcessStat(process.pid);
  const excluded = new Set([process.pid, self?.pgid ?? process.pid]);
  const found = findProcessesByRunId(new Set(runs.map((run) => run.runId)));
  const claimed = new Set<number>();
  const plans = runs.map((run) => {
    const groups = new Set<number>();
    if (run.pid !== undefined && isSafeGroupId(run.pid) && run.processStartTime) {
      if (readProcessStat(run.pid)?.startTime === run.processStartTime) groups.add(run.pid);
    }
    for (const pid of found.get(run.runId) ?? []) {
      const pgid = readProcessStat(pid)?.pgid;
      if (pgid !== undefined && isSafeGroupId(pgid)) groups.add(pgid);
    }
    const owned = [...groups].filter((pgid) => !excluded.has(pgid) && !claimed.has(pgid));
    for (const pgid of owned) claimed.add(pgid);
    return { runId: run.runId, groups: owned };
  });
  return Promise.all(
    plans.map(async ({ runId, groups }) => {
      const counts = await Promise.all(
        groups.map(async (pgid) => {
          const members = listGroupMembers(pgid).length;
          await terminateProcessGroup(pgid, graceMs);
          return members;
        }),
      );
      return { runId, killed: counts.reduce((sum, n) => sum + n, 0) };
    }),
  );
}

function readProcessStat(pid: number): ProcessStat | undefined {
  const text = readProcFile(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgid = Number(fields[2]);
  const startTime = Number(fields[19]);
  if (state === undefined || !Number.isInteger(pgid) || !Number.isInteger(startTime))
    return undefined;
  return { state, pgid, startTime };
}

/** Reused for every /proc/<pid>/stat read: a stat line is a few hundred bytes. */
const STAT_BUFFER = Buffer.alloc(4096);

/**
 * A /proc file as latin1 text, or undefined when it cannot be read. /proc reports a size of 0, so
 * `readFileSync` reads it through a fresh 64 KiB buffer each time; one small buffer, reused, is enough
 * here (a line longer than it is read in full through a larger one).
 */
function readProcFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const length = readSync(fd, STAT_BUFFER, 0, STAT_BUFFER.length, 0);
    if (length < STAT_BUFFER.length) return STAT_BUFFER.toString('latin1', 0, length);
    return readFileSync(fd, 'latin1');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function listProcessIds(): number[] {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/** Living members of a group (zombies excluded: they are dead, merely not yet reaped by their parent). */
function listGroupMembers(pgid: number): number[] {
  return listProcessIds().filter((pid) => {
    const stat = readProcessStat(pid);
    return stat !== undefined && stat.pgid === pgid && stat.state !== 'Z';
  });
}

/** Whether any living process is in the group; without /proc, the kernel's answer (zombies count). */
function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  return listProcessIds().length === 0 || listGroupMembers(pgid).length > 0;
}

async function waitForEmptyGroup(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!isGroupAlive(pgid)) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
  }
}

/** Map each wanted run id to the pids whose environment carries CRONOPS_RUN_ID=<id>. */
function findProcessesByRunId(runIds: ReadonlySet<string>): Map<string, number[]> {
  const found = new Map<string, number[]>();
  if (runIds.size === 0) return found;
  for (const pid of listProcessIds()) {
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    for (const entry of environ.split('\0')) {
      if (!entry.startsWith('CRONOPS_RUN_ID=')) continue;
      const runId = entry.slice('CRONOPS_RUN_ID='.length);
      if (runIds.has(runId)) found.set(runId, [...(found.get(runId) ?? []), pid]);
    }
  }
  return found;
}

/**
 * The daemon's own process group, read from /proc once: it never changes (cronops calls neither setpgid
 * nor setsid), and every job's exit asks for it, which made one more /proc read per fire.
 */
let ownGroupId: number | undefined;
function readOwnGroupId(): number | undefined {
  ownGroupId ??= readProcessStat(process.pid)?.pgid;
  return ownGroupId;
}

function isSafeGroupId(pgid: number): boolean {
  return Number.isSafeInteger(pgid) && pgid > 1;
}

function assertForeignGroup(pgid: number): void {
  if (!isSafeGroupId(pgid)) {
    throw new SchedulerError(
      'INTERNAL',
      `refusing to signal process group ${pgid}: not a single job's group`,
    );
  }
  if (pgid === process.pid || pgid === readOwnGroupId()) {
    throw new SchedulerError(
      'INTERNAL',
      `refusing to signal process group ${pgid}: it is the daemon's own group`,
    );
  }
}
