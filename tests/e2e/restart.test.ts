// The real daemon after kill -9 with jobs running, and SIGTERM at awkward moments.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isAlive,
  manifest,
  readRuns,
  stopDaemon,
  waitFor,
  writeManifest,
  useDaemons,
} from './daemon-harness.js';

const { setup, daemon } = useDaemons('cronops-restart-');
const leftovers: number[] = [];

afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('e2e/restart', { timeout: 120_000 }, () => {
  it('after kill -9 with jobs running, fires go on while the orphans are reaped; SIGTERM during reaping exits 0', async () => {
    const { dir, state } = await setup();
    await writeManifest(
      dir,
      'jobs.yaml',
      manifest('sleeper', {
        schedule: '*/1 * * * * *',
        killGracePeriod: '1s',
        task: { shell: 'sleep 30' },
      }),
      manifest('stubborn', {
        schedule: '*/1 * * * * *',
        killGracePeriod: '1s',
        // SIGTERM is ignored by the shell and, inherited, by its sleep: only SIGKILL ends the group.
        task: { shell: "trap '' TERM; sleep 30" },
      }),
      manifest('tick', { schedule: '*/1 * * * * *', task: { shell: 'true' } }),
    );
    const args = [
      '--dir',
      dir,
      '--state-dir',
      state,
      '--listen',
      'off',
      '--watch',
      'off',
      '--shutdown-grace',
      '1s',
    ];
    const first = daemon(args);
    const pids = await waitFor(
      'sleeper and stubborn running with their pids recorded',
      async () => {
        const found: number[] = [];
        for (const name of ['sleeper', 'stubborn']) {
          const run = (await readRuns(state, name)).find((r) => r.status === 'running');
          const pid = run?.attempts[0]?.pid;
          if (pid === undefined) return undefined;
          found.push(pid);
        }
        return found;
      },
      30_000,
    );
    leftovers.push(...pids);
    first.proc.kill('SIGKILL');
    await first.exited;
    const stubbornPid = pids[1]!;
    expect(isAlive(stubbornPid)).toBe(true);

    const restartedAt = Date.now();
    const second = daemon(args);
    const tick = await waitFor(
      'a tick fire after the restart',
      async () =>
        (await readRuns(state, 'tick')).find(
          (r) => r.status === 'succeeded' && Date.parse(r.scheduledAt) >= restartedAt,
        ),
      30_000,
    );
    const firstFireMs = Date.parse(tick.scheduledAt) - restartedAt;
    console.log(`after kill -9: first fire ${firstFireMs} ms after the restart`);
    // The stubborn orphan needs its 5 s grace and a SIGKILL: the first fire did not wait for that.
    const stubbornGoneMs = await waitFor(
      'the stubborn orphan to be reaped',
      () => (isAlive(stubbornPid) ? undefined : Date.now() - restartedAt),
      20_000,
    );
    console.log(`after kill -9: stubborn orphan gone ${stubbornGoneMs} ms after the restart`);
    expect(Date.parse(tick.scheduledAt)).toBeLessThan(restartedAt + stubbornGoneMs);
    // Fires begin as soon as start-up is done (node itself takes seconds to start on a loaded machine).
    const startedLine = second
      .output()
      .split('\n')
      .find((line) => line.includes('"msg":"cronops started"'));
    const startedAt = Date.parse((JSON.parse(startedLine!) as { time: string }).time);
    expect(Date.parse(tick.scheduledAt) - startedAt).toBeLessThan(2_500);
    const interrupted = await waitFor(
      'the interrupted record naming the terminated orphans',
      async () =>
        (await readRuns(state, 'stubborn')).find(
          (r) =>
            r.status === 'interrupted' && /leftover process\(es\) terminated/.test(r.reason ?? ''),
        ),
    );
    expect(interrupted.reason).toMatch(/the daemon stopped while the run was in progress/);
    expect(isAlive(pids[0]!)).toBe(false);
    const stopping = Date.now();
    expect(await stopDaemon(second, 30_000)).toEqual({ code: 0, signal: null });
    console.log(`after kill -9: SIGTERM to exit ${Date.now() - stopping} ms`);
  });

  it('after a clean restart from the parse cache, the first instant due runs once, and none twice', async () => {
    const { dir, state } = await setup();
    const docs = [manifest('tick', { schedule: '*/2 * * * * *', task: { shell: 'true' } })];
    // Schedules that do not fire while the test runs, read from the parse cache beside it.
    for (let i = 0; i < 200; i += 1)
      docs.push(manifest(`yearly-${i}`, { schedule: '0 3 1 1 *', task: { shell: 'true' } }));
    await writeManifest(dir, 'jobs.yaml', ...docs);
    const args = ['--dir', dir, '--state-dir', state, '--listen', 'off', '--watch', 'off'];
    const first = daemon(args);
    await waitFor(
      'a tick run before the restart',
      async () => (await readRuns(state, 'tick')).find((r) => r.status === 'succeeded'),
      30_000,
    );
    expect(await stopDaemon(first, 30_000)).toEqual({ code: 0, signal: null });

    const second = daemon(args);
    const startedLine = await waitFor(
      'the restart to start',
      () =>
        second
          .output()
          .split('\n')
          .find((line) => line.includes('"msg":"cronops started"')),
      30_000,
    );
    const startedAt = Date.parse((JSON.parse(startedLine) as { time: string }).time);
    // Every file came from the parse cache: the restart took the path this test is about.
    expect(second.output()).toMatch(/"msg":"reconciled"/);
    expect(second.output()).toContain('"parsed":0,"cached":1');
    // The first instant after `cronops started`, and the one after it, each ran.
    const firstDue = Math.floor(startedAt / 2000) * 2000 + 2000;
    await waitFor(
      'two tick runs due after the restart',
      async () =>
        (await readRuns(state, 'tick')).filter(
          (r) => r.trigger === 'schedule' && Date.parse(r.scheduledAt) >= firstDue,
        ).length >= 2 && true,
      30_000,
    );
    expect(await stopDaemon(second, 30_000)).toEqual({ code: 0, signal: null });
    const runs = await readRuns(state, 'tick');
    const instants = runs
      .filter((r) => r.trigger === 'schedule' || r.trigger === 'catchup')
      .map((r) => r.scheduledAt);
    expect(new Set(instants).size).toBe(instants.length);
    expect(instants).toContain(new Date(firstDue).toISOString());
  });

  it('SIGTERM during start-up stops it and exits 0 promptly', async () => {
    const { dir, state } = await setup();
    // Enough schedules that loading them takes a while.
    const docs: string[] = [];
    for (let i = 0; i < 1500; i += 1)
      docs.push(manifest(`job-${i}`, { schedule: '0 3 * * *', task: { shell: 'true' } }));
    await writeManifest(dir, 'many.yaml', ...docs);
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    // The state directory appears when start-up opens the history: the signal handlers are installed by then.
    await waitFor('start-up to begin', () => existsSync(state), 30_000);
    const signalledAt = Date.now();
    d.proc.kill('SIGTERM');
    const exit = await Promise.race([
      d.exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000)),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
    const out = d.output();
    console.log(`SIGTERM during start-up: exit ${Date.now() - signalledAt} ms after the signal`);
    expect(out).toContain('"msg":"cronops stopped"');
    const stoppedAt = out.indexOf('"msg":"shutting down"');
    expect(stoppedAt).toBeGreaterThan(-1);
    const startedLine = out.indexOf('"msg":"cronops started"');
    // Start-up gave up: either it never announced itself, or only before the signal arrived.
    expect(startedLine === -1 || startedLine < stoppedAt).toBe(true);
    console.log(
      `SIGTERM during start-up: start-up ${startedLine === -1 ? 'gave up' : 'had finished'}`,
    );
  });
});
