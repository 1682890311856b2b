// Benchmark of scale: 10,000 schedules in 1,000 files — time to "all scheduled", memory, and idle CPU of the daemon.
// Run `npx tsc -p tsconfig.build.json` first. Env: SCALE_IDLE_SECONDS (idle CPU window, default 30).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import {
  positiveInt,
  readCpuSeconds,
  stopDaemon,
  waitForShards,
  spawnDaemon,
} from './lib/daemon.js';

const FILES = 1_000;
const PER_FILE = 10;
const SCHEDULES = FILES * PER_FILE;
const IDLE_SECONDS = positiveInt('SCALE_IDLE_SECONDS', 30);
const TARGET_START_MS = 3_000;
const TARGET_RSS_MB = 300;
const TARGET_IDLE_CPU = 1;

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Tokyo',
  'Australia/Sydney',
  'America/Los_Angeles',
  'Asia/Kolkata',
  'Europe/London',
  'Pacific/Auckland',
  'America/Sao_Paulo',
];
const MONTH_NAMES = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
];

/** Months at least two away from the current one: no schedule below can fire while the benchmark runs. */
function quietMonths(now) {
  const current = now.getUTCMonth() + 1;
  return Array.from({ length: 12 }, (_, i) => i + 1).filter((m) => {
    const distance = Math.abs(m - current);
    return Math.min(distance, 12 - distance) >= 2;
  });
}

/** A realistic mix of expressions, each restricted to a month that is not now or next: yearly-ish. */
function renderExpression(n, months) {
  const month = months[n % months.length];
  const other = months[(n + 3) % months.length];
  const minute = (n * 7) % 60;
  const hour = (n * 5) % 24;
  const day = 1 + (n % 28);
  switch (n % 10) {
    case 0:
      return `${minute} ${hour} ${day} ${month} *`;
    case 1:
      return `${n % 60} ${minute} ${hour} ${day} ${month} *`;
    case 2:
      return `${minute} ${hour} 1,15 ${MONTH_NAMES[month - 1]} *`;
    case 3:
      return `${minute} ${hour} * ${month} 1-5`;
    case 4:
      return `*/15 ${hour} ${day} ${month} *`;
    case 5:
      return `${minute} 2 L ${month} *`;
    case 6:
      return `${minute} 9 * ${month} 5#2`;
    case 7:
      return `${minute} ${hour}-${Math.min(23, hour + 3)} ${day} ${month},${other} *`;
    case 8:
      return `0 ${minute} */6 ${day} ${MONTH_NAMES[month - 1]} *`;
    default:
      return `${minute} ${hour} 10-12 ${month} *`;
  }
}

function renderTask(n) {
  switch (n % 3) {
    case 0:
      return {
        command: ['pg_dump', '-Fc', '-f', '/backups/{{ date }}-{{ params.database }}.dump'],
        env: { PGHOST: 'db', RUN: '{{ runId }}' },
      };
    case 1:
      return {
        shell:
          'find /srv/cache -mtime +{{ params.retentionDays }} -delete && echo "{{ name }} {{ datetime }}"',
        workingDir: '/tmp',
      };
    default:
      return {
        http: {
          url: 'http://127.0.0.1:9/sync/{{ name }}',
          method: 'POST',
          body: { scheduled: '{{ scheduledTime }}' },
        },
      };
  }
}

function renderSchedule(n, months) {
  const name = `job-${String(n).padStart(5, '0')}`;
  const spec = {
    schedule: renderExpression(n, months),
    timezone: ZONES[n % ZONES.length],
    concurrencyPolicy: ['Forbid', 'Allow', 'Replace', 'Queue'][n % 4],
    startingDeadline: `${1 + (n % 4)}h`,
    timeout: `${5 + (n % 50)}m`,
    retries: { limit: n % 3, backoff: 'exponential', delay: '30s', maxDelay: '10m' },
    params: { retentionDays: 7 + (n % 60), database: ['app', 'auth', 'billing'][n % 3] },
    task: renderTask(n),
    history: { successfulRunsLimit: 20, failedRunsLimit: 50 },
    ...(n % 5 === 0
      ? { notify: [{ on: ['failure'], webhook: { url: 'http://127.0.0.1:9/hook/{{ name }}' } }] }
      : {}),
  };
  const metadata = {
    name,
    description: `Generated schedule ${n}`,
    labels: { team: `team-${n % 7}`, tier: n % 3 === 0 ? 'critical' : 'normal' },
  };
  return stringify(
    { apiVersion: 'cronops/v1', kind: 'Schedule', metadata, spec },
    { lineWidth: 0 },
  );
}

