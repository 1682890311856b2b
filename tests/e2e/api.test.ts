// The HTTP API of the real daemon: schedules, runs, one run, events, metrics and "run now".
import { get, type IncomingMessage } from 'node:http';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  makeDirs,
  manifest,
  startDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
} from './daemon-harness.js';

const TOKEN = 'e2e-trigger-token-0123456789abcdef';
const started: RunningDaemon[] = [];
const roots: string[] = [];
const streams: IncomingMessage[] = [];

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.destroy();
  for (const d of started.splice(0)) {
    if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  }
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** Start a daemon listening on a free port; resolves with its URL once it serves. */
async function startWithEndpoint(dir: string, state: string, env: NodeJS.ProcessEnv = {}) {
  const daemon = startDaemon(['--dir', dir, '--state-dir', state, '--listen', '127.0.0.1:0'], env);
  started.push(daemon);
  const url = await waitFor('the endpoint to listen', () => {
    const line = daemon
      .output()
      .split('\n')
      .find((l) => l.includes('"status endpoint listening"'));
    return line ? (JSON.parse(line) as { url: string }).url : undefined;
  });
  return { daemon, url };
}

/** Follow /api/v1/events; `text()` is everything received so far. */
async function follow(url: string): Promise<{ text: () => string; response: IncomingMessage }> {
  const response = await new Promise<IncomingMessage>((resolve, reject) =>
    get(`${url}/api/v1/events`, resolve).on('error', reject),
  );
  streams.push(response);
  let text = '';
  response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { text: () => text, response };
}

async function json<T = Record<string, unknown>>(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}

interface Page {
  runs: {
    id: string;
    schedule: string;
    status: string;
    trigger: string;
    attempts: Record<string, unknown>[];
  }[];
  nextCursor: string | null;
}

