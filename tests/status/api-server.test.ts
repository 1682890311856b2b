import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { selectRuns } from '../../src/history/query.js';
import type { RunRecord } from '../../src/history/store.js';
import { parseManifestText, resolveSchedules } from '../../src/manifest/load.js';
import {
  buildDefinitionsDocument,
  buildScheduleDefinition,
  type DefinitionsDocument,
} from '../../src/status/definitions.js';
import type { StatusEvent } from '../../src/status/events.js';
import {
  startStatusServer,
  type StatusServer,
  type StatusServerOptions,
} from '../../src/status/http.js';
import type { DefinitionsSource } from '../../src/status/route-types.js';
import {
  buildStatusSnapshot,
  type StatusInput,
  type StatusSnapshot,
} from '../../src/status/snapshot.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');

function makeRun(id: string, schedule: string, status: RunRecord['status']): RunRecord {
  return {
    id,
    schedule,
    trigger: 'schedule',
    scheduledAt: '2026-03-10T11:00:00.000Z',
    startedAt: '2026-03-10T11:00:00.010Z',
    finishedAt: '2026-03-10T11:00:01.010Z',
    durationMs: 1000,
    status,
    attempts: [
      {
        attempt: 1,
        startedAt: '2026-03-10T11:00:00.010Z',
        finishedAt: '2026-03-10T11:00:01.010Z',
        exitCode: status === 'succeeded' ? 0 : 1,
        signal: null,
        outputTail: `tail of ${id}\n`,
      },
    ],
    specHash: 'h1',
  };
}

const RUNS = [
  makeRun('01JP0000000000000000000001', 'backup', 'succeeded'),
  makeRun('01JP0000000000000000000002', 'backup', 'failed'),
  makeRun('01JP0000000000000000000003', 'backup', 'succeeded'),
];

function makeSnapshot(count = 1): StatusSnapshot {
  const schedules: StatusInput['schedules'] = Array.from({ length: count }, (_, index) => ({
    name: index === 0 ? 'backup' : `extra-${String(index).padStart(4, '0')}`,
    file: '/etc/cronops/schedules.d/backup.yaml',
    schedule: '30 2 * * *',
    humanSchedule: 'At 02:30 AM',
    timezone: 'Europe/Berlin',
    suspended: false,
    degraded: false,
    labels: { team: 'data' },
    concurrencyPolicy: 'Forbid',
    nextFires: [new Date('2026-03-11T01:30:00.000Z')],
    running: [],
    queued: 0,
    runs: index === 0 ? RUNS : [],
  }));
  return buildStatusSnapshot({
    now: NOW,
    daemon: {
      version: '0.1.0',
      pid: 7,
      startedAt: new Date('2026-03-10T11:00:00.000Z'),
      configDir: 'schedules.d',
      stateDir: '.cronops',
      watchMode: 'auto',
      listen: '127.0.0.1:0',
      maxConcurrentRuns: null,
      shuttingDown: false,
    },
    lastReconcile: {
      at: NOW,
      ok: true,
      created: 1,
      updated: 0,
      removed: 0,
      unchanged: 0,
      errors: 0,
      trigger: 'startup',
    },
    files: [],
    schedules,
    history: { writable: true, pendingWrites: 0, corrupt: [] },
  });
}

const history = {
  listRuns: (query: Parameters<typeof selectRuns>[1]) =>
    selectRuns(new Map([['backup', RUNS]]), query),
  getRun: (id: string) => RUNS.find((run) => run.id === id),
};

const servers: StatusServer[] = [];

async function start(options: Partial<StatusServerOptions> = {}): Promise<StatusServer> {
  const server = await startStatusServer({
    listen: '127.0.0.1:0',
    getSnapshot: () => makeSnapshot(),
    history,
    dashboard: null,
    defaultMetrics: false,
    ...options,
  });
  servers.push(server);
  return server;
}

