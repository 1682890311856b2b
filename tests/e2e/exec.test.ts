// `cronops exec` end to end: the built CLI, real processes, signals, files and a webhook on loopback.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLI,
  makeDirs,
  manifest,
  readRuns,
  readStatus,
  startDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
} from './daemon-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI; `onStart` gets the child (to signal it). */
function cronops(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  onStart?: (child: ReturnType<typeof spawn>, stderr: () => string) => void,
): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  onStart?.(child, () => stderr);
  return new Promise((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
}

async function dirs(): Promise<{ root: string; dir: string; state: string }> {
  const made = await makeDirs('cronops-exec-e2e-');
  cleanups.push(() => rm(made.root, { recursive: true, force: true }));
  return made;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A webhook receiver on a free loopback port, keeping every body it got. */
async function startReceiver(): Promise<{ url: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (c: Buffer) => (text += c.toString()));
    request.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

const daily = '0 3 * * *';

describe('e2e/exec', () => {
  it('never prints or records a fromEnv/fromFile secret, even split across output chunks', async () => {
    const { root, dir, state } = await dirs();
    const envSecret = `env-${randomBytes(10).toString('hex')}`;
    const fileSecret = `file-${randomBytes(10).toString('hex')}`;
    await writeFile(join(root, 'secret.txt'), `${fileSecret}\n`);
    // The env secret is written in two halves 200 ms apart: two chunks of the live stream.
    const shell = [
      'echo "env=$ENV_SECRET file=$FILE_SECRET"',
      'printf "%s" "$ENV_SECRET" | cut -c1-7 | tr -d "\\n"',
      'sleep 0.2',
      'printf "%s\\n" "$ENV_SECRET" | cut -c8-',
      'echo "stderr $FILE_SECRET" >&2',
      'exit 5',
    ].join('; ');
    await writeManifest(
      dir,
      'leaky.yaml',
      manifest('leaky', {
        schedule: daily,
        task: {
          shell,
          env: {
            ENV_SECRET: { fromEnv: 'EXEC_TEST_SECRET' },
            FILE_SECRET: { fromFile: join(root, 'secret.txt') },
          },
        },
      }),
    );
    const result = await cronops(
      ['exec', 'leaky', '--dir', dir, '--record', '--state-dir', state],
      {
        EXEC_TEST_SECRET: envSecret,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('env=[redacted] file=[redacted]\n[redacted]\n');
    expect(result.stderr).toContain('stderr [redacted]');
    const history = await cronops(['history', 'leaky', '--json', '--state-dir', state]);
    const files = await Promise.all(
      (await readdir(join(state, 'history'))).map((f) =>
        readFile(join(state, 'history', f), 'utf8'),
      ),
    );
    for (const text of [result.stdout, result.stderr, history.stdout, ...files]) {
      expect(text).not.toContain(envSecret);
      expect(text).not.toContain(envSecret.slice(0, 7)); // not even the first chunk
      expect(text).not.toContain(fileSecret);
    }
    expect(history.stdout).toContain('[redacted]');
  }, 60_000);

  it("retries with the schedule's backoff, then exits 1 with the run's outcome", async () => {
    const { root, dir } = await dirs();
    const log = join(root, 'attempts.log');
    await writeManifest(
      dir,
      'flaky.yaml',
      manifest('flaky', {
        schedule: daily,
        retries: { limit: 2, backoff: 'linear', delay: '1s' },
        task: { shell: `node -e 'console.log(Date.now())' >> ${log}; exit 3` },
      }),
    );
    const result = await cronops(['exec', 'flaky', '--dir', dir]);
    expect(result.status).toBe(1);
    const times = (await readFile(log, 'utf8')).trim().split('\n').map(Number);
    expect(times).toHaveLength(3);
    // linear backoff: 1 s before the first retry, 2 s before the second.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(2000);
    expect(result.stderr).toContain('retrying in 1.0s');
    expect(result.stderr).toContain('retrying in 2.0s');
    expect(result.stderr).toMatch(
      /cronops: failed in [\d.]+s after 3 attempts: exited with code 3/,
    );
  }, 60_000);

  it('a timeout terminates the whole process group and exits 124', async () => {
    const { root, dir } = await dirs();
    const pidFile = join(root, 'grandchild.pid');
    await writeManifest(
      dir,
      'slow.yaml',
      manifest('slow', {
        schedule: daily,
        timeout: '1s',
        killGracePeriod: '1s',
        task: { shell: `sleep 60 & echo $! > ${pidFile}; trap "" TERM; wait` },
      }),
    );
    const result = await cronops(['exec', 'slow', '--dir', dir]);
    expect(result.status).toBe(124);
    expect(result.stderr).toMatch(/cronops: timedOut in [\d.]+s: timed out after 1000 ms/);
    const pid = Number(await readFile(pidFile, 'utf8'));
    await waitFor('the grandchild to be gone', () => !isAlive(pid), 5_000);
  }, 60_000);

  it('SIGINT and SIGTERM stop the run and its group and exit 130 and 143', async () => {
    const { root, dir } = await dirs();
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const pidFile = join(root, `${signal}.pid`);
      await writeManifest(
        dir,
        'long.yaml',
        manifest('long', {
          schedule: daily,
          task: { shell: `sleep 60 & echo $! > ${pidFile}; echo started; wait` },
        }),
      );
      const result = await cronops(['exec', 'long', '--dir', dir], {}, (child) => {
        void waitFor(
          'the job to start',
          () => readFile(pidFile, 'utf8').catch(() => false),
          15_000,
        ).then(() => child.kill(signal));
      });
      expect(result.status).toBe(code);
      expect(result.stderr).toContain(`interrupted in`);
      expect(result.stderr).toContain(`stopped by ${signal}`);
      const pid = Number(await readFile(pidFile, 'utf8'));
      await waitFor('the job to be gone', () => !isAlive(pid), 5_000);
    }
  }, 90_000);

  it('exit statuses: 0 succeeded, 125 when nothing ran, 2 for a usage error', async () => {
    const { dir } = await dirs();
    await writeManifest(
      dir,
      'ok.yaml',
      manifest('ok', { schedule: daily, task: { command: ['echo', '{{ name }} {{ trigger }}'] } }),
    );
    const ok = await cronops(['exec', 'ok', '--dir', dir]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe('ok manual\n');
    expect(ok.stderr).toMatch(/cronops: succeeded in [\d.]+s\n$/);
    const missing = await cronops(['exec', 'nope', '--dir', dir]);
    expect(missing.status).toBe(125);
    expect(missing.stderr).toBe(`cronops: no schedule named "nope" in ${dir}\n`);
    const usage = await cronops(['exec', 'ok', '--dir', dir, '--bogus']);
    expect(usage.status).toBe(2);
  }, 60_000);

  it('--record writes a run that `cronops history` shows; without it nothing is written', async () => {
    const { dir, state } = await dirs();
    await writeManifest(
      dir,
      'rec.yaml',
      manifest('rec', { schedule: daily, task: { shell: 'echo recorded-output' } }),
    );
    const plain = await cronops(['exec', 'rec', '--dir', dir, '--state-dir', state]);
    expect(plain.status).toBe(0);
    expect(await readRuns(state, 'rec')).toEqual([]);
    const recorded = await cronops(['exec', 'rec', '--dir', dir, '--record', '--state-dir', state]);
    expect(recorded.status).toBe(0);
    const runId = /recorded as run (\w+)/.exec(recorded.stderr)?.[1];
    const runs = await readRuns(state, 'rec');
    expect(runs.map((r) => [r.id, r.status, r.trigger])).toEqual([[runId, 'succeeded', 'manual']]);
    expect(runs[0]!.attempts[0]!.outputTail).toBe('recorded-output\n');
    const table = await cronops(['history', 'rec', '--state-dir', state]);
    expect(table.status).toBe(0);
    expect(table.stdout).toContain(runId!);
    expect(table.stdout).toContain('succeeded');
  }, 60_000);

  it('--record is refused while a daemon uses the state directory', async () => {
    const { dir, state } = await dirs();
    await writeManifest(
      dir,
      'rec.yaml',
      manifest('rec', { schedule: daily, task: { shell: 'true' } }),
    );
    const daemon: RunningDaemon = startDaemon([
      '--dir',
      dir,
      '--state-dir',
      state,
      '--listen',
      '127.0.0.1:0',
    ]);
    cleanups.push(async () => {
      daemon.proc.kill('SIGTERM');
      await daemon.exited;
    });
    await waitFor('status.json', () => readStatus(state), 15_000);
    const result = await cronops(['exec', 'rec', '--dir', dir, '--record', '--state-dir', state]);
    expect(result.status).toBe(125);
    expect(result.stderr).toContain(
      `a daemon (pid ${daemon.proc.pid}) is using the state directory`,
    );
    expect(await readRuns(state, 'rec')).toEqual([]);
  }, 60_000);

  it("--notify sends the schedule's notifications to a webhook on loopback; without it none", async () => {
    const { dir } = await dirs();
    const hook = await startReceiver();
    await writeManifest(
      dir,
      'alerting.yaml',
      manifest('alerting', {
        schedule: daily,
        task: { shell: 'exit 7' },
        notify: [{ on: ['failure'], webhook: { url: hook.url } }],
      }),
    );
    const quiet = await cronops(['exec', 'alerting', '--dir', dir]);
    expect(quiet.status).toBe(1);
    expect(hook.bodies).toEqual([]);
    const loud = await cronops(['exec', 'alerting', '--dir', dir, '--notify']);
    expect(loud.status).toBe(1);
    expect(loud.stderr).toContain('failure notification sent');
    expect(hook.bodies).toHaveLength(1);
    expect(hook.bodies[0]).toMatchObject({
      event: 'failure',
      schedule: 'alerting',
      run: { status: 'failed', trigger: 'manual', reason: 'exited with code 7' },
    });
  }, 60_000);

  it('--notify with --record follows mode change against that history: one failure, then the recovery', async () => {
    const { root, dir, state } = await dirs();
    const hook = await startReceiver();
    const healthy = join(root, 'healthy');
    await writeManifest(
      dir,
      'alerting.yaml',
      manifest('alerting', {
        schedule: daily,
        task: { shell: `test -f ${healthy}` },
        notify: [{ on: ['failure', 'recovery'], webhook: { url: hook.url } }],
      }),
    );
    const args = ['exec', 'alerting', '--dir', dir, '--record', '--notify', '--state-dir', state];
    expect((await cronops(args)).status).toBe(1);
    const second = await cronops(args);
    expect(second.status).toBe(1);
    expect(second.stderr).not.toContain('notification sent');
    await writeFile(healthy, '');
    expect((await cronops(args)).status).toBe(0);
    expect(hook.bodies.map((b) => b['event'])).toEqual(['failure', 'recovery']);
  }, 90_000);
});
