// Benchmark of a burst: 1,000 schedules due in the same second, against the machine's own spawn rate.
// Run `npx tsc -p tsconfig.build.json` first. Env: BURST_SCHEDULES (default 1000), BURST_LEAD_SECONDS (how far
// ahead of the daemon's start the burst is placed, default 15).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  manifest,
  positiveInt,
  readCpuSeconds,
  readRuns,
  stopDaemon,
  spawnDaemon,
} from './lib/daemon.js';

const JOB = 'echo $(date +%s.%N)';
const SCHEDULES = positiveInt('BURST_SCHEDULES', 1000);
const LEAD_SECONDS = positiveInt('BURST_LEAD_SECONDS', 15);
const PER_FILE = 100;
const TARGET_FACTOR = 1.5;
const PARALLEL = availableParallelism();

/** CPU seconds used between two readCpuSeconds readings: by the process itself (`spawner`) and by its jobs. */
function cpuUsed(before, after) {
  return { spawner: after.own - before.own, jobs: after.children - before.children };
}

/** A `date +%s.%N` line as milliseconds since the epoch, keeping microseconds. */
function printedMs(printed) {
  const match = /^(\d+)\.(\d{9})/.exec(printed.trim());
  if (!match) throw new Error(`job output is not a timestamp: ${JSON.stringify(printed)}`);
  return Number(match[1]) * 1000 + Number(match[2]) / 1e6;
}

/** Spawn `count` jobs from Node, `parallel` at a time, each awaited until it exits; the start times they print. */
async function spawnBaseline(count, parallel) {
  const starts = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const out = await new Promise((resolve, reject) => {
        const child = spawn('sh', ['-c', JOB], { stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        child.stdout.on('data', (chunk) => (text += chunk));
        child.on('error', reject);
        child.on('close', () => resolve(text));
      });
      starts.push(printedMs(out));
    }
  };
  const began = Date.now();
  await Promise.all(Array.from({ length: parallel }, worker));
  const ended = Date.now();
  starts.sort((a, b) => a - b);
  return { firstToLast: starts.at(-1) - starts[0], wallMs: ended - began, count: starts.length };
}

/**
 * Spawn `count` jobs from Node in one loop, none awaited before the next starts (what a daemon facing a burst
 * does), with `child_process.spawn` or with execa as the daemon calls it; the start times they print.
 * For comparison only: the target's baseline is the faster of the awaited ones above.
 */
async function spawnLoop(count, how) {
  const { execa } = await import('execa');
  const outputs = [];
  for (let i = 0; i < count; i += 1) {
    outputs.push(
      new Promise((resolve, reject) => {
        let text = '';
        const child =
          how === 'execa'
            ? execa('/bin/sh', ['-c', JOB], {
                reject: false,
                detached: true,
                buffer: false,
                stdin: 'ignore',
                stdout: 'pipe',
                stderr: 'pipe',
                env: { CRONOPS_RUN_ID: String(i) },
              })
            : spawn('/bin/sh', ['-c', JOB], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        child.stdout.on('data', (chunk) => (text += chunk));
        child.stderr.resume();
        if (how === 'execa') child.then(() => resolve(text), reject);
        else {
          child.on('error', reject);
          child.on('close', () => resolve(text));
        }
      }),
    );
  }
  const starts = (await Promise.all(outputs)).map(printedMs).sort((a, b) => a - b);
  return { firstToLast: starts.at(-1) - starts[0] };
}

/** Start the built daemon; resolves once it logged `cronops started`; counts finished runs as it logs them. */
function startDaemon(dir, state) {
  const proc = spawnDaemon(dir, state, { shutdownGrace: '5s' });
  const daemon = { proc, finished: 0, started: undefined, exited: undefined };
  let stderr = '';
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  daemon.exited = new Promise((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  daemon.started = new Promise((resolve, reject) => {
    let buffered = '';
    proc.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.includes('"cronops started"')) resolve(JSON.parse(line));
        else if (
          /"msg":"(run (succeeded|failed|timedOut|interrupted|cancelled)|fire (skipped|missed)|fires missed)"/.test(
            line,
          )
        )
          daemon.finished += 1;
      }
    });
    void daemon.exited.then(({ code, signal }) =>
      reject(
        new Error(`daemon exited (${code ?? signal}) before starting: ${stderr.slice(-2000)}`),
      ),
    );
  });
  return daemon;
}