/** A raw GET: status, headers and body bytes exactly as sent (no decompression). */
function getRaw(
  url: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('status/api (server)', () => {
  it('serves the schedules, one schedule, and 404 for an unknown one', async () => {
    const server = await start();
    const list = await fetch(`${server.url}/api/v1/schedules`);
    expect(list.status).toBe(200);
    expect(list.headers.get('cache-control')).toBe('no-store');
    expect(list.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await list.json()).toEqual(makeSnapshot().schedules);

    const one = await fetch(`${server.url}/api/v1/schedules/backup`);
    expect(await one.json()).toEqual(makeSnapshot().schedules[0]);

    const missing = await fetch(`${server.url}/api/v1/schedules/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: 'not found',
      schedule: 'nope',
      message: 'no schedule named "nope"',
    });
    const missingRuns = await fetch(`${server.url}/api/v1/schedules/nope/runs`);
    expect(missingRuns.status).toBe(404);
  });

  it('pages runs with a cursor, without output tails; one run with them', async () => {
    const server = await start();
    const first = await fetch(`${server.url}/api/v1/schedules/backup/runs?limit=2`);
    const page = (await first.json()) as {
      runs: { id: string; attempts: object[] }[];
      nextCursor: string | null;
    };
    expect(page.runs.map((run) => run.id)).toEqual([
      '01JP0000000000000000000003',
      '01JP0000000000000000000002',
    ]);
    expect(page.nextCursor).toBe('01JP0000000000000000000002');
    expect(page.runs[0]?.attempts[0]).not.toHaveProperty('outputTail');
    const second = (await (
      await fetch(`${server.url}/api/v1/runs?limit=2&cursor=${page.nextCursor}&label=team=data`)
    ).json()) as typeof page;
    expect(second).toMatchObject({
      runs: [{ id: '01JP0000000000000000000001' }],
      nextCursor: null,
    });

    const failed = (await (
      await fetch(`${server.url}/api/v1/runs?status=failed`)
    ).json()) as typeof page;
    expect(failed.runs.map((run) => run.id)).toEqual(['01JP0000000000000000000002']);

    const single = await fetch(`${server.url}/api/v1/runs/01JP0000000000000000000002`);
    expect(await single.json()).toMatchObject({
      id: '01JP0000000000000000000002',
      status: 'failed',
      attempts: [{ exitCode: 1, outputTail: 'tail of 01JP0000000000000000000002\n' }],
    });
    const unknown = await fetch(`${server.url}/api/v1/runs/01JP0000000000000000000009`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: 'not found',
      runId: '01JP0000000000000000000009',
      message: 'no run with id "01JP0000000000000000000009"',
    });
  });

  it('answers 400 naming the parameter, 405 with Allow, 404 for unknown paths', async () => {
    const server = await start();
    const bad = await fetch(`${server.url}/api/v1/runs?status=done`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'bad request', parameter: 'status' });

    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await fetch(`${server.url}/api/v1/runs`, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    }
    const trigger = await fetch(`${server.url}/api/v1/schedules/backup/trigger`, {
      method: 'POST',
    });
    expect(trigger.status).toBe(405);
    expect(trigger.headers.get('allow')).toBe('');
    expect(await trigger.json()).toEqual({
      error: 'method not allowed',
      allowed: [],
      message:
        'run now is disabled: start the daemon with --trigger-token or CRONOPS_TRIGGER_TOKEN',
    });
    expect((await fetch(`${server.url}/api/v2/runs`)).status).toBe(404);
    expect((await fetch(`${server.url}/`)).status).toBe(404);
  });

  it('without history, the run endpoints are 404', async () => {
    const server = await startStatusServer({
      listen: '127.0.0.1:0',
      getSnapshot: () => makeSnapshot(),
      dashboard: null,
      defaultMetrics: false,
    });
    servers.push(server);
    expect((await fetch(`${server.url}/api/v1/runs`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/v1/schedules`)).status).toBe(200);
  });

  it('gzips large JSON for clients that accept it, with the same content', async () => {
    const server = await start({ getSnapshot: () => makeSnapshot(200) });
    const plain = await getRaw(`${server.url}/status`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept-Encoding');
    const zipped = await getRaw(`${server.url}/status`, { 'Accept-Encoding': 'gzip, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length * 5).toBeLessThan(plain.body.length);
    expect(JSON.parse(gunzipSync(zipped.body).toString('utf8'))).toEqual(
      JSON.parse(plain.body.toString('utf8')),
    );
    const refused = await getRaw(`${server.url}/status`, { 'Accept-Encoding': 'gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
  });

  it('serves the definitions (masked) on their own, and with one schedule of the same version', async () => {
    const parsed = parseManifestText(
      'backup.yaml',
      [
        'apiVersion: cronops/v1',
        'kind: Schedule',
        'metadata: { name: backup }',
        'spec:',
        '  schedule: "30 2 * * *"',
        '  task:',
        '    command: [pg_dump]',
        '    env: { PGHOST: db.internal, PGPASSWORD: { fromEnv: PGPASSWORD } }',
        '',
      ].join('\n'),
    );
    const [loaded] = resolveSchedules([parsed]).schedules;
    const running = { name: 'backup', hash: 'h1', spec: loaded!.spec };
    const definitions: DefinitionsSource = {
      all: () => buildDefinitionsDocument([running]),
      find: (name) => (name === 'backup' ? buildScheduleDefinition(running) : undefined),
    };
    const snapshot = (specHash: string): StatusSnapshot => {
      const built = makeSnapshot(200);
      built.schedules[0] = { ...built.schedules[0]!, specHash };
      return built;
    };
    let shownHash = 'h1';
    const server = await start({ getSnapshot: () => snapshot(shownHash), definitions });

    const status = await (await fetch(`${server.url}/status`)).text();
    expect(status).not.toContain('"definition"');
    const all = await fetch(`${server.url}/api/v1/definitions`);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const document = (await all.json()) as DefinitionsDocument;
    expect(document).toEqual(JSON.parse(JSON.stringify(definitions.all())));
    expect(document.schedules).toMatchObject([
      {
        name: 'backup',
        specHash: 'h1',
        definition: {
          schedule: '30 2 * * *',
          task: {
            env: {
              PGHOST: expect.stringMatching(/^sha256:[0-9a-f]{12}$/),
              PGPASSWORD: { fromEnv: 'PGPASSWORD' },
            },
          },
        },
      },
    ]);
    expect(JSON.stringify(document)).not.toContain('db.internal');

    const one = (await (await fetch(`${server.url}/api/v1/schedules/backup`)).json()) as {
      specHash: string;
      definition: unknown;
    };
    expect(one.definition).toEqual(document.schedules[0]?.definition);
    // The entry shows another version than the one running: its definition is not known.
    shownHash = 'h0';
    const other = await startStatusServer({
      listen: '127.0.0.1:0',
      getSnapshot: () => snapshot(shownHash),
      dashboard: null,
      defaultMetrics: false,
      definitions,
    });
    servers.push(other);
    const stale = (await (await fetch(`${other.url}/api/v1/schedules/backup`)).json()) as {
      definition: unknown;
    };
    expect(stale.definition).toBeNull();
    // Without a definitions source (tests, tools): no endpoint, and the entry as the status has it.
    const bare = await start();
    expect((await fetch(`${bare.url}/api/v1/definitions`)).status).toBe(404);
    expect(await (await fetch(`${bare.url}/api/v1/schedules/backup`)).json()).toEqual(
      makeSnapshot().schedules[0],
    );
  });

  it('serves /metrics in the Prometheus text format', async () => {
    let publish: (event: StatusEvent) => void = () => undefined;
    const server = await start({
      subscribe: (listener) => {
        publish = listener;
        return () => undefined;
      },
    });
    publish({ type: 'run:finished', run: RUNS[1]! });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    expect(text).toContain('cronops_runs_total{schedule="backup",status="failed"} 1');
    expect(text).toContain('cronops_next_fire_timestamp_seconds{schedule="backup"} 1773192600');
  });

  it('serves the dashboard page on / when one is given', async () => {
    const server = await start({ dashboard: () => '<!doctype html><title>cronops</title>' });
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await page.text()).toBe('<!doctype html><title>cronops</title>');
    const head = await fetch(`${server.url}/`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('37');
    expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(405);
  });

  it('serves renderDashboardPage() from src/status/dashboard-page on / by default', async () => {
    const server = await startStatusServer({
      listen: '127.0.0.1:0',
      getSnapshot: () => makeSnapshot(),
      defaultMetrics: false,
    });
    servers.push(server);
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await page.text()).toLowerCase()).toContain('<!doctype html>');
  });
});
