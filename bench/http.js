// Benchmark of the HTTP endpoint: GET /status throughput and latency on a real daemon with 1,000 schedules, and the
// fire lateness of an every-second job while the endpoint is under that load. Run `npx tsc -p tsconfig.build.json` first.
// Env: HTTP_BENCH_SECONDS (load duration, default 10), HTTP_BENCH_CONNECTIONS (in-flight requests, default 32),
// HTTP_BENCH_IDLE_SECONDS (idle lateness samples, default 15), HTTP_BENCH_WRK=0 to skip wrk even when installed.
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startStatusServer } from '../dist/status/http.js';
import {
  followDaemon,
  latenessMs,
  positiveInt,
  readRuns,
  stopDaemon,
  spawnDaemon,
  summarise,
  waitForShards,
} from './lib/daemon.js';

const QUIET = 1_000;
const LOAD_SECONDS = positiveInt('HTTP_BENCH_SECONDS', 10);
const CONNECTIONS = positiveInt('HTTP_BENCH_CONNECTIONS', 32);
const IDLE_SECONDS = positiveInt('HTTP_BENCH_IDLE_SECONDS', 15);
const TARGET_RPS = 5_000;
const TARGET_P99_MS = 20;
const TARGET_LATENESS_RATIO = 2;
/** Lateness under this is noise (spawning `sh` alone varies by about as much): the 2× rule applies above it. */
const LATENESS_FLOOR_MS = 5;

function manifest(name, spec) {
  return JSON.stringify({
    apiVersion: 'cronops/v1',
    kind: 'Schedule',
    metadata: { name, labels: { team: `t${name.length % 7}` } },
    spec,
  });
}

async function makeSchedules(dir) {
  await writeFile(
    join(dir, 'tick.yaml'),
    manifest('tick', {
      schedule: '*/1 * * * * *',
      task: { shell: 'echo $(date +%s.%N)' },
      history: { successfulRunsLimit: 10_000, failedRunsLimit: 10_000 },
    }),
  );
  for (let file = 0; file * 100 < QUIET; file += 1) {
    const docs = [];
    for (let i = file * 100; i < Math.min(QUIET, (file + 1) * 100); i += 1) {
      // Yearly on 1 January: never fires during the bench.
      docs.push(
        manifest(`quiet-${String(i).padStart(5, '0')}`, {
          schedule: `${i % 60} ${Math.floor(i / 60) % 24} 1 1 *`,
          task: { shell: 'true' },
        }),
      );
    }
    await writeFile(join(dir, `quiet-${String(file).padStart(3, '0')}.yaml`), docs.join('\n---\n'));
  }
}

/** Start the built daemon on a free port; resolves with its URL once it logged `cronops started`. */
function startDaemon(dir, state) {
  const proc = spawnDaemon(dir, state, { listen: '127.0.0.1:0' });
  let url;
  const { started, exited } = followDaemon(proc, (line) => {
    if (line.includes('"status endpoint listening"')) url = JSON.parse(line).url;
  });
  const ready = started.then(() => url);
  return { proc, ready, exited };
}

/** Lateness of the tick runs scheduled in [fromMs, untilMs), and how many did not succeed. */
async function collectLateness(state, fromMs, untilMs) {
  const runs = await readRuns(state, 'tick');
  const values = [];
  let failed = 0;
  for (const run of runs) {
    const at = Date.parse(run.scheduledAt);
    if (at < fromMs || at >= untilMs || run.trigger !== 'schedule') continue;
    const tail = run.attempts[0]?.outputTail;
    if (run.status !== 'succeeded' || !tail) failed += 1;
    else values.push(latenessMs(tail, at));
  }
  return { ...summarise(values), failed };
}

/** CONNECTIONS request loops over keep-alive sockets for `seconds`; latency per request. */
async function loadWithNode(url, seconds, connections) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const latencies = [];
  let errors = 0;
  let bytes = 0;
  const until = performance.now() + seconds * 1000;
  const one = () =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          agent,
          headers: { 'Accept-Encoding': 'gzip' },
        },
        (res) => {
          res.on('data', (chunk) => (bytes += chunk.length));
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - started);
            else errors += 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end();
    });
  const loop = async () => {
    while (performance.now() < until) await one();
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - startedAt) / 1000;
  agent.destroy();
  const stats = summarise(latencies);
  return {
    tool: `node:http, ${connections} keep-alive connections`,
    rps: stats.n / elapsed,
    ...stats,
    errors,
    bytesPer: bytes / Math.max(1, stats.n),
  };
}

/** The same load with wrk when it is installed (it costs far less CPU than a Node client on the same machine). */
async function loadWithWrk(url, seconds, connections) {
  if (process.env.HTTP_BENCH_WRK === '0') return undefined;
  try {
    const { stdout } = await promisify(execFile)(
      'wrk',
      ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', 'Accept-Encoding: gzip', url],
      {
        timeout: (seconds + 30) * 1000,
      },
    );
    const unit = (text) => {
      const m = /^([\d.]+)(us|ms|s)$/.exec(text);
      return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
    };
    const p50 = unit(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '');
    const p99 = unit(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '');
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
    const n = Number(/(\d+) requests in/.exec(stdout)?.[1]);
    const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
    return {
      tool: `wrk, 1 thread, ${connections} connections`,
      rps,
      n,
      p50,
      p99,
      max: NaN,
      errors,
      bytesPer: NaN,
    };
  } catch {
    return undefined;
  }
}