async function measureDaemon(count) {
  const root = await mkdtemp(join(tmpdir(), 'cronops-bench-burst-'));
  const dir = join(root, 'schedules.d');
  const state = join(root, 'state');
  await mkdir(dir);
  let daemon;
  try {
    // One instant, at a given second and minute (so it fires once an hour): exactly one burst is measured.
    const instantMs = Math.ceil((Date.now() + LEAD_SECONDS * 1000) / 1000) * 1000;
    const at = new Date(instantMs);
    const expression = `${at.getUTCSeconds()} ${at.getUTCMinutes()} * * * *`;
    const names = Array.from({ length: count }, (_, i) => `burst-${String(i).padStart(4, '0')}`);
    for (let start = 0; start < count; start += PER_FILE) {
      const docs = names
        .slice(start, start + PER_FILE)
        .map((name) => manifest(name, { schedule: expression, task: { shell: JOB } }));
      await writeFile(
        join(dir, `burst-${String(start / PER_FILE).padStart(3, '0')}.yaml`),
        docs.join('\n---\n'),
      );
    }
    daemon = startDaemon(dir, state);
    const started = await daemon.started;
    const startedBeforeMs = instantMs - Date.now();
    if (started.schedules !== count)
      throw new Error(`expected ${count} schedules, the daemon started ${started.schedules}`);
    if (startedBeforeMs < 1000)
      throw new Error(
        `the daemon started ${-startedBeforeMs} ms after the burst's lead; raise BURST_LEAD_SECONDS`,
      );
    // The daemon's CPU from just before the instant until every run has finished (and been reaped).
    await sleep(Math.max(0, instantMs - 300 - Date.now()));
    const cpuBefore = readCpuSeconds(daemon.proc.pid);
    const deadline = instantMs + 120_000;
    while (daemon.finished < count && Date.now() < deadline) await sleep(100);
    const waitedMs = Date.now() - instantMs;
    const cpuAfter = readCpuSeconds(daemon.proc.pid);
    const cpu = cpuUsed(cpuBefore, cpuAfter);
    await stopDaemon(daemon);

    const scheduledAt = at.toISOString();
    const starts = [];
    const attemptStarts = [];
    const statuses = new Map();
    let recorded = 0;
    let lostOutput = 0;
    for (const name of names) {
      const runs = (await readRuns(state, name)).filter((run) => run.scheduledAt === scheduledAt);
      recorded += runs.length > 0 ? 1 : 0;
      for (const run of runs) {
        statuses.set(run.status, (statuses.get(run.status) ?? 0) + 1);
        const attempt = run.attempts[0];
        if (run.status !== 'succeeded') continue;
        if (!attempt?.outputTail) {
          // Recorded succeeded, but the timestamp the job printed is not in its output tail.
          lostOutput += 1;
          continue;
        }
        starts.push(printedMs(attempt.outputTail));
        attemptStarts.push(Date.parse(attempt.startedAt));
      }
    }
    starts.sort((a, b) => a - b);
    attemptStarts.sort((a, b) => a - b);
    return {
      expression,
      count,
      recorded,
      statuses,
      startedBeforeMs,
      waitedMs,
      cpu,
      succeeded: starts.length,
      lostOutput,
      firstLate: starts[0] - instantMs,
      medianLate: starts[Math.floor(starts.length / 2)] - instantMs,
      lastLate: starts.at(-1) - instantMs,
      firstToLast: starts.at(-1) - starts[0],
      spawnFirstToLast: attemptStarts.at(-1) - attemptStarts[0],
      spawnFirstLate: attemptStarts[0] - instantMs,
    };
  } finally {
    if (daemon) await stopDaemon(daemon);
    await rm(root, { recursive: true, force: true });
  }
}

const fmt = (ms) => (Number.isFinite(ms) ? ms.toFixed(0) : '-');

/** `measure()`'s result with the CPU seconds this process and its jobs used meanwhile. */
async function withCpu(measure) {
  const before = readCpuSeconds();
  const result = await measure();
  return { ...result, cpu: cpuUsed(before, readCpuSeconds()) };
}

const sequential = await withCpu(() => spawnBaseline(SCHEDULES, 1));
const parallel = await withCpu(() => spawnBaseline(SCHEDULES, PARALLEL));
const loop = await withCpu(() => spawnLoop(SCHEDULES, 'spawn'));
const execaLoop = await withCpu(() => spawnLoop(SCHEDULES, 'execa'));
const burst = await measureDaemon(SCHEDULES);

