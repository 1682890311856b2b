// Notifications do not flood: the real daemon, an every-second failing job and a webhook receiver on loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  makeDirs,
  manifest,
  readRuns,
  startDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
} from './daemon-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Delivery {
  path: string;
  event: string;
  runId: string;
}

/** A webhook receiver on a free loopback port, keeping the path, event and run of every delivery. */
async function startReceiver(): Promise<{ url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (c: Buffer) => (text += c.toString()));
    request.on('end', () => {
      const body = JSON.parse(text) as { event: string; run: { id: string } };
      deliveries.push({ path: request.url ?? '', event: body.event, runId: body.run.id });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deliveries };
}

async function stop(daemon: RunningDaemon): Promise<void> {
  if (daemon.proc.exitCode === null && daemon.proc.signalCode === null) daemon.proc.kill('SIGTERM');
  await daemon.exited;
}

describe('e2e/notify', () => {
  it('a failing every-second job notifies once, not per run; a restart does not re-alert; recovery once; repeatInterval re-sends', async () => {
    const { root, dir, state } = await makeDirs('cronops-notify-e2e-');
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const hook = await startReceiver();
    const healthy = join(root, 'healthy');
    await writeManifest(
      dir,
      'flaky.yaml',
      manifest('flaky', {
        schedule: '*/1 * * * * *',
        task: { shell: `test -f ${healthy}` },
        notify: [
          { on: ['failure', 'recovery'], webhook: { url: `${hook.url}/change` } },
          { on: ['failure'], repeatInterval: '4s', webhook: { url: `${hook.url}/repeat` } },
          { on: ['failure'], mode: 'every', webhook: { url: `${hook.url}/every` } },
        ],
      }),
    );
    const args = ['--dir', dir, '--state-dir', state, '--listen', '127.0.0.1:0'];
    const failed = async (): Promise<number> =>
      (await readRuns(state, 'flaky')).filter((r) => r.status === 'failed').length;
    const at = (path: string): Delivery[] => hook.deliveries.filter((d) => d.path === path);

    let daemon = startDaemon(args);
    cleanups.push(() => stop(daemon));
    await waitFor('9 failed runs', async () => (await failed()) >= 9, 30_000);
    // mode every: one per failed run (today's behaviour, asked for explicitly).
    await waitFor('a delivery per failed run', () => at('/every').length >= 9, 10_000);
    expect(at('/change').map((d) => d.event)).toEqual(['failure']);
    // repeatInterval 4s over ≥ 8 s of failing: sent at the first failure and again at least once.
    const repeats = at('/repeat').length;
    expect(repeats).toBeGreaterThanOrEqual(2);
    expect(repeats).toBeLessThan(at('/every').length);

    // A restart reads the last final outcome from the history: still failing, no new alert.
    await stop(daemon);
    const before = await failed();
    daemon = startDaemon(args);
    await waitFor('3 more failed runs', async () => (await failed()) >= before + 3, 30_000);
    expect(at('/change').map((d) => d.event)).toEqual(['failure']);

    // Recovery: one notification, not one per succeeded run.
    await writeFile(healthy, '');
    await waitFor(
      '3 succeeded runs',
      async () =>
        (await readRuns(state, 'flaky')).filter((r) => r.status === 'succeeded').length >= 3,
      30_000,
    );
    await waitFor('the recovery', () => at('/change').length >= 2, 10_000);
    expect(at('/change').map((d) => d.event)).toEqual(['failure', 'recovery']);
    const recovered = (await readRuns(state, 'flaky')).find((r) => r.status === 'succeeded');
    expect(at('/change')[1]!.runId).toBe(recovered!.id);
    const repeatsAtRecovery = at('/repeat').length;
    const everyAtRecovery = at('/every').length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(at('/repeat').length).toBe(repeatsAtRecovery); // no repeat once it succeeds
    expect(at('/every').length).toBe(everyAtRecovery);
    await stop(daemon);
  }, 120_000);
});