/** The same /status load against an in-process server that builds the snapshot for every request (no cache): the "before". */
async function measureUncached(snapshot, seconds) {
  const results = {};
  for (const [label, refreshMs] of [
    ['uncached', 0],
    ['cached', 1_000],
  ]) {
    const server = await startStatusServer({
      listen: '127.0.0.1:0',
      getSnapshot: () => globalThis.structuredClone(snapshot),
      snapshotRefreshMs: refreshMs,
      dashboard: null,
      defaultMetrics: false,
    });
    results[label] = await loadWithNode(`${server.url}/status`, seconds, 8);
    await server.close();
  }
  return results;
}

const fmt = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'cronops-bench-http-'));
  const dir = join(root, 'schedules.d');
  const state = join(root, 'state');
  await mkdir(dir);
  let daemon;
  try {
    await makeSchedules(dir);
    daemon = startDaemon(dir, state);
    const base = await daemon.ready;
    await waitForShards(state, QUIET + 1, 300_000);
    const statusUrl = `${base}/status`;
    const snapshot = await (await globalThis.fetch(statusUrl)).json();
    const plainBytes = Buffer.byteLength(JSON.stringify(snapshot));
    if (snapshot.schedules.length !== QUIET + 1)
      throw new Error(`expected ${QUIET + 1} schedules, got ${snapshot.schedules.length}`);

    // Idle lateness, then the same under load.
    await sleep(2_000);
    const idleFrom = Math.ceil(Date.now() / 1000) * 1000;
    await sleep(IDLE_SECONDS * 1000 + 500);
    const idleUntil = idleFrom + IDLE_SECONDS * 1000;
    const loadFrom = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const wrk = await loadWithWrk(statusUrl, LOAD_SECONDS, CONNECTIONS);
    const node = await loadWithNode(statusUrl, LOAD_SECONDS, CONNECTIONS);
    const loadUntil = Math.floor(Date.now() / 1000) * 1000;
    await sleep(1_500);
    const idle = await collectLateness(state, idleFrom, idleUntil);
    const loaded = await collectLateness(state, loadFrom, loadUntil);
    await stopDaemon(daemon, 30_000);
    daemon = undefined;
    const before = await measureUncached(snapshot, 3);

    const load = wrk ?? node;
    const limit = Math.max(TARGET_LATENESS_RATIO * idle.p99, LATENESS_FLOOR_MS);
    const checks = [
      [
        'GET /status throughput',
        `${fmt(load.rps, 0)} req/s`,
        `>= ${TARGET_RPS} req/s`,
        load.rps >= TARGET_RPS && load.errors === 0,
      ],
      [
        'GET /status p99 latency',
        `${fmt(load.p99, 2)} ms`,
        `<= ${TARGET_P99_MS} ms`,
        load.p99 <= TARGET_P99_MS,
      ],
      [
        'fire lateness p99 under load',
        `${fmt(loaded.p99, 2)} ms (idle ${fmt(idle.p99, 2)} ms)`,
        `<= 2× idle (${fmt(limit, 2)} ms)`,
        loaded.p99 <= limit && loaded.failed === 0 && loaded.n > 0,
      ],
    ];
    const pass = checks.every(([, , , ok]) => ok);
    const lines = [
      '## HTTP endpoint: GET /status with 1,000 schedules',
      '',
      `Real daemon (${QUIET} yearly schedules + 1 every-second job), loopback, ${LOAD_SECONDS} s of load. /status is ${fmt(plainBytes / 1024, 0)} KiB of JSON, sent gzip-compressed (the client asks for it). Node ${process.version}.`,
      '',
      '| load generator | requests | req/s | p50 ms | p99 ms | max ms | errors | bytes/response |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...[wrk, node]
        .filter(Boolean)
        .map(
          (r) =>
            `| ${r.tool} | ${r.n} | ${fmt(r.rps, 0)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 2)} | ${r.errors} | ${fmt(r.bytesPer, 0)} |`,
        ),
      '',
      '| fire lateness of the every-second job | runs | p50 ms | p99 ms | max ms | not succeeded |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      `| idle | ${idle.n} | ${fmt(idle.p50, 2)} | ${fmt(idle.p99, 2)} | ${fmt(idle.max, 2)} | ${idle.failed} |`,
      `| under load | ${loaded.n} | ${fmt(loaded.p50, 2)} | ${fmt(loaded.p99, 2)} | ${fmt(loaded.max, 2)} | ${loaded.failed} |`,
      '',
      `Snapshot cache, in-process server, 8 connections, 3 s: without the cache (the snapshot re-created and serialised for every request) ${fmt(before.uncached.rps, 0)} req/s, p99 ${fmt(before.uncached.p99, 2)} ms; with the cache ${fmt(before.cached.rps, 0)} req/s, p99 ${fmt(before.cached.p99, 2)} ms.`,
      '',
      '| check | measured | target | result |',
      '| --- | --- | --- | --- |',
      ...checks.map(
        ([what, measured, target, ok]) =>
          `| ${what} | ${measured} | ${target} | ${ok ? 'PASS' : 'FAIL'} |`,
      ),
      '',
      `**${pass ? 'PASS' : 'FAIL'}**`,
    ];
    console.log(lines.join('\n'));
    process.exitCode = pass ? 0 : 1;
  } finally {
    if (daemon) await stopDaemon(daemon, 30_000);
    await rm(root, { recursive: true, force: true });
  }
}

await main();