const baseline = Math.min(sequential.firstToLast, parallel.firstToLast);
const limit = TARGET_FACTOR * baseline;
const complete = burst.recorded === SCHEDULES && burst.succeeded === SCHEDULES;
const pass = complete && burst.firstToLast <= limit;
const statusText = [...burst.statuses].map(([status, n]) => `${n} ${status}`).join(', ') || 'none';

/** The CPU columns: seconds used by the starting process and by the jobs, and their sum spread over the cores. */
const cpuCells = ({ spawner, jobs }) =>
  `${spawner.toFixed(2)} / ${jobs.toFixed(2)} | ${fmt(((spawner + jobs) * 1000) / PARALLEL)}`;

const lines = [
  '## Burst: 1,000 schedules due in the same second (bench/burst.js)',
  '',
  `${SCHEDULES.toLocaleString('en')} schedules \`${burst.expression}\` (UTC, one instant), each \`sh -c '${JOB}'\`; start times are what the jobs print. ` +
    `Baseline: the same ${SCHEDULES.toLocaleString('en')} processes spawned from Node with \`child_process.spawn\`, each awaited until it exits. ` +
    'For comparison (not the target): the same processes started in one loop without waiting, as a daemon facing a burst starts them, with `child_process.spawn` and with execa called as the daemon calls it.',
  '',
  '| what | first → last start ms | first start late ms | median late ms | last start late ms | CPU s: starter / jobs | CPU ÷ cores ms | target | result |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  `| baseline: spawn from Node, 1 at a time | ${fmt(sequential.firstToLast)} | | | | ${cpuCells(sequential.cpu)} | | |`,
  `| baseline: spawn from Node, ${PARALLEL} at a time (cores) | ${fmt(parallel.firstToLast)} | | | | ${cpuCells(parallel.cpu)} | | |`,
  `| for comparison: one loop of \`child_process.spawn\`, none awaited | ${fmt(loop.firstToLast)} | | | | ${cpuCells(loop.cpu)} | | |`,
  `| for comparison: one loop of execa calls as the daemon makes them, none awaited | ${fmt(execaLoop.firstToLast)} | | | | ${cpuCells(execaLoop.cpu)} | | |`,
  `| cronops daemon | ${fmt(burst.firstToLast)} | ${fmt(burst.firstLate)} | ${fmt(burst.medianLate)} | ${fmt(burst.lastLate)} | ${cpuCells(burst.cpu)} | ≤ ${fmt(limit)} (${TARGET_FACTOR} × ${fmt(baseline)}) | ${pass ? 'PASS' : 'FAIL'} |`,
  '',
  `- Runs recorded with scheduledAt = the burst instant: ${burst.recorded} of ${SCHEDULES} schedules (${statusText}); ` +
    `${burst.succeeded} with the printed start time in their output tail` +
    (burst.lostOutput > 0
      ? `; **${burst.lostOutput} recorded succeeded with an empty output tail** (the job's output was lost)`
      : '') +
    '.',
  `- The daemon's own attempt start times (just before each spawn): first ${fmt(burst.spawnFirstLate)} ms late, first → last ${fmt(burst.spawnFirstToLast)} ms; ` +
    `the difference to the printed times is spawn → first instruction.`,
  `- CPU: user + system seconds from /proc of the process that starts the jobs (this benchmark, or the daemon from 0.3 s before the instant until every run finished) and of the jobs it waited for. ` +
    `"CPU ÷ cores" is how long that work takes with all ${PARALLEL} cores busy all along: however the starts are spread over threads or processes, first → last cannot be much shorter.`,
  `- The daemon was ready ${fmt(burst.startedBeforeMs)} ms before the instant; all runs were finished ${fmt(burst.waitedMs)} ms after it.`,
  '- For scale (published measurements): Vixie cron took 1.4 s first → last for 1,000 starts; node-cron used by hand 0.75 s (last job 1.0 s late).',
  '',
  `Overall: ${pass ? 'PASS' : 'FAIL'} (target: all ${SCHEDULES.toLocaleString('en')} run, first → last ≤ ${TARGET_FACTOR} × the faster baseline)`,
];
process.stdout.write(`${lines.join('\n')}\n`);
