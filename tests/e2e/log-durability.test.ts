// The real daemon's log lines with stdout piped: none lost on SIGTERM mid-burst, no warning lost to kill -9.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifest, readRuns, waitFor, writeManifest, useDaemons } from './daemon-harness.js';

const { setup, daemon } = useDaemons('cronops-logs-');

interface LogLine {
  level: number;
  msg: string;
  schedule?: string;
  runId?: string;
}

/** The JSON lines of the daemon's output; a line cut short would fail to parse, and fails the test. */
function parseLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

const JOBS = 300;

describe('e2e/log-durability', { timeout: 180_000 }, () => {
  it('SIGTERM during a burst: every recorded run has its "run started" and "run succeeded" lines', async () => {
    const dirs = await setup();
    const { dir, state, root } = dirs;
    const starts = join(root, 'starts.log');
    const instant = new Date(Math.ceil((Date.now() + 15_000) / 1000) * 1000);
    const cron = `${instant.getUTCSeconds()} ${instant.getUTCMinutes()} ${instant.getUTCHours()} * * *`;
    const names = Array.from({ length: JOBS }, (_, i) => `logs-${String(i).padStart(3, '0')}`);
    await writeManifest(
      dir,
      'burst.yaml',
      ...names.map((name) =>
        manifest(name, {
          schedule: cron,
          timezone: 'UTC',
          task: { shell: `echo ${name} >> ${starts}` },
        }),
      ),
    );
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    await waitFor('the daemon to start', () => d.output().includes('cronops started'), 60_000);
    expect(Date.now()).toBeLessThan(instant.getTime() - 500);
    // Well into the burst: dozens of runs started, more being started.
    await waitFor(
      'the burst to be under way',
      async () => existsSync(starts) && (await readFile(starts, 'utf8')).split('\n').length > 40,
      30_000,
    );
    d.proc.kill('SIGTERM');
    const exit = await Promise.race([
      d.exited,
      new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), 60_000)),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
    // The pipe is read to its end after the exit.
    await waitFor('stdout to close', () => d.proc.stdout!.readableEnded, 10_000);

    const lines = parseLines(d.output());
    const said = new Set(lines.map((line) => `${line.runId ?? ''} ${line.msg}`));
    let ran = 0;
    for (const name of names) {
      for (const run of await readRuns(state, name)) {
        if (run.attempts.length === 0) continue;
        ran += 1;
        expect(said.has(`${run.id} run started`), `${name} ${run.id} started`).toBe(true);
        expect(said.has(`${run.id} run ${run.status}`), `${name} ${run.id} ${run.status}`).toBe(
          true,
        );
      }
    }
    console.log(`log-durability: ${ran}/${JOBS} runs, ${lines.length} lines`);
    expect(ran).toBeGreaterThan(0);
    expect(lines.at(-1)?.msg).toBe('cronops stopped');
  });

  it('kill -9 right after a warning: the warning is in the output', async () => {
    const dirs = await setup();
    const { dir, state } = dirs;
    // Info lines in flight around the warning: a few schedules firing every second.
    const noise = Array.from({ length: 20 }, (_, i) =>
      manifest(`noise-${i}`, { schedule: '* * * * * *', task: { shell: 'true' } }),
    );
    await writeManifest(
      dir,
      'jobs.yaml',
      ...noise,
      manifest('flaky', {
        schedule: '* * * * * *',
        retries: { limit: 1, backoff: 'fixed', delay: '1m' },
        task: { shell: 'exit 3' },
      }),
    );
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    // The history records the failed attempt after the warning is logged: once it is there, so is the line.
    const failed = await waitFor(
      'the first attempt of flaky to be recorded failed',
      async () =>
        (await readRuns(state, 'flaky')).find(
          (run) => run.status === 'failed' && run.attempts[0]?.exitCode === 3,
        ),
      60_000,
    );
    d.proc.kill('SIGKILL');
    await d.exited;
    await waitFor('stdout to close', () => d.proc.stdout!.readableEnded, 10_000);
    const warning = parseLines(d.output()).find(
      (line) => line.runId === failed.id && line.msg === 'attempt failed; retrying',
    );
    expect(warning?.level).toBe(40);
  });
});
