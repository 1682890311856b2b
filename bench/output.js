// Benchmark: daemon memory and throughput while a job prints 1 GiB (bounded output tail, SPEC §4).
// Run with `node bench/output.js` after `npx tsc -p tsconfig.build.json`.
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { runTask } from '../dist/runtime/run-job.js';
import { systemClock } from '../dist/shared/clock.js';

const GIB = 1024 ** 3;
const TARGET_RSS_GROWTH = 64 * 1024 * 1024;
const printBytes = fileURLToPath(new URL('../tests/fixtures/jobs/print-bytes.js', import.meta.url));

const cases = [
  {
    name: 'shell: `head -c 1G /dev/zero \\| tr`',
    task: { kind: 'shell', shell: "head -c 1G /dev/zero | tr '\\0' x" },
    maxOutputBytes: 64 * 1024,
  },
  {
    name: 'node: 1 MiB stdout writes',
    task: { kind: 'command', command: [process.execPath, printBytes, String(GIB)] },
    maxOutputBytes: 64 * 1024,
  },
  {
    name: 'shell, as above',
    task: { kind: 'shell', shell: "head -c 1G /dev/zero | tr '\\0' x" },
    maxOutputBytes: 1024 * 1024,
  },
];

// Warm up first (module loading, JIT, execa internals), so the baseline is the steady daemon.
await runTask(
  {
    task: { kind: 'shell', shell: "head -c 16M /dev/zero | tr '\\0' x" },
    env: {},
    timeoutMs: 60_000,
    killGraceMs: 1_000,
    maxOutputBytes: 1024 * 1024,
    secrets: [],
  },
  { clock: systemClock },
);

const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const rows = [];
const firstBaseline = process.memoryUsage().rss;
let overallPeak = firstBaseline;
let pass = true;
for (const c of cases) {
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  const result = await runTask(
    {
      task: c.task,
      env: {},
      timeoutMs: 600_000,
      killGraceMs: 5_000,
      maxOutputBytes: c.maxOutputBytes,
      secrets: [],
    },
    { clock: systemClock },
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const growth = peak - baseline;
  overallPeak = Math.max(overallPeak, peak);
  const tailOk = result.outputTail.length === c.maxOutputBytes && /^x+$/.test(result.outputTail);
  const ok = result.outcome === 'succeeded' && tailOk && growth < TARGET_RSS_GROWTH;
  pass &&= ok;
  rows.push(
    `| ${c.name} | ${mib(c.maxOutputBytes)} MiB | ${result.outcome} | ${mib(baseline)} MiB | ${mib(peak)} MiB | ${mib(growth)} MiB | ${seconds.toFixed(2)} s | ${(GIB / 1024 / 1024 / seconds).toFixed(0)} MiB/s | ${tailOk ? 'yes' : 'NO'} |`,
  );
}

console.log('## Output capture: a job printing 1 GiB\n');
console.log(
  `Node ${process.version}, ${process.platform}/${process.arch}. RSS sampled every 50 ms.\n`,
);
console.log(
  '| job | tail | outcome | RSS before | RSS peak | RSS growth | time | throughput | tail exact |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log(
  `\nPeak RSS over all runs: ${mib(overallPeak)} MiB, ${mib(overallPeak - firstBaseline)} MiB above the warmed-up baseline (3 GiB printed in total). The shell cases are bound by \`tr\`, not by cronops.`,
);
console.log(
  `\nTarget: RSS growth < ${mib(TARGET_RSS_GROWTH)} MiB per case. **${pass ? 'PASS' : 'FAIL'}**`,
);
