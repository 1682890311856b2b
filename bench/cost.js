// Benchmark of what a fire costs, side by side in the same minutes: the cronops daemon, node-cron used by hand
// and a bare Node loop, each starting the same jobs at its own second of every minute; then idle CPU and memory
// with many schedules loaded. Run `npx tsc -p tsconfig.build.json` first. Env: COST_JOBS (jobs due together,
// default "100,1000"), COST_MINUTES (measured minutes per job count, default 2), COST_IDLE_SCHEDULES (default
// "1000,10000"), COST_IDLE_SECONDS (idle window, default 60), COST_IDLE_SETTLE_SECONDS (wait before it, default 45),
// COST_PARTS (which parts run, default "busy,idle"; "idle" alone measures only the idle part).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { positiveInt, readCpuSeconds, stopDaemon, waitForShards } from './lib/daemon.js';
import { readMemoryMb, startCronops, startScript } from './lib/cost-starters.js';
import { jobText, readLog, scoreFires } from './lib/cost-score.js';

/** A comma-separated list of whole numbers >= 1 from the environment variable `name`. */
function positiveInts(name, fallback) {
  const text = process.env[name] ?? fallback;
  const values = text.split(',').map(Number);
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1))
    throw new Error(`${name}: expected whole numbers >= 1 separated by commas, got "${text}"`);
  return values;
}

const JOB_COUNTS = positiveInts('COST_JOBS', '100,1000');
const MINUTES = positiveInt('COST_MINUTES', 2);
const IDLE_COUNTS = positiveInts('COST_IDLE_SCHEDULES', '1000,10000');
const IDLE_SECONDS = positiveInt('COST_IDLE_SECONDS', 60);
/**
 * The idle window opens this long after the start-up writes are on disk: past the tail of start-up (the parse
 * cache written in steps, V8's memory reducer collecting the heap start-up grew, 15-25 s after start), whose
 * CPU is reported on its own.
 */
const IDLE_SETTLE_SECONDS = positiveInt('COST_IDLE_SETTLE_SECONDS', 45);
const PARTS = (process.env.COST_PARTS ?? 'busy,idle').split(',');
if (PARTS.length === 0 || PARTS.some((part) => part !== 'busy' && part !== 'idle'))
  throw new Error(
    `COST_PARTS: expected "busy", "idle" or "busy,idle", got "${process.env.COST_PARTS}"`,
  );
/**
 * The second of the minute each starter fires at. They are spread so that one's burst is over before the next
 * one's begins: cronops took up to 19 s for 1,000 jobs, the bare loops 12–13 s, node-cron by hand 2 s. The last
 * is not a target: the bare loop keeping its jobs' output as cronops does (two pipes per job, read to the end,
 * each job in its own process group), the floor for a starter that records what its jobs print.
 */
const STARTERS = [
  { key: 'cronops', label: 'cronops daemon', second: 0 },
  { key: 'node-cron', label: 'node-cron by hand', second: 22 },
  { key: 'bare', label: 'bare Node loop', second: 26 },
  { key: 'bare-output', label: 'bare Node loop keeping output', second: 42 },
];
/** CPU is read this long before the window's first whole minute, and as long before its end. */
const CPU_LEAD_MS = 3000;
const TARGET_CPU_FACTOR = 1.5;
const TARGET_P99_FACTOR = 1.1;
const TARGET_RSS_MB = 150;

const startLoad = loadavg();
const startedAt = Date.now();

/** A fresh temp root with a schedules directory for the daemon. */
async function makeRoot(label) {
  const root = await mkdtemp(join(tmpdir(), `cronops-bench-cost-${label}-`));
  const dir = join(root, 'schedules.d');
  await mkdir(dir);
  return { root, dir, state: join(root, 'state') };
}

/** The name of job `i`, also the id it writes to its log. */
const jobName = (i) => `job-${String(i).padStart(5, '0')}`;

/**
 * N jobs due together at each starter's second of every minute, all three starters running at once; CPU of
 * each over MINUTES whole minutes and the lateness of every fire due in them.
 */
