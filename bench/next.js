// Benchmark: time to compute 1,000 next fire instants per expression, from a cold and a warm offset cache.
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { compileSchedule } from '../dist/cron/compile.js';
import { nextFires } from '../dist/cron/fires.js';
import { clearZoneOffsetCache, countIntlReads } from '../dist/cron/zone-offsets.js';

const COUNT = 1_000;
const TARGET_MS = 50;
const WARM_RUNS = 5;
const AFTER = new Date('2026-01-01T00:00:00Z');

const CASES = [
  { expression: '*/1 * * * * *', zone: 'UTC' },
  { expression: '*/15 * * * *', zone: 'UTC' },
  { expression: '*/15 * * * *', zone: 'America/New_York' },
  { expression: '30 2 * * *', zone: 'America/New_York' },
  { expression: '0 0 1,15 * 5', zone: 'Pacific/Chatham' },
  { expression: '@yearly', zone: 'Australia/Lord_Howe' },
  { expression: '0 0 29 2 1', zone: 'UTC' },
  { expression: '@every 90s', zone: 'UTC' },
];

/** Wall-clock and CPU milliseconds of one call: CPU time stays meaningful on a busy machine. */
function time(fn) {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = fn();
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, result };
}

// Let V8 compile the code paths first, on a zone no case uses, so that "cold" measures an
// empty offset cache rather than the JIT.
for (const expression of ['*/1 * * * * *', '30 2 * * *', '0 0 1,15 * 5']) {
  const compiled = compileSchedule(expression);
  if (compiled.ok) nextFires(compiled.schedule, 'America/Sao_Paulo', AFTER, COUNT);
}

const rows = [];
for (const { expression, zone } of CASES) {
  const compiled = compileSchedule(expression);
  if (!compiled.ok) throw new Error(`${expression}: ${JSON.stringify(compiled.errors)}`);
  clearZoneOffsetCache();
  // Cold: a fresh compiled schedule and an empty offset cache for its zone.
  const readsBefore = countIntlReads();
  const cold = time(() => nextFires(compiled.schedule, zone, AFTER, COUNT));
  const coldReads = countIntlReads() - readsBefore;
  if (cold.result.length !== COUNT)
    throw new Error(`${expression}: got ${cold.result.length} fires`);
  let warm = { ms: Number.POSITIVE_INFINITY, cpuMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < WARM_RUNS; i++) {
    const run = time(() => nextFires(compiled.schedule, zone, AFTER, COUNT));
    if (run.ms < warm.ms) warm = run;
  }
  const last = cold.result[COUNT - 1].toISOString();
  rows.push({ expression, zone, cold, coldReads, warm, last });
}

const passWall = rows.every((row) => row.cold.ms < TARGET_MS && row.warm.ms < TARGET_MS);
const passCpu = rows.every((row) => row.cold.cpuMs < TARGET_MS && row.warm.cpuMs < TARGET_MS);
const fixed = (n) => n.toFixed(1);
const lines = [
  '## cron: next fire instants',
  '',
  `${COUNT.toLocaleString('en-US')} next instants after ${AFTER.toISOString()} per expression (Node ${process.version},`,
  `${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} while measuring).`,
  'Cold = first call for that schedule with the offset cache cleared (code already compiled by V8);',
  `warm = fastest of ${WARM_RUNS} later calls. Times in ms, wall clock / CPU.`,
  '',
  '| expression | zone | cold wall / CPU | Intl reads (cold) | warm wall / CPU | 1,000th fire |',
  '| --- | --- | ---: | ---: | ---: | --- |',
  ...rows.map(
    (row) =>
      `| \`${row.expression}\` | ${row.zone} | ${fixed(row.cold.ms)} / ${fixed(row.cold.cpuMs)} | ${row.coldReads} | ${fixed(row.warm.ms)} / ${fixed(row.warm.cpuMs)} | ${row.last} |`,
  ),
  '',
  `Target: each under ${TARGET_MS} ms, cold and warm.`,
  `Result: wall clock **${passWall ? 'PASS' : 'FAIL'}**, CPU time **${passCpu ? 'PASS' : 'FAIL'}**.`,
];
console.log(lines.join('\n'));
