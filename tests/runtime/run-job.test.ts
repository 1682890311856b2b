import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { runTask, warmUpProcessStart, type TaskInvocation } from '../../src/runtime/run-job.js';

const JOBS = fileURLToPath(new URL('../fixtures/jobs/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cronops-run-job-'));
const clock = new ManualClock('2026-03-08T02:30:00.000Z');
let files = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function nodeJob(script: string, ...args: string[]): TaskInvocation['task'] {
  return { kind: 'command', command: [process.execPath, join(JOBS, script), ...args] };
}

function invocation(
  task: TaskInvocation['task'],
  overrides: Partial<TaskInvocation> = {},
): TaskInvocation {
  return {
    task,
    env: {},
    timeoutMs: 15_000,
    killGraceMs: 1_000,
    maxOutputBytes: 64 * 1024,
    secrets: [],
    ...overrides,
  };
}

function tempFile(name: string): string {
  files += 1;
  return join(dir, `${files}-${name}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Polls until the pid is gone (ESRCH; an orphan's zombie is reaped by init within a few seconds). */
async function waitUntilGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !isAlive(pid);
}

async function waitForFile(path: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      if (text !== '') return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${path} did not appear within ${timeoutMs} ms`);
}

describe('runtime/run-job', () => {
  it('exit 0 succeeds, reports the pid and start time to onSpawn first', async () => {
    const spawned: { pid: number; processStartTime: number }[] = [];
    const result = await runTask(invocation(nodeJob('exit-0.js')), {
      clock,
      onSpawn: (info) => void spawned.push(info),
    });
    expect(result).toMatchObject({
      outcome: 'succeeded',
      exitCode: 0,
      signal: null,
      outputTail: 'all good\n',
    });
    expect(result.error).toBeUndefined();
    expect(result.startedAt).toEqual(new Date('2026-03-08T02:30:00.000Z'));
    expect(spawned).toEqual([{ pid: result.pid, processStartTime: result.processStartTime }]);
    expect(result.processStartTime).toBeGreaterThan(0);
  });

  it('the warm-up starts a real no-op shell process, which exits 0', async () => {
    const result = await warmUpProcessStart(clock);
    expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0, outputTail: '' });
    expect(result.pid).toBeGreaterThan(0);
    expect(await waitUntilGone(result.pid!)).toBe(true);
  });

  it('exit 3 fails with its exit code and stderr', async () => {
    const result = await runTask(invocation(nodeJob('exit-3.js')), { clock });
    expect(result).toMatchObject({
      outcome: 'failed',
      exitCode: 3,
      signal: null,
      outputTail: 'something broke\n',
      error: 'exited with code 3',
    });
  });

  it('death by a signal cronops did not send is a failure', async () => {
    const result = await runTask(invocation(nodeJob('kill-self.js', 'SIGTERM')), { clock });
    expect(result).toMatchObject({
      outcome: 'failed',
      exitCode: null,
      signal: 'SIGTERM',
      error: 'terminated by SIGTERM',
    });
  });

  it('runs a shell string with /bin/sh -c and feeds input to stdin', async () => {
    const result = await runTask(
      invocation({ kind: 'shell', shell: 'cat; echo " and more"; exit 4' }, { input: 'piped' }),
      {
        clock,
      },
    );
    expect(result).toMatchObject({
      outcome: 'failed',
      exitCode: 4,
      outputTail: 'piped and more\n',
    });
  });

  it("input to a job that does not read it: the closed pipe is the job's business", async () => {
    const result = await runTask(
      invocation({ kind: 'shell', shell: 'exec 0<&-; echo done' }, { input: 'x'.repeat(1 << 20) }),
      { clock },
    );
    expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0, outputTail: 'done\n' });
  });

  it('an argument Node refuses (a NUL byte) is a spawn error, nothing started', async () => {
    const result = await runTask(invocation({ kind: 'command', command: ['echo', 'a\0b'] }), {
      clock,
    });
    expect(result).toMatchObject({ outcome: 'spawn-error', exitCode: null, signal: null });
    expect(result.error).toMatch(/^cannot start echo: ERR_INVALID_ARG_VALUE/);
    expect(result.pid).toBeUndefined();
  });

  it('keeps only the last bytes of a big interleaved stdout+stderr output', async () => {
    // The two streams are read independently, so their order is kept only up to what each one's Unix
    // socket buffers (Node pipes a child's stdio through socket pairs: about 200 KiB each on Linux, where a
    // starved reader lets one stream run that far ahead): the tail is made large enough that the last lines
    // of both streams are in it.
    const lines = 400_000;
    const maxOutputBytes = 1024 * 1024;
    const result = await runTask(
      invocation(nodeJob('print-lots.js', String(lines)), { maxOutputBytes }),
      { clock },
    );
    expect(result.outcome).toBe('succeeded');
    expect(Buffer.byteLength(result.outputTail)).toBeLessThanOrEqual(maxOutputBytes);
    expect(Buffer.byteLength(result.outputTail)).toBeGreaterThan(maxOutputBytes - 20);
    expect(result.outputTail).toContain('LAST\n');
    expect(result.outputTail).toContain(`err ${String(lines - 1).padStart(8, '0')}\n`);
    expect(result.outputTail).toContain(`out ${String(lines - 2).padStart(8, '0')}\n`);
    expect(result.outputTail).not.toContain('00000000');
  });

  it('a timeout kills the whole group, grandchild included, and the attempt settles', async () => {
    const pidFile = tempFile('grandchild.pid');
    const started = performance.now();
    const result = await runTask(
      invocation(nodeJob('spawn-grandchild.js', pidFile, 'wait'), { timeoutMs: 1_500 }),
      {
        clock,
      },
    );
    expect(performance.now() - started).toBeLessThan(8_000);
    expect(result).toMatchObject({ outcome: 'timed-out', exitCode: null, signal: 'SIGTERM' });
    expect(result.error).toMatch(/^timed out after 1500 ms/);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(await waitUntilGone(grandchild)).toBe(true);
  });

  it('a job that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const ready = tempFile('ready');
    const controller = new AbortController();
    const pending = runTask(invocation(nodeJob('ignore-sigterm.js', ready), { killGraceMs: 600 }), {
      clock,
      signal: controller.signal,
    });
    await waitForFile(ready);
    const aborted = performance.now();
    controller.abort('shutdown');
    const result = await pending;
    expect(performance.now() - aborted).toBeGreaterThanOrEqual(550);
    expect(result).toMatchObject({ outcome: 'killed', exitCode: null, signal: 'SIGKILL' });
    expect(result.outputTail).toContain('ignoring SIGTERM');
  });

  it('a timeout on a job that ignores SIGTERM ends with SIGKILL', async () => {
    // The timeout leaves Node time to install its SIGTERM handler even on a loaded machine: a job
    // still starting when SIGTERM arrives dies of it, which is not what this test is about.
    const result = await runTask(
      invocation(nodeJob('ignore-sigterm.js'), { timeoutMs: 4_000, killGraceMs: 300 }),
      {
        clock,
      },
    );
    expect(result).toMatchObject({ outcome: 'timed-out', signal: 'SIGKILL' });
  });

  it('an abort terminates the group: killed, with the reason', async () => {
    const ready = tempFile('ready');
    const controller = new AbortController();
    const pending = runTask(invocation(nodeJob('sleep-forever.js', ready)), {
      clock,
      signal: controller.signal,
    });
    await waitForFile(ready);
    controller.abort('replaced by a newer run');
    const result = await pending;
    expect(result).toMatchObject({ outcome: 'killed', signal: 'SIGTERM' });
    expect(result.error).toMatch(/^cancelled: replaced by a newer run; process group terminated/);
  });

  it('an already aborted signal starts nothing', async () => {
    const result = await runTask(invocation(nodeJob('exit-0.js')), {
      clock,
      signal: AbortSignal.abort('shutdown'),
    });
    expect(result).toMatchObject({
      outcome: 'killed',
      exitCode: null,
      error: 'cancelled: shutdown',
    });
    expect(result.pid).toBeUndefined();
  });

  it.each([
    { title: 'that exits on SIGTERM', mode: '' },
    { title: 'that ignores SIGTERM', mode: 'ignore-sigterm' },
  ])('a background grandchild $title is terminated after a normal exit', async ({ mode }) => {
    const pidFile = tempFile('grandchild.pid');
    const started = performance.now();
    const result = await runTask(
      invocation(nodeJob('spawn-grandchild.js', pidFile, 'exit', mode), { killGraceMs: 500 }),
      {
        clock,
      },
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(result.outputTail).toBe(`grandchild ${grandchild}\n`);
    expect(await waitUntilGone(grandchild)).toBe(true);
  });

  it('a missing command is a spawn error', async () => {
    const result = await runTask(invocation({ kind: 'command', command: ['pg_dumpp', '-Fc'] }), {
      clock,
    });
    expect(result).toMatchObject({
      outcome: 'spawn-error',
      exitCode: null,
      signal: null,
      error: 'command not found: pg_dumpp',
    });
    expect(result.pid).toBeUndefined();
  });

  it('a file without execute permission is a spawn error', async () => {
    const script = tempFile('not-executable.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o644);
    const result = await runTask(invocation({ kind: 'command', command: [script] }), { clock });
    expect(result).toMatchObject({ outcome: 'spawn-error', error: `permission denied: ${script}` });
  });

  it('a missing working directory is a spawn error', async () => {
    const missing = join(dir, 'no-such-dir');
    const result = await runTask(invocation(nodeJob('exit-0.js'), { workingDir: missing }), {
      clock,
    });
    expect(result).toMatchObject({
      outcome: 'spawn-error',
      error: `working directory not found: ${missing}`,
    });
  });

  it('runs in the working directory', async () => {
    const workingDir = mkdtempSync(join(dir, 'wd-'));
    const result = await runTask(invocation({ kind: 'shell', shell: 'pwd' }, { workingDir }), {
      clock,
    });
    expect(result.outputTail).toBe(`${realpathSync(workingDir)}\n`);
  });

  it('passes the env over the daemon env', async () => {
    const env = {
      PGHOST: 'db',
      CRONOPS_RUN_ID: '01JNR7W3ZP4X9M2B8K6T5Q0V1C',
      CRONOPS_ATTEMPT: '2',
    };
    const result = await runTask(
      invocation(nodeJob('print-env.js', 'PGHOST', 'CRONOPS_RUN_ID', 'CRONOPS_ATTEMPT'), { env }),
      {
        clock,
      },
    );
    expect(result.outputTail).toBe(
      'PGHOST=db\nCRONOPS_RUN_ID=01JNR7W3ZP4X9M2B8K6T5Q0V1C\nCRONOPS_ATTEMPT=2\n',
    );
    const inherited = await runTask(invocation(nodeJob('print-env.js', 'PATH'), { env }), {
      clock,
    });
    expect(inherited.outputTail).toBe(`PATH=${process.env.PATH ?? ''}\n`);
    // A variable of the schedule's own wins over the daemon's of the same name.
    const overridden = await runTask(
      invocation(nodeJob('print-env.js', 'HOME'), { env: { HOME: '/srv/backup' } }),
      { clock },
    );
    expect(overridden.outputTail).toBe('HOME=/srv/backup\n');
  });

  it('redacts secrets from the output tail and the error text', async () => {
    const secret = 'pg-pa55-w0rd';
    const result = await runTask(
      invocation(
        { kind: 'shell', shell: 'echo "password is $PGPASSWORD"; echo "$PGPASSWORD" >&2' },
        {
          env: { PGPASSWORD: secret },
          secrets: [secret],
        },
      ),
      { clock },
    );
    expect(result.outputTail).toContain('password is [redacted]\n');
    expect(result.outputTail).not.toContain(secret);
    const spawnError = await runTask(
      invocation({ kind: 'command', command: [`/opt/${secret}/dump`] }, { secrets: [secret] }),
      {
        clock,
      },
    );
    expect(spawnError.error).toBe('command not found: /opt/[redacted]/dump');
  });

  it('streams raw output chunks to onOutput as they arrive', async () => {
    const seen: string[] = [];
    const result = await runTask(invocation(nodeJob('exit-3.js')), {
      clock,
      onOutput: (chunk, stream) => void seen.push(`${stream}: ${chunk.toString()}`),
    });
    expect(seen).toEqual(['stderr: something broke\n']);
    expect(result.outputTail).toBe('something broke\n');
  });

  it('calls onSpawn before runTask returns, and a throwing onSpawn is reported like a rejecting one', async () => {
    const spawned: number[] = [];
    const attempt = runTask(invocation(nodeJob('exit-0.js')), {
      clock,
      onSpawn: ({ pid }) => {
        spawned.push(pid);
        throw new Error('history write failed');
      },
    });
    expect(spawned).toHaveLength(1);
    const result = await attempt;
    expect(spawned).toEqual([result.pid]);
    expect(result).toMatchObject({
      outcome: 'succeeded',
      error: 'onSpawn failed: history write failed',
    });
  });

  it('a failing onSpawn does not stop the attempt and is reported', async () => {
    const result = await runTask(invocation(nodeJob('exit-0.js')), {
      clock,
      onSpawn: () => Promise.reject(new Error('history write failed')),
    });
    expect(result).toMatchObject({
      outcome: 'succeeded',
      error: 'onSpawn failed: history write failed',
    });
  });
});
