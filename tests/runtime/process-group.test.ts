import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SchedulerError } from '../../src/shared/errors.js';
import {
  killProcessGroup,
  readProcessStartTime,
  reapOrphans,
  terminateProcessGroup,
} from '../../src/runtime/process-group.js';

const JOBS = fileURLToPath(new URL('../fixtures/jobs/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cronops-process-group-'));
const started: ChildProcess[] = [];
let files = 0;

afterEach(() => {
  // Whatever a failed test left behind.
  for (const child of started.splice(0)) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

async function waitUntilGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !isAlive(pid);
}

/** Start a fixture in its own process group, as a crashed daemon would have left it; resolves once it is ready. */
async function startDetached(
  script: string,
  env: Record<string, string> = {},
  ...args: string[]
): Promise<number> {
  return (await startDetachedWithOutput(script, env, ...args)).pid;
}

/** Like startDetached, also returning what the fixture wrote into its ready file. */
async function startDetachedWithOutput(
  script: string,
  env: Record<string, string> = {},
  ...args: string[]
): Promise<{ pid: number; ready: string }> {
  files += 1;
  const ready = join(dir, `${files}-ready`);
  const child = spawn(process.execPath, [join(JOBS, script), ready, ...args], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  started.push(child);
  const deadline = Date.now() + 10_000;
  while (!existsSync(ready) || readFileSync(ready, 'utf8') === '') {
    if (Date.now() > deadline) throw new Error(`${script} did not get ready`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (child.pid === undefined) throw new Error(`${script} did not start`);
  return { pid: child.pid, ready: readFileSync(ready, 'utf8') };
}

describe('runtime/process-group', () => {
  it("reads a start time from /proc: ours, a later child's (not earlier), none for a dead pid", async () => {
    const ours = readProcessStartTime(process.pid);
    expect(Number.isInteger(ours)).toBe(true);
    const ticksPerSecond = Number((await execa('getconf', ['CLK_TCK'])).stdout);
    const uptimeTicks = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * ticksPerSecond;
    expect(ours).toBeGreaterThan(0);
    expect(ours).toBeLessThanOrEqual(uptimeTicks);
    const child = execa(process.execPath, ['-e', '']);
    const childStart = readProcessStartTime(child.pid ?? 0);
    await child;
    expect(childStart).toBeGreaterThanOrEqual(ours ?? Infinity);
    expect(await waitUntilGone(child.pid ?? 0)).toBe(true);
    expect(readProcessStartTime(child.pid ?? 0)).toBeUndefined();
  });

  it.each([0, 1, -1, -42, 1.5, Number.NaN])('refuses to signal group %s', (pgid) => {
    expect(() => killProcessGroup(pgid, 'SIGTERM')).toThrow(SchedulerError);
  });

  it("refuses to signal the daemon's own group", () => {
    expect(() => killProcessGroup(process.pid, 'SIGTERM')).toThrow(/own group/);
  });

  it('reports a group that no longer exists', async () => {
    const pid = await startDetached('sleep-forever.js');
    await terminateProcessGroup(pid, 1_000);
    expect(await waitUntilGone(pid)).toBe(true);
    expect(killProcessGroup(pid, 'SIGTERM')).toBe(false);
  });

  it('terminates a group that ignores SIGTERM with SIGKILL after the grace', async () => {
    const pid = await startDetached('ignore-sigterm.js');
    const before = performance.now();
    await terminateProcessGroup(pid, 400);
    expect(performance.now() - before).toBeGreaterThanOrEqual(350);
    expect(await waitUntilGone(pid)).toBe(true);
  });

  it('reapOrphans kills a live orphan group recorded with the right start time', async () => {
    const pid = await startDetached('sleep-forever.js');
    const processStartTime = readProcessStartTime(pid);
    const result = await reapOrphans(
      [{ runId: 'run-recorded', pid, ...(processStartTime ? { processStartTime } : {}) }],
      1_000,
    );
    expect(result).toEqual([{ runId: 'run-recorded', killed: 1 }]);
    expect(await waitUntilGone(pid)).toBe(true);
  });

  it('reapOrphans leaves alone a live process whose start time differs (a reused pid)', async () => {
    const pid = await startDetached('sleep-forever.js');
    const processStartTime = (readProcessStartTime(pid) ?? 0) + 1;
    const result = await reapOrphans([{ runId: 'run-reused', pid, processStartTime }], 1_000);
    expect(result).toEqual([{ runId: 'run-reused', killed: 0 }]);
    expect(isAlive(pid)).toBe(true);
  });

  it('reapOrphans finds an unrecorded run by CRONOPS_RUN_ID, grandchild included', async () => {
    const runId = `01JNR7W3ZP4X9M2B8K6T5Q0V1C-${process.pid}`;
    // spawn-grandchild.js writes its grandchild's pid into the file startDetached waits for.
    const { pid, ready } = await startDetachedWithOutput(
      'spawn-grandchild.js',
      { CRONOPS_RUN_ID: runId },
      'wait',
    );
    const grandchild = Number(ready);
    const result = await reapOrphans([{ runId }, { runId: 'some-other-run' }], 1_000);
    expect(result).toEqual([
      { runId, killed: 2 },
      { runId: 'some-other-run', killed: 0 },
    ]);
    expect(await waitUntilGone(pid)).toBe(true);
    expect(await waitUntilGone(grandchild)).toBe(true);
  });
});
