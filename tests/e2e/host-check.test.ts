// DNS rebinding: the real daemon refuses requests whose Host header names another site (421), and accepts its own names.
import { request } from 'node:http';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  makeDirs,
  manifest,
  startDaemon,
  stopDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
} from './daemon-harness.js';

interface Answer {
  status: number;
  body: unknown;
}

/** GET `path` from `url` with exactly this Host header (fetch would not let us set it). */
function getWithHost(url: string, path: string, host: string): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path, headers: { host } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const running: RunningDaemon[] = [];
const roots: string[] = [];

afterEach(async () => {
  for (const daemon of running.splice(0)) await stopDaemon(daemon);
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function start(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; port: string }> {
  const dirs = await makeDirs('cronops-host-');
  roots.push(dirs.root);
  await writeManifest(
    dirs.dir,
    'a.yaml',
    manifest('nightly', { schedule: '0 3 * * *', task: { shell: 'true' } }),
  );
  const daemon = startDaemon(['--dir', dirs.dir, '--state-dir', dirs.state, ...args], env);
  running.push(daemon);
  const url = await waitFor(
    'the status endpoint URL in the log',
    () => /"url":"(http:\/\/[^"]+)"/.exec(daemon.output())?.[1],
    20_000,
  );
  return { url, port: new URL(url).port };
}

describe('e2e/host-check', () => {
  it('on a loopback address: refuses Host: attacker.example with 421 and JSON, answers its own names', async () => {
    const { url, port } = await start(['--listen', '127.0.0.1:0']);
    for (const path of ['/status', '/api/v1/definitions', '/api/v1/runs', '/']) {
      const refused = await getWithHost(url, path, 'attacker.example');
      expect(refused.status).toBe(421);
      expect(refused.body).toMatchObject({ error: 'misdirected request' });
      expect(JSON.stringify(refused.body)).toContain('--allowed-hosts');
    }
    // The attacker's name with the daemon's port (a rebinding page on that port) is refused too.
    expect((await getWithHost(url, '/status', `attacker.example:${port}`)).status).toBe(421);
    expect((await getWithHost(url, '/status', `127.0.0.1:${port}`)).status).toBe(200);
    expect((await getWithHost(url, '/status', `localhost:${port}`)).status).toBe(200);
    expect((await getWithHost(url, '/healthz', `LOCALHOST:${port}`)).status).toBe(200);
    // The right name on another port is not this endpoint.
    expect((await getWithHost(url, '/status', 'localhost:1')).status).toBe(421);
  }, 60_000);

  it('accepts the names given with --allowed-hosts or CRONOPS_ALLOWED_HOSTS', async () => {
    const { url, port } = await start([
      '--listen',
      '127.0.0.1:0',
      '--allowed-hosts',
      'cron.example.com, ops.example.com:8443',
    ]);
    expect((await getWithHost(url, '/status', 'cron.example.com')).status).toBe(200);
    expect((await getWithHost(url, '/status', 'cron.example.com:443')).status).toBe(200);
    expect((await getWithHost(url, '/status', 'ops.example.com:8443')).status).toBe(200);
    expect((await getWithHost(url, '/status', 'ops.example.com:9')).status).toBe(421);
    expect((await getWithHost(url, '/status', `localhost:${port}`)).status).toBe(200);
    expect((await getWithHost(url, '/status', 'attacker.example')).status).toBe(421);

    const fromEnv = await start(['--listen', '127.0.0.1:0'], {
      CRONOPS_ALLOWED_HOSTS: 'cron.example.com',
    });
    expect((await getWithHost(fromEnv.url, '/status', 'cron.example.com')).status).toBe(200);
    expect((await getWithHost(fromEnv.url, '/status', 'attacker.example')).status).toBe(421);
  }, 60_000);

  it('on every interface (0.0.0.0): no check by default, the --allowed-hosts list when given', async () => {
    const open = await start(['--listen', '0.0.0.0:0']);
    // Kubernetes probes and Services reach the pod by its IP or a Service name.
    expect((await getWithHost(open.url, '/healthz', '10.1.2.3:8787')).status).toBe(200);
    expect((await getWithHost(open.url, '/status', 'attacker.example')).status).toBe(200);

    const listed = await start(['--listen', '0.0.0.0:0', '--allowed-hosts', 'cron.example.com']);
    expect((await getWithHost(listed.url, '/status', 'cron.example.com')).status).toBe(200);
    expect((await getWithHost(listed.url, '/status', `127.0.0.1:${listed.port}`)).status).toBe(200);
    expect((await getWithHost(listed.url, '/status', 'attacker.example')).status).toBe(421);
  }, 60_000);

  it('refuses a bad --allowed-hosts entry in one line', async () => {
    const dirs = await makeDirs('cronops-host-');
    roots.push(dirs.root);
    const daemon = startDaemon([
      '--dir',
      dirs.dir,
      '--state-dir',
      dirs.state,
      '--listen',
      '127.0.0.1:0',
      '--allowed-hosts',
      'http://x',
    ]);
    const { code } = await daemon.exited;
    expect(code).not.toBe(0);
    expect(daemon.output()).toContain('--allowed-hosts: expected host names');
  }, 30_000);
});
