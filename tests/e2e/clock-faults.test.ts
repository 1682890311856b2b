// The real daemon under libfaketime: a clock that was once ahead, a step back and a step forward while running.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  manifest,
  readRuns,
  readStatus,
  stopDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
  type StoredRun,
  useDaemons,
} from './daemon-harness.js';
import { faketimeEnv, setFakeClock } from './faketime.js';

const daemons = useDaemons('cronops-clock-');
const { daemon } = daemons;

async function setup() {
  const dirs = await daemons.setup();
  return { ...dirs, clockFile: join(dirs.root, 'faketime') };
}

/** Log lines of the daemon, parsed. */
function logLines(d: RunningDaemon): Record<string, unknown>[] {
  return d
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

type TimedRun = StoredRun & { startedAt?: string; finishedAt?: string };

describe('e2e/clock-faults', { timeout: 120_000 }, () => {
  it('a clock that was once a year ahead does not silence schedules: the restart fires at once, warns, and shows it', async () => {
    const { dir, state, clockFile } = await setup();
    await writeManifest(
      dir,
      'tick.yaml',
      manifest('tick', { schedule: '*/1 * * * * *', task: { shell: 'true' } }),
    );
    const args = ['--dir', dir, '--state-dir', state, '--listen', '127.0.0.1:0', '--watch', 'off'];
    await setFakeClock(clockFile, '+365d');
    const ahead = daemon(args, faketimeEnv(clockFile));
    const future = await waitFor(
      'runs under a clock a year ahead',
      async () => {
        const runs = (await readRuns(state, 'tick')).filter((r) => r.status === 'succeeded');
        return runs.length >= 2 ? runs : undefined;
      },
      30_000,
    );
    expect(Date.parse(future[0]!.scheduledAt)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    expect(await stopDaemon(ahead)).toEqual({ code: 0, signal: null });

    const startedAt = Date.now();
    const real = daemon(args);
    const present = await waitFor(
      'a fire on the real clock',
      async () =>
        (await readRuns(state, 'tick')).find(
          (r) => r.status === 'succeeded' && Date.parse(r.scheduledAt) < Date.now() + 86_400_000,
        ),
      30_000,
    );
    const firstFireMs = Date.parse(present.scheduledAt) - startedAt;
    console.log(
      `future watermark: first fire on the real clock ${firstFireMs} ms after the restart`,
    );
    expect(firstFireMs).toBeLessThan(15_000);
    const warning = logLines(real).find((l) => String(l['msg']).startsWith('clock anomaly'));
    expect(warning).toMatchObject({ level: 40, cause: 'startup', schedules: ['tick'] });
    expect(warning?.['stepMs']).toBeGreaterThan(364 * 86_400_000);
    const status = await waitFor('the anomaly in status.json', async () => {
      const s = await readStatus(state);
      const clock = s?.['clock'] as {
        anomalies: number;
        lastAnomaly: { schedules: string[] } | null;
      };
      return clock?.anomalies === 1 ? clock : undefined;
    });
    expect(status.lastAnomaly?.schedules).toEqual(['tick']);
    const url = (
      logLines(real).find((l) => l['msg'] === 'status endpoint listening') as { url: string }
    ).url;
    const body = (await (await fetch(`${url}/status`)).json()) as { clock: { anomalies: number } };
    expect(body.clock.anomalies).toBe(1);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^cronops_clock_anomalies_total 1$/m);
    expect(await stopDaemon(real)).toEqual({ code: 0, signal: null });
  });

  it('a step back while running: wildcard schedules keep firing, a fixed-time one waits and says so', async () => {
    const { dir, state, clockFile } = await setup();
    await writeManifest(
      dir,
      'jobs.yaml',
      manifest('tick', { schedule: '*/1 * * * * *', task: { shell: 'true' } }),
      manifest('nightly', { schedule: '0 20 * * *', task: { shell: 'true' } }),
    );
    await setFakeClock(clockFile, '@2027-12-06 19:58:00');
    const d = daemon(
      ['--dir', dir, '--state-dir', state, '--listen', 'off', '--watch', 'off'],
      faketimeEnv(clockFile),
    );
    // Start-up takes seconds on a loaded machine: move the clock to just before 20:00 once it is done.
    await waitFor('start-up', () => d.output().includes('"msg":"cronops started"'), 30_000);
    await setFakeClock(clockFile, '@2027-12-06 19:59:57');
    await waitFor(
      'the 20:00 fire of nightly',
      async () => (await readRuns(state, 'nightly')).find((r) => r.status === 'succeeded'),
      30_000,
    );
    await setFakeClock(clockFile, '@2027-12-06 19:10:00');
    const warning = await waitFor(
      'the step back to be noticed',
      () => logLines(d).find((l) => l['cause'] === 'clock-step'),
      15_000,
    );
    expect(warning['stepMs']).toBeGreaterThan(45 * 60_000);
    expect(warning['schedules']).toEqual(expect.arrayContaining(['nightly', 'tick']));
    expect(warning['waiting']).toEqual([
      { schedule: 'nightly', until: '2027-12-07T20:00:00.000Z' },
    ]);
    // The every-second schedule keeps its cadence on the new clock.
    await waitFor(
      'tick firing on the stepped-back clock',
      async () =>
        (await readRuns(state, 'tick')).find(
          (r) => r.status === 'succeeded' && r.scheduledAt.startsWith('2027-12-06T19:1'),
        ),
      15_000,
    );
    const nightly = await waitFor('nightly shown as clock-anomaly', async () => {
      const s = await readStatus(state);
      const entry = (
        s?.['schedules'] as
          { name: string; health: string; clockWaitUntil: string | null }[] | undefined
      )?.find((x) => x.name === 'nightly');
      return entry?.health === 'clock-anomaly' ? entry : undefined;
    });
    expect(nightly.clockWaitUntil).toBe('2027-12-07T20:00:00.000Z');
    expect((await readRuns(state, 'nightly')).filter((r) => r.status === 'succeeded')).toHaveLength(
      1,
    );
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
  });

  it('a 10-minute step forward with catchUp all + Allow: one catch-up process at a time, and another schedule keeps its times', async () => {
    const { dir, state, clockFile } = await setup();
    await writeManifest(
      dir,
      'jobs.yaml',
      manifest('burst', {
        schedule: '*/1 * * * * *',
        catchUp: 'all',
        concurrencyPolicy: 'Allow',
        task: { shell: 'sleep 0.3' },
      }),
      manifest('steady', { schedule: '*/1 * * * * *', task: { shell: 'true' } }),
    );
    await setFakeClock(clockFile, '+0');
    const d = daemon(
      ['--dir', dir, '--state-dir', state, '--listen', 'off', '--watch', 'off'],
      faketimeEnv(clockFile),
    );
    await waitFor(
      'steady firing',
      async () => (await readRuns(state, 'steady')).length >= 2,
      30_000,
    );
    await setFakeClock(clockFile, '+600');
    await waitFor(
      'several catch-up runs of burst',
      async () =>
        (await readRuns(state, 'burst')).filter(
          (r) => r.trigger === 'catchup' && r.status === 'succeeded',
        ).length >= 14,
      60_000,
    );
    // Catch-ups of a quick job can all be over within a few seconds: give the unrelated schedule time
    // to fire a few times after the step before stopping.
    const firstCatchUp = async (): Promise<number | undefined> => {
      const started = ((await readRuns(state, 'burst')) as TimedRun[])
        .filter((r) => r.trigger === 'catchup' && r.startedAt)
        .map((r) => Date.parse(r.startedAt!));
      return started.length > 0 ? Math.min(...started) : undefined;
    };
    const stepStart = (await firstCatchUp())!;
    await waitFor(
      'three fires of the unrelated schedule after the step',
      async () =>
        ((await readRuns(state, 'steady')) as TimedRun[]).filter(
          (r) =>
            r.trigger === 'schedule' &&
            r.startedAt &&
            Date.parse(r.scheduledAt) > stepStart + 1_000,
        ).length >= 3,
      30_000,
    );
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    const burst = (await readRuns(state, 'burst')) as TimedRun[];
    const catchUps = burst
      .filter((r) => r.trigger === 'catchup' && r.startedAt && r.finishedAt)
      .sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
    for (let i = 1; i < catchUps.length; i += 1) {
      // Never two catch-up processes of one schedule at once.
      expect(Date.parse(catchUps[i]!.startedAt!)).toBeGreaterThanOrEqual(
        Date.parse(catchUps[i - 1]!.finishedAt!),
      );
    }
    const missed = burst.find((r) => r.status === 'missed' && (r.missed?.count ?? 0) >= 400);
    expect(missed?.reason).toMatch(/catchUp all starts at most the newest 100 fires of a gap/);
    // The unrelated schedule fired every second after the step, on time.
    const stepAt = Date.parse(catchUps[0]!.startedAt!);
    const steady = ((await readRuns(state, 'steady')) as TimedRun[]).filter(
      (r) => r.trigger === 'schedule' && r.startedAt && Date.parse(r.scheduledAt) > stepAt + 1_000,
    );
    expect(steady.length).toBeGreaterThanOrEqual(3);
    const lateness = steady.map((r) => Date.parse(r.startedAt!) - Date.parse(r.scheduledAt));
    console.log(`step forward: steady lateness ms ${JSON.stringify(lateness)}`);
    expect(Math.max(...lateness)).toBeLessThan(1_000);
  });
});