async function writeManifests(dir) {
  const months = quietMonths(new Date());
  for (let file = 0; file < FILES; file += 1) {
    const docs = Array.from({ length: PER_FILE }, (_, i) =>
      renderSchedule(file * PER_FILE + i, months),
    );
    await writeFile(
      join(dir, `team-${String(file).padStart(4, '0')}.yaml`),
      `# Schedules of team ${file}\n${docs.join('---\n')}`,
    );
  }
}

/** Start the built daemon; `started` resolves with the `cronops started` log line and when it was read. */
function startDaemon(dir, state) {
  const spawnedAt = performance.now();
  const proc = spawnDaemon(dir, state);
  let stderr = '';
  const errors = [];
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let watchingMs;
  const started = new Promise((resolve, reject) => {
    let buffered = '';
    proc.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.includes('"cronops started"'))
          resolve({ line: JSON.parse(line), ms: performance.now() - spawnedAt });
        else if (line.includes('"watching for changes"'))
          watchingMs = performance.now() - spawnedAt;
        else if (line.startsWith('{"level":50') || line.startsWith('{"level":60'))
          errors.push(line.slice(0, 300));
      }
    });
    void exited.then(({ code, signal }) =>
      reject(
        new Error(`daemon exited (${code ?? signal}) before starting: ${stderr.slice(-2000)}`),
      ),
    );
  });
  return { proc, started, exited, errors, watchingMs: () => watchingMs };
}

function readRssMb(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** Poll status.json until it lists `count` schedules; resolves with the time it took. */
async function waitForStatus(state, count, timeoutMs) {
  const began = performance.now();
  for (;;) {
    try {
      const status = JSON.parse(await readFile(join(state, 'status.json'), 'utf8'));
      if (status.schedules?.length === count) return { ms: performance.now() - began, status };
    } catch {
      // Not written yet, or being replaced: try again.
    }
    if (performance.now() - began > timeoutMs)
      throw new Error(`status.json did not list ${count} schedules within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** One start of the daemon on `dir`: start time, status, RSS; optionally idle CPU. */
async function measureStart(dir, state, idleSeconds) {
  const daemon = startDaemon(dir, state);
  try {
    const started = await daemon.started;
    const rssAtStart = readRssMb(daemon.proc.pid);
    const startCpuSeconds = readCpuSeconds(daemon.proc.pid).own;
    const { ms: statusMs, status } = await waitForStatus(state, SCHEDULES, 60_000);
    const result = {
      startMs: started.ms,
      startCpuSeconds,
      logged: started.line.schedules,
      statusMs,
      statusSchedules: status.schedules.length,
      configErrors: status.summary?.invalidFiles ?? 0,
      rssAtStart,
      errors: daemon.errors,
    };
    if (idleSeconds > 0) {
      // A cold start writes a watermark per new schedule: idle begins once they are all on disk.
      const settled = performance.now();
      await waitForShards(state, SCHEDULES, 600_000);
      result.settleMs = performance.now() - settled + statusMs;
      await sleep(2_000);
      const cpuBefore = readCpuSeconds(daemon.proc.pid).own;
      const before = performance.now();
      await sleep(idleSeconds * 1000);
      const cpuAfter = readCpuSeconds(daemon.proc.pid).own;
      result.idleCpuPercent =
        ((cpuAfter - cpuBefore) / ((performance.now() - before) / 1000)) * 100;
      result.idleCpuSeconds = cpuAfter - cpuBefore;
      result.rssIdle = readRssMb(daemon.proc.pid);
    }
    for (let waited = 0; daemon.watchingMs() === undefined && waited < 30_000; waited += 100)
      await sleep(100);
    result.watchingMs = daemon.watchingMs();
    result.rssPeak =
      Number(
        /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${daemon.proc.pid}/status`, 'utf8'))?.[1] ??
          NaN,
      ) / 1024;
    const runs = await readFile(join(state, 'status.json'), 'utf8').then(
      (text) => JSON.parse(text).summary?.running ?? 0,
    );
    result.running = runs;
    return result;
  } finally {
    await stopDaemon(daemon);
  }
}

// SCALE_WRITE_TO=DIR: only write the 1,000 manifests to DIR (to profile or try the daemon on them), then exit.
if (process.env.SCALE_WRITE_TO) {
  await mkdir(process.env.SCALE_WRITE_TO, { recursive: true });
  await writeManifests(process.env.SCALE_WRITE_TO);
  process.exit(0);
}

