// The image's HEALTHCHECK, run exactly as the Dockerfile writes it, against a real daemon on a port other than
// 8787: it follows CRONOPS_LISTEN. Also: the image bakes in no schedules, and an empty directory is logged.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  makeDirs,
  startDaemon,
  stopDaemon,
  waitFor,
  type RunningDaemon,
} from '../e2e/daemon-harness.js';

const run = promisify(execFile);
const DOCKERFILE = readFileSync('Dockerfile', 'utf8');
/** The image's WORKDIR, where dist/ is copied; the checkout plays that part here. */
const IMAGE_APP = '/app/';

/** The HEALTHCHECK's exec-form CMD, with the image's paths mapped onto the checkout. */
function readHealthcheckCommand(): string[] {
  const joined = DOCKERFILE.replace(/\\\n/g, ' ');
  const match = /^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$/m.exec(joined);
  if (match?.[1] === undefined) throw new Error('no exec-form HEALTHCHECK CMD in the Dockerfile');
  const argv = JSON.parse(match[1]) as string[];
  return argv.map((arg) =>
    arg.startsWith(IMAGE_APP) ? resolve(arg.slice(IMAGE_APP.length)) : arg,
  );
}

async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

async function runHealthcheck(
  listen: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command = '', ...args] = readHealthcheckCommand();
  const env: NodeJS.ProcessEnv = { ...process.env, CRONOPS_LISTEN: listen };
  delete env.CRONOPS_ALLOWED_HOSTS;
  try {
    const { stdout, stderr } = await run(command === 'node' ? process.execPath : command, args, {
      env,
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const started: RunningDaemon[] = [];
const roots: string[] = [];

afterEach(async () => {
  for (const d of started.splice(0)) {
    if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  }
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe('container/healthcheck', { timeout: 60_000 }, () => {
  it('the Dockerfile copies no schedules into the image and probes through cronops healthcheck', () => {
    expect(DOCKERFILE).not.toMatch(/^COPY\s+schedules\.d/m);
    expect(DOCKERFILE).toMatch(/mkdir -p \/etc\/cronops\/schedules\.d/);
    expect(readHealthcheckCommand().slice(-1)).toEqual(['healthcheck']);
  });

  it('follows CRONOPS_LISTEN to a daemon on a non-default port, and fails once it is gone', async () => {
    const { root, dir, state } = await makeDirs('cronops-healthcheck-');
    roots.push(root);
    const port = await findFreePort();
    expect(port).not.toBe(8787);
    const listen = `0.0.0.0:${port}`;
    // As in the image: the address comes from CRONOPS_LISTEN, the schedules directory is empty.
    const d = startDaemon(['--dir', dir, '--state-dir', state], { CRONOPS_LISTEN: listen });
    started.push(d);
    await waitFor('the daemon to start', () => d.output().includes('cronops started'), 30_000);
    expect(d.output()).toMatch(
      /"level":40[^\n]*"msg":"no schedules: [^"]* holds no valid manifest; add \*\.yaml files there/,
    );
    const healthy = await runHealthcheck(listen);
    expect(healthy).toEqual({
      code: 0,
      stdout: `healthy: http://127.0.0.1:${port}/healthz answered 200\n`,
      stderr: '',
    });
    await stopDaemon(d);
    const gone = await runHealthcheck(listen);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(
      new RegExp(`^cronops: healthcheck: http://127\\.0\\.0\\.1:${port}/healthz: .*ECONNREFUSED`),
    );
  });

  it("fails, never with Docker's reserved status 2, when the endpoint is off", async () => {
    const off = await runHealthcheck('off');
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/^cronops: healthcheck: the endpoint is off/);
    const bad = await runHealthcheck('nonsense');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^cronops: healthcheck: --listen: expected HOST:PORT/);
  });
});