async function measureBusy(jobs) {
  const { root, dir, state } = await makeRoot(`busy${jobs}`);
  const running = [];
  try {
    const logs = Object.fromEntries(STARTERS.map((s) => [s.key, join(root, `${s.key}.log`)]));
    const names = Array.from({ length: jobs }, (_, i) => jobName(i));
    const schedulesOf = ({ key, second }) =>
      names.map((name) => ({
        name,
        expression: `${second} * * * * *`,
        job: jobText(name, logs[key]),
      }));
    const [cronopsSpec, cronSpec, bareSpec, outputSpec] = STARTERS;
    running.push(await startCronops(dir, state, schedulesOf(cronopsSpec)));
    running.push(
      await startScript('node-cron', join(root, 'node-cron.json'), {
        schedules: schedulesOf(cronSpec),
      }),
    );
    running.push(
      await startScript('bare', join(root, 'bare.json'), {
        second: bareSpec.second,
        jobs: schedulesOf(bareSpec).map((s) => s.job),
      }),
    );
    running.push(
      await startScript('bare', join(root, 'bare-output.json'), {
        second: outputSpec.second,
        jobs: schedulesOf(outputSpec).map((s) => s.job),
        output: true,
      }),
    );
    // The daemon writes a watermark per new schedule at start-up; the window opens once they are on disk.
    await waitForShards(state, jobs, 300_000);
    const baseMs = Math.ceil((Date.now() + CPU_LEAD_MS + 2000) / 60_000) * 60_000;
    const endMs = baseMs + MINUTES * 60_000;
    await sleep(baseMs - CPU_LEAD_MS - Date.now());
    const before = running.map((s) => readCpuSeconds(s.proc.pid).own);
    await sleep(endMs - CPU_LEAD_MS - Date.now());
    const after = running.map((s) => readCpuSeconds(s.proc.pid).own);
    await Promise.all(running.map((s) => stopDaemon(s)));
    const results = [];
    for (const [i, starter] of STARTERS.entries()) {
      const score = scoreFires(await readLog(logs[starter.key]), {
        baseMs,
        second: starter.second,
        minutes: MINUTES,
        jobs,
      });
      const cpuSeconds = after[i] - before[i];
      results.push({
        ...starter,
        ...score,
        cpuSeconds,
        cpuPerJobMs: (cpuSeconds * 1000) / score.started,
      });
    }
    return { jobs, results };
  } finally {
    await Promise.all(running.map((s) => stopDaemon(s)));
    await rm(root, { recursive: true, force: true });
  }
}

/** The rows of the idle part, in the order measureIdle returns them. */
const IDLE_STARTERS = [STARTERS[0].label, STARTERS[1].label, 'idle Node (floor)'];

/**
 * `count` schedules loaded in cronops and in node-cron by hand, none due for months (day 1 of a month six
 * months away), beside a Node process with nothing loaded (the floor): CPU over IDLE_SECONDS and memory at its
 * end, all three measured over the same seconds.
 */
async function measureIdle(count) {
  const { root, dir, state } = await makeRoot(`idle${count}`);
  const running = [];
  try {
    const month = ((new Date().getUTCMonth() + 6) % 12) + 1;
    const log = join(root, 'never.log');
    const schedules = Array.from({ length: count }, (_, i) => ({
      name: jobName(i),
      expression: `${i % 60} ${Math.floor(i / 60) % 24} 1 ${month} *`,
      job: jobText(jobName(i), log),
    }));
    running.push(await startCronops(dir, state, schedules));
    running.push(await startScript('node-cron', join(root, 'node-cron.json'), { schedules }));
    running.push(await startScript('floor', join(root, 'floor.json'), {}));
    await waitForShards(state, count, 300_000);
    const settling = running.map((s) => readCpuSeconds(s.proc.pid).own);
    await sleep(IDLE_SETTLE_SECONDS * 1000);
    const load = loadavg()[0];
    const before = running.map((s) => readCpuSeconds(s.proc.pid).own);
    await sleep(IDLE_SECONDS * 1000);
    const after = running.map((s) => readCpuSeconds(s.proc.pid).own);
    const memory = running.map((s) => readMemoryMb(s.proc.pid));
    return running.map((s, i) => ({
      label: IDLE_STARTERS[i],
      settleCpu: before[i] - settling[i],
      cpuPerMinute: ((after[i] - before[i]) * 60) / IDLE_SECONDS,
      load,
      ...memory[i],
    }));
  } finally {
    await Promise.all(running.map((s) => stopDaemon(s)));
    await rm(root, { recursive: true, force: true });
  }
}

