// The real daemon, end to end: a built CLI, real manifests, real processes, real signals.
import { readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournalFile } from '../../src/history/journal.js';
import { parseShardContent } from '../../src/history/shard-file.js';
import {
  JOBS,
  isAlive,
  manifest,
  readRuns,
  readStatus,
  stopDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
  useDaemons,
} from './daemon-harness.js';

const node = process.execPath;
const { setup, daemon } = useDaemons();

describe('e2e/daemon', { timeout: 60_000 }, () => {
  it('runs every-second schedules and records status, exit code and output; SIGTERM exits 0', async () => {
    const { dir, state } = await setup();
    await writeManifest(
      dir,
      'jobs.yaml',
      manifest('ok', {
        schedule: '*/1 * * * * *',
        task: { command: [node, join(JOBS, 'exit-0.js')] },
      }),
      manifest('fails', {
        schedule: '*/1 * * * * *',
        task: { shell: 'echo "bad {{ name }}"; exit 3' },
      }),
    );
    const d = daemon([
      '--dir',
      dir,
      '--state-dir',
      state,
      '--listen',
      'off',
      '--log-level',
      'debug',
    ]);
    // One no-op process after start-up, so that the first fire finds the process-start code compiled.
    await waitFor('the warm-up process', () =>
      d.output().match(/"outcome":"succeeded"[^\n]*"msg":"process start warmed up"/),
    );
    const ok = await waitFor('a succeeded run', async () =>
      (await readRuns(state, 'ok')).find((r) => r.status === 'succeeded'),
    );
    expect(ok.trigger).toBe('schedule');
    expect(ok.attempts[0]?.exitCode).toBe(0);
    expect(new Date(ok.scheduledAt).getUTCMilliseconds()).toBe(0);
    const failed = await waitFor('a failed run', async () =>
      (await readRuns(state, 'fails')).find((r) => r.status === 'failed'),
    );
    expect(failed.attempts[0]?.exitCode).toBe(3);
    expect(failed.attempts[0]?.outputTail).toContain('bad fails');
    expect(failed.reason).toBe('exited with code 3');
    const status = await waitFor('status.json', () => readStatus(state));
    expect((status.schedules as { name: string }[]).map((s) => s.name)).toEqual(['fails', 'ok']);
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
  });

  it('Forbid records a skipped run while the previous one is still running', async () => {
    const { dir, state } = await setup();
    await writeManifest(
      dir,
      'slow.yaml',
      manifest('slow', { schedule: '*/1 * * * * *', task: { shell: 'sleep 2.5' } }),
    );
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    const skipped = await waitFor('a skipped run', async () =>
      (await readRuns(state, 'slow')).find((r) => r.status === 'skipped'),
    );
    expect(skipped.reason).toMatch(/still running \(concurrencyPolicy Forbid\)/);
    expect(skipped.attempts).toEqual([]);
    await stopDaemon(d);
  });

  it('a timeout kills the whole process group, grandchildren included', async () => {
    const { dir, state, root } = await setup();
    await writeManifest(
      dir,
      'tree.yaml',
      manifest('tree', {
        schedule: '*/1 * * * * *',
        timeout: '1s',
        killGracePeriod: '500ms',
        task: { command: [node, join(JOBS, 'spawn-grandchild.js'), join(root, '{{ runId }}.pid')] },
      }),
    );
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    const run = await waitFor('a timed-out run', async () =>
      (await readRuns(state, 'tree')).find((r) => r.status === 'timedOut'),
    );
    expect(run.reason).toBe('timed out after 1000 ms');
    expect(run.attempts[0]?.signal).toBe('SIGTERM');
    const grandchild = Number(await readFile(join(root, `${run.id}.pid`), 'utf8'));
    expect(grandchild).toBeGreaterThan(0);
    await waitFor('the grandchild to be gone', () => !isAlive(grandchild), 5_000);
    await stopDaemon(d);
  });

  it('kill -9 mid-run, then restart: the run is interrupted, its orphan reaped, no fire doubled', async () => {
    const { dir, state, root } = await setup();
    const pidFile = join(root, 'grandchild.pid');
    await writeManifest(
      dir,
      'long.yaml',
      manifest('long', {
        schedule: '*/1 * * * * *',
        task: { command: [node, join(JOBS, 'spawn-grandchild.js'), pidFile] },
      }),
    );
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    const running = await waitFor('a running run with a pid', async () =>
      (await readRuns(state, 'long')).find(
        (r) => r.status === 'running' && r.attempts[0]?.pid !== undefined,
      ),
    );
    const childPid = running.attempts[0]!.pid!;
    const grandchild = Number(await waitFor('the grandchild pid', () => readFile(pidFile, 'utf8')));
    d.proc.kill('SIGKILL');
    await d.exited;
    expect(isAlive(childPid)).toBe(true); // its own process group: it outlives the daemon
    const d2 = daemon([
      '--dir',
      dir,
      '--state-dir',
      state,
      '--listen',
      'off',
      '--shutdown-grace',
      '1s',
    ]);
    const interrupted = await waitFor('the run to be marked interrupted', async () =>
      (await readRuns(state, 'long')).find(
        (r) => r.id === running.id && r.status === 'interrupted',
      ),
    );
    expect(interrupted.reason).toMatch(/daemon stopped while the run was in progress/);
    await waitFor('the orphan to be gone', () => !isAlive(childPid) && !isAlive(grandchild), 8_000);
    // Let the restarted daemon fire a few more times, then check no instant ran twice.
    await waitFor(
      'more runs after the restart',
      async () => (await readRuns(state, 'long')).filter((r) => r.status !== 'missed').length >= 3,
    );
    await stopDaemon(d2);
    const runs = (await readRuns(state, 'long')).filter((r) => r.status !== 'missed');
    const instants = runs.map((r) => r.scheduledAt);
    expect(new Set(instants).size).toBe(instants.length);
  });

  it('SIGTERM lets a run finish within the grace, then terminates it and exits 0', async () => {
    const { dir, state, root } = await setup();
    const pidFile = join(root, 'grandchild.pid');
    await writeManifest(
      dir,
      'forever.yaml',
      manifest('forever', {
        schedule: '*/1 * * * * *',
        task: { command: [node, join(JOBS, 'spawn-grandchild.js'), pidFile] },
      }),
    );
    const d = daemon([
      '--dir',
      dir,
      '--state-dir',
      state,
      '--listen',
      'off',
      '--shutdown-grace',
      '500ms',
    ]);
    const running = await waitFor('a running run with a pid', async () =>
      (await readRuns(state, 'forever')).find(
        (r) => r.status === 'running' && r.attempts[0]?.pid !== undefined,
      ),
    );
    const grandchild = Number(await waitFor('the grandchild pid', () => readFile(pidFile, 'utf8')));
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    expect(isAlive(running.attempts[0]!.pid!)).toBe(false);
    expect(isAlive(grandchild)).toBe(false);
    const after = (await readRuns(state, 'forever')).find((r) => r.id === running.id);
    expect(after?.status).toBe('interrupted');
    expect(after?.reason).toMatch(/shut down/);
  });

  it('a corrupt history file is moved aside and the daemon starts anyway', async () => {
    const { dir, state } = await setup();
    await writeManifest(
      dir,
      'ok.yaml',
      manifest('ok', {
        schedule: '*/1 * * * * *',
        task: { command: [node, join(JOBS, 'exit-0.js')] },
      }),
    );
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(state, 'history'), { recursive: true });
    await writeFile(
      join(state, 'history', 'ok.json'),
      '{"version":1,"schedule":"ok","runs":[{"id":"01',
    );
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    await waitFor('a succeeded run', async () =>
      (await readRuns(state, 'ok')).find((r) => r.status === 'succeeded'),
    );
    const files = await readdir(join(state, 'history'));
    expect(files.some((f) => /^ok\.json\.corrupt-/.test(f))).toBe(true);
    const status = await waitFor('status with the corrupt file', async () => {
      const s = await readStatus(state);
      const corrupt = (s?.history as { corrupt?: unknown[] } | undefined)?.corrupt;
      return corrupt && corrupt.length > 0 ? s : undefined;
    });
    expect(JSON.stringify(status)).toContain('ok.json');
    await stopDaemon(d);
  });

  it('an unusable state directory does not stop the daemon: /readyz says why; fires with no durable intent do not start', async () => {
    const { dir, root } = await setup();
    // Works as root too: a state dir below a regular file can never be created.
    const blocker = join(root, 'not-a-dir');
    await writeFile(blocker, '');
    const state = join(blocker, 'state');
    await writeManifest(
      dir,
      'ok.yaml',
      manifest('ok', {
        schedule: '*/1 * * * * *',
        task: { command: [node, join(JOBS, 'exit-0.js')] },
      }),
    );
    const d = daemon([
      '--dir',
      dir,
      '--state-dir',
      state,
      '--listen',
      '127.0.0.1:0',
      '--log-level',
      'info',
    ]);
    const url = await waitFor('the listening url', () => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(d.output());
      return m?.[1];
    });
    const ready = await waitFor('readyz to answer 503', async () => {
      const res = await fetch(`${url}/readyz`);
      return res.status === 503 ? ((await res.json()) as { reasons: string[] }) : undefined;
    });
    expect(ready.reasons.join(' ')).toMatch(/history/i);
    // No fire journal can exist there: "never twice" wins, each fire is recorded missed (in memory), not run.
    const missed = await waitFor('a fire recorded missed in memory', async () => {
      const res = await fetch(`${url}/status`);
      const body = (await res.json()) as {
        schedules: { lastEvent: { status: string; reason?: string } | null }[];
      };
      const last = body.schedules[0]?.lastEvent;
      return last?.status === 'missed' ? last : undefined;
    });
    expect(missed.reason).toMatch(
      /could not be made durable before its start .*cannot open the fire journal/,
    );
    const readyAfter = (await (await fetch(`${url}/readyz`)).json()) as { reasons: string[] };
    expect(readyAfter.reasons.join(' ')).toMatch(/fire journal: cannot open the fire journal/);
    expect(d.output()).not.toMatch(/"msg":"run started"/);
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
  });

  it('downtime is caught up: the newest missed fire runs, the rest is one missed record', async () => {
    const { dir, state } = await setup();
    await writeManifest(
      dir,
      'tick.yaml',
      manifest('tick', {
        schedule: '*/1 * * * * *',
        task: { command: [node, join(JOBS, 'exit-0.js')] },
      }),
    );
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    await waitFor('a first run', async () =>
      (await readRuns(state, 'tick')).find((r) => r.status === 'succeeded'),
    );
    await stopDaemon(d);
    await new Promise((r) => setTimeout(r, 3_000));
    const d2 = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    const missed = await waitFor('a missed record', async () =>
      (await readRuns(state, 'tick')).find((r) => r.status === 'missed'),
    );
    expect(missed.missed!.count).toBeGreaterThanOrEqual(2);
    const catchup = await waitFor('the catch-up run', async () =>
      (await readRuns(state, 'tick')).find((r) => r.trigger === 'catchup'),
    );
    // The catch-up run is the fire right after the missed gap.
    expect(Date.parse(catchup.scheduledAt) - Date.parse(missed.missed!.last)).toBe(1000);
    await stopDaemon(d2);
    const runs = (await readRuns(state, 'tick')).filter((r) => r.status !== 'missed');
    expect(new Set(runs.map((r) => r.scheduledAt)).size).toBe(runs.length);
  });

  it('a restart takes unchanged files from the parse cache and parses only what changed while down', async () => {
    const { dir, state } = await setup();
    const yearly = (name: string, extra: Record<string, unknown> = {}) =>
      manifest(name, { schedule: '0 0 1 1 *', task: { shell: `echo ${name}` }, ...extra });
    await writeManifest(dir, 'a.yaml', yearly('alpha'), yearly('beta'));
    await writeManifest(dir, 'b.yaml', yearly('gamma'));
    const args = ['--dir', dir, '--state-dir', state, '--listen', 'off', '--watch', 'off'];
    const reconciled = (d: RunningDaemon) =>
      waitFor(
        'the reconciled line',
        () =>
          d
            .output()
            .split('\n')
            .filter((line) => line.includes('"msg":"reconciled"'))
            .map((line) => JSON.parse(line) as Record<string, unknown>)[0],
      );
    const specHashes = async () => {
      const status = await waitFor('status.json', () => readStatus(state));
      return Object.fromEntries(
        (status.schedules as { name: string; specHash: string }[]).map((s) => [s.name, s.specHash]),
      );
    };

    const first = daemon(args);
    expect(await reconciled(first)).toMatchObject({ parsed: 2, cached: 0 });
    const before = await specHashes();
    expect(await stopDaemon(first)).toEqual({ code: 0, signal: null });
    expect(await readFile(join(state, 'manifest-cache.jsonl'), 'utf8')).toContain('"name":"gamma"');

    await writeManifest(dir, 'b.yaml', yearly('gamma', { jitter: '5s' }));
    await rm(join(state, 'status.json'));
    const second = daemon(args);
    expect(await reconciled(second)).toMatchObject({ parsed: 1, cached: 1, created: 3 });
    const after = await specHashes();
    expect(after.alpha).toBe(before.alpha);
    expect(after.beta).toBe(before.beta);
    expect(after.gamma).not.toBe(before.gamma);
    expect(await stopDaemon(second)).toEqual({ code: 0, signal: null });
  });

  it('a fire in the journal but not in the history (a crash at its instant) is recorded, never re-run', async () => {
    const { dir, state } = await setup();
    await writeManifest(
      dir,
      'daily.yaml',
      manifest('daily', {
        schedule: '0 3 * * *',
        task: { command: [node, join(JOBS, 'exit-0.js')] },
      }),
    );
    const { mkdir } = await import('node:fs/promises');
    await mkdir(state, { recursive: true });
    const at = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 3 * 3_600_000);
    if (at.getTime() > Date.now()) at.setTime(at.getTime() - 86_400_000);
    const intent = {
      runId: '01JOURNALONLY0000000000000',
      schedule: 'daily',
      scheduledAt: at.toISOString(),
      trigger: 'schedule',
      specHash: 'x',
    };
    await writeFile(join(state, 'fires.journal'), `${JSON.stringify(intent)}\n`);
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    const run = await waitFor('the recovered run', async () =>
      (await readRuns(state, 'daily')).find(
        (r) => r.id === intent.runId && r.status === 'interrupted',
      ),
    );
    expect(run.reason).toMatch(/it may have run, its outcome is unknown/);
    await stopDaemon(d);
    const file = join(state, 'history', 'daily.json');
    const shard = parseShardContent(await readFile(file), file);
    expect(shard.lastScheduledAt).toBe(at.toISOString());
    // Nothing ran again for that instant.
    expect(shard.runs).toHaveLength(1);
    // The older JSON-lines journal was carried into the new one, which keeps only the newest fire per
    // schedule, settled: a watermark, not a run to recover.
    const journal = await readJournalFile(join(state, 'fires.journal'));
    expect(journal).toEqual([expect.objectContaining({ runId: intent.runId, settled: true })]);
  });

  it('a secret never reaches the logs or the history, even when the job prints it', async () => {
    const { dir, state } = await setup();
    const secret = 'hunter2-very-secret-value';
    await writeManifest(
      dir,
      'leaky.yaml',
      manifest('leaky', {
        schedule: '*/1 * * * * *',
        task: {
          shell: 'echo "token is $TOKEN"; exit 1',
          env: { TOKEN: { fromEnv: 'LEAKY_TOKEN' } },
        },
      }),
    );
    const d = daemon(
      ['--dir', dir, '--state-dir', state, '--listen', 'off', '--log-level', 'debug'],
      {
        LEAKY_TOKEN: secret,
      },
    );
    const run = await waitFor('a failed run', async () =>
      (await readRuns(state, 'leaky')).find((r) => r.status === 'failed'),
    );
    expect(run.attempts[0]?.outputTail).toContain('token is [redacted]');
    await stopDaemon(d);
    expect(d.output()).not.toContain(secret);
    expect(d.output()).toContain('"runId"');
    const files = await readdir(join(state, 'history'));
    for (const file of files)
      expect(await readFile(join(state, 'history', file), 'utf8')).not.toContain(secret);
    expect(await readFile(join(state, 'status.json'), 'utf8')).not.toContain(secret);
  });
});