describe('e2e/api', () => {
  it('serves schedules, runs, events and metrics, and runs a schedule now with the token', async () => {
    const { root, dir, state } = await makeDirs();
    roots.push(root);
    await writeManifest(
      dir,
      'jobs.yaml',
      manifest('tick', { schedule: '*/1 * * * * *', task: { shell: 'echo "tick {{ name }}"' } }),
      JSON.stringify({
        apiVersion: 'cronops/v1',
        kind: 'Schedule',
        metadata: { name: 'slow', labels: { team: 'data' } },
        spec: { schedule: '0 0 1 1 *', task: { shell: 'sleep 1; echo slow done' } },
      }),
    );
    const { url } = await startWithEndpoint(dir, state, { CRONOPS_TRIGGER_TOKEN: TOKEN });
    const events = await follow(url);
    expect(events.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');

    await waitFor('a run.finished event of tick', () =>
      /event: run\.finished\ndata: \{"schedule":"tick"/.test(events.text()),
    );
    expect(events.text()).toMatch(/^retry: \d+\n/);
    expect(events.text()).toMatch(
      /id: \d+\nevent: run\.started\ndata: \{"schedule":"tick","run":\{"id":"[0-9A-Z]{26}"/,
    );

    const schedules = await json<{ name: string; health: string }[]>(`${url}/api/v1/schedules`);
    expect(schedules.body.map((s) => s.name)).toEqual(['slow', 'tick']);
    const slow = await json(`${url}/api/v1/schedules/slow`);
    expect(slow.body).toMatchObject({
      name: 'slow',
      labels: { team: 'data' },
      humanSchedule: expect.any(String),
    });
    expect((await json(`${url}/api/v1/schedules/nope`)).status).toBe(404);

    const tickRuns = await waitFor('two finished tick runs', async () => {
      const page = await json<Page>(`${url}/api/v1/schedules/tick/runs?status=succeeded&limit=1`);
      return page.body.nextCursor !== null ? page.body : undefined;
    });
    expect(tickRuns.runs).toHaveLength(1);
    expect(tickRuns.runs[0]?.attempts[0]).not.toHaveProperty('outputTail');
    const next = await json<Page>(
      `${url}/api/v1/schedules/tick/runs?status=succeeded&limit=1&cursor=${tickRuns.nextCursor}`,
    );
    expect(next.body.runs[0]!.id < tickRuns.runs[0]!.id).toBe(true);
    const one = await json<{ attempts: { outputTail: string }[] }>(
      `${url}/api/v1/runs/${tickRuns.runs[0]!.id}`,
    );
    expect(one.body.attempts[0]?.outputTail).toBe('tick tick\n');

    // Run now: started, then skipped by Forbid while the first one runs.
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const trigger = `${url}/api/v1/schedules/slow/trigger`;
    expect((await fetch(trigger, { method: 'POST' })).status).toBe(401);
    expect(
      (await fetch(trigger, { method: 'POST', headers: { Authorization: 'Bearer wrong' } })).status,
    ).toBe(403);
    const first = await json<{ runId: string; outcome: string }>(trigger, {
      method: 'POST',
      headers: auth,
    });
    expect(first.status).toBe(202);
    expect(first.body.outcome).toBe('started');
    const second = await json<{ outcome: string; reason: string }>(trigger, {
      method: 'POST',
      headers: auth,
    });
    expect(second.status).toBe(409);
    expect(second.body.reason).toMatch(/still running \(concurrencyPolicy Forbid\)/);
    const finished = await waitFor('the manual run to finish', async () => {
      const run = await json<{
        status: string;
        trigger: string;
        attempts: { outputTail: string }[];
      }>(`${url}/api/v1/runs/${first.body.runId}`);
      return run.body.status === 'succeeded' ? run.body : undefined;
    });
    expect(finished.trigger).toBe('manual');
    expect(finished.attempts[0]?.outputTail).toBe('slow done\n');
    const manual = await json<Page>(`${url}/api/v1/runs?label=team=data&status=succeeded,skipped`);
    // Newest first by id: the skipped record was created after the run it was skipped for.
    expect(manual.body.runs.map((r) => [r.schedule, r.trigger, r.status])).toEqual([
      ['slow', 'manual', 'skipped'],
      ['slow', 'manual', 'succeeded'],
    ]);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/cronops_runs_total\{schedule="tick",status="succeeded"\} \d+/);
    expect(metrics).toContain('cronops_skipped_fires_total{schedule="slow",reason="forbid"} 1');
    expect(metrics).toMatch(/cronops_next_fire_timestamp_seconds\{schedule="slow"\} \d+/);
    expect(metrics).toContain('cronops_config_reloads_total{result="ok"} 1');
    expect(metrics).toContain('process_resident_memory_bytes');

    // A broken file: config.error and config.reloaded on the stream, the error in the metrics.
    await writeFile(
      join(dir, 'broken.yaml'),
      'apiVersion: cronops/v1\nkind: Schedule\nmetadata: { name: broken }\nspec: { schedule: "0 0 30 2 *", task: { shell: "true" } }\n',
    );
    await waitFor('a config.error event', () => events.text().includes('event: config.error'));
    expect(events.text()).toMatch(
      /event: config\.error\ndata: \{"trigger":"[^"]+","issues":\[\{"file":"[^"]*broken\.yaml"/,
    );
    await waitFor('a failed config.reloaded event', () => events.text().includes('"ok":false'));
    // The endpoint serves the previous snapshot while a rebuild takes longer than 100 ms (a loaded machine).
    await waitFor('the config error in the metrics', async () =>
      /cronops_config_errors [1-9]/.test(await (await fetch(`${url}/metrics`)).text()),
    );
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/runs`, { method: 'DELETE' })).status).toBe(405);
  });

  it('without a token, POST to the trigger path is 405', async () => {
    const { root, dir, state } = await makeDirs();
    roots.push(root);
    await writeManifest(
      dir,
      'a.yaml',
      manifest('yearly', { schedule: '0 0 1 1 *', task: { shell: 'true' } }),
    );
    const { url } = await startWithEndpoint(dir, state, { CRONOPS_TRIGGER_TOKEN: '' });
    const response = await fetch(`${url}/api/v1/schedules/yearly/trigger`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ error: 'method not allowed', allowed: [] });
  });
});
