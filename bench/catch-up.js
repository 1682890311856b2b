// Benchmark of a catch-up after a 10-minute clock step forward: the lateness of an unrelated every-second job
// while an every-second `catchUp: all` + `Allow` schedule catches up, against its lateness before the step.
// Runs the daemon under libfaketime (the `faketime` package). Run `npx tsc -p tsconfig.build.json` first.
// Env: CATCHUP_IDLE_SECONDS (samples before the step, default 30), CATCHUP_SECONDS (after it, default 30),
// CATCHUP_STEP_SECONDS (default 600).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  latenessMs,
  manifest,
  positiveInt,
  readRuns,
  spawnDaemon,
  stopDaemon,
  summarise,
} from './lib/daemon.js';

const IDLE_SECONDS = positiveInt('CATCHUP_IDLE_SECONDS', 30);
const AFTER_SECONDS = positiveInt('CATCHUP_SECONDS', 30);
const STEP_SECONDS = positiveInt('CATCHUP_STEP_SECONDS', 600);
const TARGET_MARGIN_MS = 50;
const WARMUP = 3;
const LIBFAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
].find((path) => existsSync(path));

if (!LIBFAKETIME) {
  process.stderr.write('catch-up: libfaketime not found; install the faketime package\n');
  process.exit(2);
}

const root = await mkdtemp(join(tmpdir(), 'cronops-bench-catchup-'));
const dir = join(root, 'schedules.d');
const state = join(root, 'state');
const clockFile = join(root, 'faketime');
await mkdir(dir);
const keepAll = { successfulRunsLimit: 10_000, failedRunsLimit: 10_000 };
await writeFile(
  join(dir, 'jobs.yaml'),
  [
    manifest('burst', {
      schedule: '*/1 * * * * *',
      catchUp: 'all',
      concurrencyPolicy: 'Allow',
      history: keepAll,
      task: { shell: 'sleep 0.2' },
    }),
    manifest('steady', {
      schedule: '*/1 * * * * *',
      history: keepAll,
      task: { shell: 'echo $(date +%s.%N)' },
    }),
  ].join('\n---\n'),
);
await writeFile(clockFile, '+0\n');

const proc = spawnDaemon(dir, state, {
  env: {
    ...process.env,
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: clockFile,
    FAKETIME_CACHE_DURATION: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  },
});
const exited = new Promise((resolve) =>
  proc.on('exit', (code, signal) => resolve({ code, signal })),
);
const daemon = { proc, exited };
let output = '';
proc.stdout.on('data', (chunk) => (output += chunk));

/** Regular (not caught-up) runs of `steady` scheduled in (fromMs, untilMs], with their lateness. */
async function steadyLateness(fromMs, untilMs) {
  const samples = [];
  for (const run of await readRuns(state, 'steady')) {
    const at = Date.parse(run.scheduledAt);
    if (run.trigger !== 'schedule' || at <= fromMs || at > untilMs) continue;
    const printed = run.attempts[0]?.outputTail ?? '';
    const ms = latenessMs(printed, at);
    if (!Number.isNaN(ms)) samples.push(ms);
  }
  return samples;
}

/** The most catch-up processes of `burst` that ran at the same time. */
function maxConcurrentCatchUps(runs) {
  const edges = [];
  for (const run of runs) {
    if (run.trigger !== 'catchup' || !run.startedAt || !run.finishedAt) continue;
    edges.push([Date.parse(run.startedAt), 1], [Date.parse(run.finishedAt), -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, delta] of edges) max = Math.max(max, (now += delta));
  return max;
}

try {
  for (let waited = 0; !output.includes('"cronops started"'); waited += 100) {
    if (waited > 60_000) throw new Error('the daemon did not start within 60 s');
    await sleep(100);
  }
  const idleFrom = Date.now() + WARMUP * 1000;
  await sleep((WARMUP + IDLE_SECONDS) * 1000 + 500);
  const idleUntil = Date.now() - 500;
  await writeFile(clockFile, `+${STEP_SECONDS}\n`);
  // The fake clock is re-read every second; the daemon notices the step within another second.
  await sleep(2_500);
  const stepFrom = Date.now() + STEP_SECONDS * 1000;
  await sleep(AFTER_SECONDS * 1000 + 1000);
  const stepUntil = Date.now() + STEP_SECONDS * 1000 - 1000;
  await stopDaemon(daemon);
  const idle = summarise(await steadyLateness(idleFrom, idleUntil));
  const during = summarise(await steadyLateness(stepFrom, stepUntil));
  const burst = await readRuns(state, 'burst');
  const catchUps = burst.filter((r) => r.trigger === 'catchup');
  const missed = burst.find((r) => r.status === 'missed' && (r.missed?.count ?? 0) > 1);
  const concurrent = maxConcurrentCatchUps(burst);
  const target = idle.p99 + TARGET_MARGIN_MS;
  const pass =
    during.n >= AFTER_SECONDS - 3 &&
    idle.n >= IDLE_SECONDS - 3 &&
    during.p99 <= target &&
    concurrent <= 1;
  const f = (ms) => (ms === undefined ? '—' : ms.toFixed(1));
  const lines = [
    '## Catch-up after a clock step forward (bench/catch-up.js)',
    '',
    `The daemon runs under libfaketime; after ${IDLE_SECONDS} s the clock steps forward ${STEP_SECONDS} s. \`burst\`: every second, \`catchUp: all\`, \`concurrencyPolicy: Allow\`, \`sleep 0.2\`. \`steady\`: every second, \`echo $(date +%s.%N)\`; lateness = printed time − scheduled instant (both on the fake clock), regular fires only.`,
    '',
    '| what | samples | p50 ms | p99 ms | max ms | target | result |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    `| steady, before the step (idle) | ${idle.n} | ${f(idle.p50)} | ${f(idle.p99)} | ${f(idle.max)} | | |`,
    `| steady, during the catch-up | ${during.n} | ${f(during.p50)} | ${f(during.p99)} | ${f(during.max)} | ≤ ${f(target)} (idle p99 + ${TARGET_MARGIN_MS}) | ${pass ? 'PASS' : 'FAIL'} |`,
    '',
    `- burst: ${catchUps.length} catch-up runs recorded in the ${AFTER_SECONDS} s window (at most 100 are queued per gap), at most ${concurrent} at a time (target: 1); missed record: ${missed ? `${missed.missed.count} fires` : 'none'}.`,
  ];
  process.stdout.write(`${lines.join('\n')}\n\n`);
  if (!pass) process.exitCode = 1;
} finally {
  await stopDaemon(daemon);
  await rm(root, { recursive: true, force: true });
}