const ms = (value) => (value === Infinity ? '∞' : Number.isFinite(value) ? value.toFixed(0) : '-');
const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');

const busy = [];
if (PARTS.includes('busy')) for (const jobs of JOB_COUNTS) busy.push(await measureBusy(jobs));
const idle = [];
if (PARTS.includes('idle'))
  for (const count of IDLE_COUNTS) idle.push({ count, rows: await measureIdle(count) });

const lines = [
  '## Cost of a fire: cronops, node-cron by hand and a bare loop side by side (bench/cost.js)',
  '',
  `Machine at the start: load average ${startLoad.map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min), ` +
    `Node ${process.version}, ${availableParallelism()} cores.`,
];
if (busy.length > 0)
  lines.push(
    '',
    `N jobs due together at one second of every minute, for ${MINUTES} whole minute${MINUTES === 1 ? '' : 's'}, the three starters running at once, ` +
      `each at its own second (${STARTERS.map((s) => `${s.label} :${String(s.second).padStart(2, '0')}`).join(', ')}). ` +
      "Every job is `sh -c 'echo ID $(date +%s.%N) >> LOG'`, each starter with its own log; lateness = printed time − instant, " +
      'a fire that never ran counts as infinitely late (∞); p99 is nearest-rank. ' +
      "CPU is the starter's own (utime + stime from /proc/<pid>/stat, not its jobs'), " +
      `from ${CPU_LEAD_MS / 1000} s before the first minute to ${CPU_LEAD_MS / 1000} s before the end, ÷ the jobs it started in the window. ` +
      'node-cron by hand is `schedule(expression, () => spawn(...))` per job; the bare loop sleeps to the instant and spawns every job in one loop ' +
      "with its output discarded (`stdio: 'ignore'`); the bare loop keeping output does the same with each job's stdout and stderr piped and read, " +
      'in its own process group (`detached`), as cronops starts a job: not a target, the floor for a starter that keeps what its jobs print.',
    '',
    '| N | starter | ran of expected | CPU s | CPU per job ms | lateness p50 ms | p99 ms | max ms | first → last ms (worst minute) |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
for (const { jobs, results } of busy) {
  for (const r of results) {
    const ran = `${r.ran} of ${r.expected}${r.duplicates > 0 ? ` (+${r.duplicates} twice)` : ''}`;
    lines.push(
      `| ${jobs.toLocaleString('en')} | ${r.label} | ${ran} | ${fixed(r.cpuSeconds, 2)} | ${fixed(r.cpuPerJobMs, 2)} | ` +
        `${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${ms(r.firstToLast)} |`,
    );
  }
}
// A burst that runs into the next starter's second competes with it: the lead should see that.
const overlaps = busy.flatMap(({ jobs, results }) =>
  results.flatMap((r, i) => {
    const next = STARTERS[(i + 1) % STARTERS.length];
    const gapMs = (((next.second - r.second + 59) % 60) + 1) * 1000;
    return r.lastLate >= gapMs
      ? [
          `- **N = ${jobs}: ${r.label}'s last start came ${ms(r.lastLate)} ms after its instant, in ${next.label}'s second: the bursts overlapped.**`,
        ]
      : [];
  }),
);
if (overlaps.length > 0) lines.push('', ...overlaps);
if (idle.length > 0)
  lines.push(
    '',
    `Idle: that many schedules loaded, none due for months, CPU over ${IDLE_SECONDS} s (the same seconds for all three) ` +
      'as seconds per minute, VmRSS at its end (VmHWM: the peak since start); the floor is a Node process with nothing ' +
      `loaded that only waits, and the load average (1 min) is read as the window opens. The window opens ${IDLE_SETTLE_SECONDS} s ` +
      "after cronops's start-up writes are on disk; the CPU of those seconds (start-up's tail: the parse cache written, " +
      "V8's memory reducer collecting the heap start-up grew) is its own column.",
    '',
    `| schedules | starter | CPU s in the ${IDLE_SETTLE_SECONDS} s before | idle CPU s per minute | RSS MB | peak MB | load |`,
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  );
for (const { count, rows } of idle) {
  for (const r of rows)
    lines.push(
      `| ${count.toLocaleString('en')} | ${r.label} | ${fixed(r.settleCpu, 2)} | ${fixed(r.cpuPerMinute, 3)} | ${fixed(r.rss, 0)} | ${fixed(r.peak, 0)} | ${fixed(r.load, 2)} |`,
    );
}

const checks = [];
const floors = [];
for (const { jobs, results } of busy) {
  const [cronops, nodeCron, bare, bareOutput] = results;
  const n = `N = ${jobs.toLocaleString('en')}`;
  floors.push(
    `- ${n}: the bare loop keeping output used ${fixed(bareOutput.cpuPerJobMs, 2)} ms of CPU per job, ` +
      `${fixed(bareOutput.cpuPerJobMs / bare.cpuPerJobMs, 2)} × the bare loop's; its p99 was ${ms(bareOutput.p99)} ms, ` +
      `${fixed(bareOutput.p99 / bare.p99, 2)} × the bare loop's.`,
  );
  const cpuLimit = TARGET_CPU_FACTOR * bare.cpuPerJobMs;
  checks.push([
    `CPU per job, ${n}`,
    `${fixed(cronops.cpuPerJobMs, 2)} ms`,
    `≤ ${fixed(cpuLimit, 2)} ms (${TARGET_CPU_FACTOR} × bare loop)`,
    cronops.cpuPerJobMs <= cpuLimit,
  ]);
  const p99Limit = TARGET_P99_FACTOR * bare.p99;
  checks.push([
    `lateness p99, ${n}`,
    `${ms(cronops.p99)} ms`,
    `≤ ${ms(p99Limit)} ms (${TARGET_P99_FACTOR} × bare loop)`,
    cronops.p99 <= p99Limit,
  ]);
  for (const q of ['p50', 'p99'])
    checks.push([
      `lateness ${q} against node-cron, ${n}`,
      `${ms(cronops[q])} ms`,
      `< ${ms(nodeCron[q])} ms (node-cron by hand)`,
      cronops[q] < nodeCron[q],
    ]);
}
for (const { count, rows } of idle) {
  const [cronops, nodeCron] = rows;
  const c = `${count.toLocaleString('en')} schedules`;
  checks.push([
    `idle CPU, ${c}`,
    `${fixed(cronops.cpuPerMinute, 3)} s/min`,
    `≤ ${fixed(nodeCron.cpuPerMinute, 3)} s/min (node-cron by hand)`,
    cronops.cpuPerMinute <= nodeCron.cpuPerMinute,
  ]);
  checks.push([
    `idle RSS, ${c}`,
    `${fixed(cronops.rss, 0)} MB`,
    `≤ ${TARGET_RSS_MB} MB`,
    cronops.rss <= TARGET_RSS_MB,
  ]);
}
if (floors.length > 0) lines.push('', ...floors);
lines.push('', '| target (cronops) | measured | limit | result |', '| --- | ---: | ---: | --- |');
for (const [what, value, limit, ok] of checks)
  lines.push(`| ${what} | ${value} | ${limit} | ${verdict(ok)} |`);
const pass = checks.every(([, , , ok]) => ok);
lines.push(
  '',
  `Took ${((Date.now() - startedAt) / 60_000).toFixed(1)} min. Overall: ${verdict(pass)} (targets from issue 18: CPU per job ≤ ${TARGET_CPU_FACTOR} × the bare loop's; ` +
    `p99 ≤ ${TARGET_P99_FACTOR} × the bare loop's and p50 and p99 below node-cron by hand's; idle CPU ≤ node-cron by hand's; ` +
    `RSS ≤ ${TARGET_RSS_MB} MB with 10,000 schedules)`,
);
process.stdout.write(`${lines.join('\n')}\n`);
