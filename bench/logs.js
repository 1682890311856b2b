// Benchmark: the CPU each log line costs the daemon, by destination, with stdout a pipe read by another process.
// Run `npx tsc -p tsconfig.build.json` first. LOG_LINES (100,000) lines per case and round, LOG_ROUNDS (5) rounds.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { destination as pinoDestination } from 'pino';
import { createLogger, flushLog, formatPrettyLine } from '../dist/shared/logger.js';
import { LogDestination } from '../dist/shared/log-destination.js';

const LINES = Number(process.env.LOG_LINES ?? 100_000);
const ROUNDS = Number(process.env.LOG_ROUNDS ?? 5);
const SELF = fileURLToPath(import.meta.url);

/** Each case is a logger on fd 1 and the level its lines are written at. */
const CASES = {
  'pino default: async SonicBoom (before)': () => ({
    logger: createLogger({ destination: pinoDestination({ fd: 1, sync: false }) }),
    level: 'info',
  }),
  'pino SonicBoom sync: a write(2) per line': () => ({
    logger: createLogger({ destination: pinoDestination({ fd: 1, sync: true }) }),
    level: 'info',
  }),
  'LogDestination, info (batched)': () => ({
    logger: createLogger({ format: 'json' }),
    level: 'info',
  }),
  'LogDestination, warn (synchronous)': () => ({
    logger: createLogger({ format: 'json' }),
    level: 'warn',
  }),
  'LogDestination, info, pretty format': () => ({
    logger: createLogger({ destination: new LogDestination({ format: formatPrettyLine }) }),
    level: 'info',
  }),
};

/** In the child: log LINES lines shaped like the daemon's `run started`, then report CPU and wall time on stderr. */
async function runCase(name) {
  const { logger, level } = CASES[name]();
  const write = (i) => {
    const run = logger.child({
      schedule: `burst-${i % 1000}`,
      runId: `01JBENCH${String(i).padStart(18, '0')}`,
    });
    const fields = { attempt: 1, trigger: 'schedule', scheduledAt: '2026-01-01T00:00:00.000Z' };
    run[level](fields, 'run started');
  };
  for (let i = 0; i < 2_000; i += 1) write(i); // warm-up: JIT, the first writes
  await settle(logger);
  const cpu = process.cpuUsage();
  const began = performance.now();
  for (let i = 0; i < LINES; i += 1) {
    write(i);
    // Yield now and then, as the daemon does between fires: timers and write callbacks get to run.
    if (i % 100 === 99) await new Promise((done) => setImmediate(done));
  }
  await settle(logger);
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - began;
  process.stderr.write(`${JSON.stringify({ cpuUs: used.user + used.system, wallMs })}\n`);
}

/** Everything logged so far is written: flushed (LogDestination) or drained (SonicBoom). */
async function settle(logger) {
  flushLog(logger);
  await new Promise((done) => logger.flush(() => done()));
}

/** In the parent: one case in a fresh process, its stdout a pipe read and dropped here. */
function measureCase(name) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, '--case', name], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let bytes = 0;
    let report = '';
    child.stdout.on('data', (chunk) => (bytes += chunk.length));
    child.stderr.on('data', (chunk) => (report += chunk));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${name}: exit ${code}: ${report}`));
      resolve({ ...JSON.parse(report.trim().split('\n').at(-1)), bytes });
    });
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const caseIndex = process.argv.indexOf('--case');
if (caseIndex !== -1) {
  await runCase(process.argv[caseIndex + 1]);
} else {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const results = Object.fromEntries(Object.keys(CASES).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    // Interleaved, so a change in the machine's load touches every case alike.
    for (const name of Object.keys(CASES)) results[name].push(await measureCase(name));
  }
  console.log('## Log lines: CPU per line by destination (`logs.js`)\n');
  console.log(
    `${LINES.toLocaleString('en')} lines of a \`run started\` shape per case and round, ${ROUNDS} rounds, each case in a fresh process whose stdout is a pipe read by the benchmark; medians. Load average at the start: ${load}.\n`,
  );
  console.log('| destination | CPU µs per line | wall µs per line | bytes per line |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, rounds] of Object.entries(results)) {
    const cpu = median(rounds.map((r) => r.cpuUs / LINES));
    const wall = median(rounds.map((r) => (r.wallMs * 1000) / LINES));
    const size = median(rounds.map((r) => r.bytes / (LINES + 2_000)));
    console.log(`| ${name} | ${cpu.toFixed(2)} | ${wall.toFixed(2)} | ${size.toFixed(0)} |`);
  }
  console.log(
    '\nA fire logs two lines (`run started`, `run <status>`). No target: the table says what each choice costs (docs/design/processes.md, "Log lines").',
  );
}