const root = await mkdtemp(join(tmpdir(), 'cronops-bench-scale-'));
let cold;
let warm;
try {
  const dir = join(root, 'schedules.d');
  const state = join(root, 'state');
  await mkdir(dir);
  await writeManifests(dir);
  cold = await measureStart(dir, state, IDLE_SECONDS);
  // A restart: the same directory, the history of the first start already on disk.
  warm = await measureStart(dir, state, 0);
} finally {
  await rm(root, { recursive: true, force: true });
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
const complete = (r) => r.logged === SCHEDULES && r.statusSchedules === SCHEDULES;
const startOk = (r) => complete(r) && r.startMs <= TARGET_START_MS;
const rssOk = cold.rssIdle <= TARGET_RSS_MB && cold.rssAtStart <= TARGET_RSS_MB;
const cpuOk = cold.idleCpuPercent <= TARGET_IDLE_CPU;
const pass = startOk(cold) && startOk(warm) && rssOk && cpuOk;

const lines = [
  '## Scale: 10,000 schedules in 1,000 files (bench/scale.js)',
  '',
  `${FILES.toLocaleString('en')} files × ${PER_FILE} schedules: mixed 5- and 6-field expressions (lists, ranges, steps, names, \`L\`, \`#\`), ` +
    `${ZONES.length} time zones, command/shell/http tasks with templates, params, retries and notifications; every one restricted ` +
    'to months at least two away, so none fires while measured. One cold start (empty state directory), one restart on its state. ' +
    `Start = process spawn → the \`cronops started\` log line (with \`--log-format json\`, \`--watch auto\`). CPU = the daemon's user + system time until then (above the wall time when start-up work runs on libuv threads, below it when the machine is busy). Idle CPU over ${IDLE_SECONDS} s, from /proc/<pid>/stat.`,
  '',
  '| measure | value | target | result |',
  '| --- | ---: | ---: | --- |',
  `| cold start → \`cronops started\` (schedules logged: ${cold.logged}) | ${fmt(cold.startMs)} ms (CPU ${fmt(cold.startCpuSeconds, 1)} s) | ≤ ${TARGET_START_MS} ms | ${verdict(startOk(cold))} |`,
  `| restart → \`cronops started\` (schedules logged: ${warm.logged}) | ${fmt(warm.startMs)} ms (CPU ${fmt(warm.startCpuSeconds, 1)} s) | ≤ ${TARGET_START_MS} ms | ${verdict(startOk(warm))} |`,
  `| status.json lists all schedules (cold / restart) | ${cold.statusSchedules} / ${warm.statusSchedules}, +${fmt(cold.statusMs)} / +${fmt(warm.statusMs)} ms after | ${SCHEDULES} | ${verdict(complete(cold) && complete(warm))} |`,
  `| RSS after start / after idle (peak) | ${fmt(cold.rssAtStart)} / ${fmt(cold.rssIdle)} MB (${fmt(cold.rssPeak)}) | ≤ ${TARGET_RSS_MB} MB | ${verdict(rssOk)} |`,
  `| idle CPU, % of one core over ${IDLE_SECONDS} s | ${fmt(cold.idleCpuPercent, 2)} % (${fmt(cold.idleCpuSeconds, 2)} s) | ≤ ${TARGET_IDLE_CPU} % | ${verdict(cpuOk)} |`,
  '',
];
lines.push(
  `- \`watching for changes\` (the watcher ready, after every schedule is loaded): ${fmt(cold.watchingMs)} ms after spawn (cold), ${fmt(warm.watchingMs)} ms (restart).`,
  `- Cold start: the start-up history writes (a watermark shard per new schedule) were all on disk ${fmt(cold.settleMs)} ms after \`cronops started\`; ` +
    'the idle window began 2 s later.',
);
for (const [label, r] of [
  ['cold', cold],
  ['restart', warm],
]) {
  if (r.configErrors > 0) lines.push(`- ${label}: ${r.configErrors} manifest files were invalid`);
  if (r.running > 0)
    lines.push(
      `- ${label}: ${r.running} runs were in progress (a schedule fired during the measurement)`,
    );
  for (const error of r.errors.slice(0, 3)) lines.push(`- ${label}: logged error: \`${error}\``);
}
lines.push(
  '',
  `Overall: ${pass ? 'PASS' : 'FAIL'} (targets: start ≤ ${TARGET_START_MS / 1000} s, RSS ≤ ${TARGET_RSS_MB} MB, idle CPU ≤ ${TARGET_IDLE_CPU} %)`,
);
process.stdout.write(`${lines.join('\n')}\n`);
