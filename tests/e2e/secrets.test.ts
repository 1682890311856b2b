// No secret value reaches any answer of the real daemon: a task env secret, a webhook header secret and the trigger token.
import { randomBytes } from 'node:crypto';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  makeDirs,
  startDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
} from './daemon-harness.js';

const started: RunningDaemon[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const d of started.splice(0)) {
    if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  }
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A webhook receiver on a free port, recording the Authorization header of each delivery. */
async function startHookReceiver(): Promise<{ url: string; authorizations: string[] }> {
  const authorizations: string[] = [];
  const server: Server = createServer((request, response) => {
    authorizations.push(String(request.headers.authorization));
    request.resume();
    request.on('end', () => response.end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, authorizations };
}

describe('e2e/secrets', () => {
  it('keeps task env secrets, webhook header secrets and the trigger token out of every answer', async () => {
    const dbPassword = `db-${randomBytes(12).toString('hex')}`;
    const hookToken = `hook-${randomBytes(12).toString('hex')}`;
    const triggerToken = `trigger-${randomBytes(12).toString('hex')}`;
    const secrets = [dbPassword, hookToken, triggerToken];
    const { root, dir, state } = await makeDirs();
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const hook = await startHookReceiver();
    await writeManifest(
      dir,
      'leaky.yaml',
      JSON.stringify({
        apiVersion: 'cronops/v1',
        kind: 'Schedule',
        metadata: { name: 'leaky', description: 'prints its secret', labels: { team: 'sec' } },
        spec: {
          schedule: '*/1 * * * * *',
          task: {
            shell:
              'echo "password=$DB_PASSWORD"; echo "$DB_PASSWORD" >&2; echo "hook=$HOOK_TOKEN trigger=$CRONOPS_TRIGGER_TOKEN"',
            env: { DB_PASSWORD: { fromEnv: 'SECRET_DB_PASSWORD' } },
          },
          notify: [
            {
              on: ['success'],
              webhook: {
                url: hook.url,
                headers: { Authorization: { fromEnv: 'SECRET_HOOK_TOKEN' } },
              },
            },
          ],
        },
      }),
    );
    const daemon = startDaemon(['--dir', dir, '--state-dir', state, '--listen', '127.0.0.1:0'], {
      SECRET_DB_PASSWORD: dbPassword,
      SECRET_HOOK_TOKEN: hookToken,
      CRONOPS_TRIGGER_TOKEN: triggerToken,
    });
    started.push(daemon);
    const url = await waitFor('the endpoint to listen', () => {
      const line = daemon
        .output()
        .split('\n')
        .find((l) => l.includes('"status endpoint listening"'));
      return line ? (JSON.parse(line) as { url: string }).url : undefined;
    });
    const stream = await new Promise<IncomingMessage>((resolve, reject) =>
      get(`${url}/api/v1/events`, resolve).on('error', reject),
    );
    cleanups.push(() => void stream.destroy());
    let events = '';
    stream.on('data', (chunk: Buffer) => (events += chunk.toString('utf8')));

    // A manual run too, so the trigger path and its answer are covered.
    const triggered = await fetch(`${url}/api/v1/schedules/leaky/trigger`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${triggerToken}` },
    });
    const triggerAnswer = await triggered.text();
    expect([202, 409]).toContain(triggered.status);

    // The job printed the secret, and the webhook got its header: the values were really in use.
    const run = await waitFor('a succeeded run with output', async () => {
      const page = (await (
        await fetch(`${url}/api/v1/runs?schedule=leaky&status=succeeded&limit=1`)
      ).json()) as {
        runs: { id: string }[];
      };
      return page.runs[0];
    });
    await waitFor('a webhook delivery', () => hook.authorizations.length > 0);
    expect(hook.authorizations[0]).toBe(hookToken);
    await waitFor(
      'two finished runs on the event stream',
      () => events.split('event: run.finished').length > 2,
    );

    const bodies: [string, string][] = [['POST trigger', triggerAnswer]];
    const paths = [
      '/status',
      '/api/v1/schedules',
      '/api/v1/schedules/leaky',
      '/api/v1/definitions',
      '/api/v1/schedules/leaky/runs?limit=500',
      '/api/v1/runs?limit=500',
      `/api/v1/runs/${run.id}`,
      '/metrics',
      '/readyz',
      '/healthz',
    ];
    for (const path of paths) bodies.push([path, await (await fetch(`${url}${path}`)).text()]);
    const listed = JSON.parse(bodies.find(([path]) => path === '/api/v1/runs?limit=500')![1]) as {
      runs: { id: string }[];
    };
    for (const { id } of listed.runs) {
      bodies.push([`/api/v1/runs/${id}`, await (await fetch(`${url}/api/v1/runs/${id}`)).text()]);
    }
    bodies.push(['/api/v1/events', events]);
    const single = bodies.find(([path]) => path === `/api/v1/runs/${run.id}`)![1];
    expect(single).toContain('password=[redacted]');

    // What the daemon wrote to disk is checked too: the same values must not be there.
    bodies.push(['status.json', await readFile(join(state, 'status.json'), 'utf8')]);
    // Written once reloads have been quiet for a moment after start-up.
    const definitions = await waitFor('definitions.json', () =>
      readFile(join(state, 'definitions.json'), 'utf8').catch(() => undefined),
    );
    expect(definitions).toContain('"leaky"');
    bodies.push(['definitions.json', definitions]);
    for (const name of await readdir(join(state, 'history'))) {
      bodies.push([`history/${name}`, await readFile(join(state, 'history', name), 'utf8')]);
    }
    for (const [where, body] of bodies) {
      for (const secret of secrets)
        expect(body.includes(secret), `${where} contains a secret`).toBe(false);
    }
    // The trigger token never reaches a job: the job saw it empty.
    expect(single).toContain(String.raw`trigger=\n`);
  });
});
