// Benchmark: the daemon's memory across repeated bursts. N schedules due together every PERIOD seconds, five
// bursts; VmRSS read just before each burst (the previous one settled) and the peak (VmHWM) at the end. The
// target: no growth after the first burst (RSS before burst 5 within 10 % of RSS before burst 2). Build first
// (`npm run build`); prints Markdown. Env: BURSTS_SCHEDULES (1000), BURSTS_PERIOD (30, must divide 60),
// BURSTS_COUNT (5): a smoke run with BURSTS_SCHEDULES=100 BURSTS_PERIOD=10 BURSTS_COUNT=3.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { manifest, positiveInt, spawnDaemon, stopDaemon } from './lib/daemon.js';

const SCHEDULES = positiveInt('BURSTS_SCHEDULES', 1000);
const PERIOD = positiveInt('BURSTS_PERIOD', 30);
const BURSTS = positiveInt('BURSTS_COUNT', 5);
if (60 % PERIOD !== 0) throw new Error('BURSTS_PERIOD must divide 60');
const GROWTH_LIMIT = 0.1;

const memory = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
};

const root = await mkdtemp(join(tmpdir(), 'cronops-bench-bursts-'));
const load = loadavg();
let daemon;
try {
  const dir = join(root, 'schedules.d');
  const log = join(root, 'jobs.log');
  await mkdir(dir);
  const docs = Array.from({ length: SCHEDULES }, (_, i) =>
    manifest(`burst-${String(i).padStart(4, '0')}`, {
      schedule: `*/${PERIOD} * * * * *`,
      concurrencyPolicy: 'Allow',
      task: { shell: `echo $CRONOPS_SCHEDULE >> ${log}` },
    }),
  );
  for (let file = 0; file * 100 < SCHEDULES; file += 1)
    await writeFile(
      join(dir, `bursts-${file}.yaml`),
      `${docs.slice(file * 100, file * 100 + 100).join('\n---\n')}\n`,
    );
  const proc = spawnDaemon(dir, join(root, 'state'), { shutdownGrace: '30s' });
  daemon = { proc, exited: new Promise((resolve) => proc.on('exit', resolve)) };
  let output = '';
  proc.stdout.on('data', (chunk) => (output = (output + chunk).slice(-10_000)));
  for (let waited = 0; !output.includes('"cronops started"'); waited += 100) {
    if (waited > 60_000) throw new Error('the daemon did not start within 60 s');
    await sleep(100);
  }
  const rows = [];
  // Each burst's instant; RSS is read 1 s before it (the previous burst had PERIOD - 1 s to settle).
  let next = Math.ceil((Date.now() + 2_000) / (PERIOD * 1000)) * PERIOD * 1000;
  for (let burst = 0; burst <= BURSTS; burst += 1) {
    await sleep(Math.max(0, next - 1_000 - Date.now()));
    const lines = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    rows.push({ at: next, jobsSoFar: lines, ...memory(proc.pid) });
    next += PERIOD * 1000;
  }
  await stopDaemon(daemon, 60_000);
  daemon = undefined;

  const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  // rows[0] is before the first burst; rows[i] is after burst i.
  const afterFirst = rows[1].rss;
  const last = rows.at(-1).rss;
  const growth = (last - afterFirst) / afterFirst;
  const allRan = rows.at(-1).jobsSoFar >= SCHEDULES * BURSTS;
  const lines = [
    `## Memory across repeated bursts (bench/bursts-rss.js, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `${SCHEDULES.toLocaleString('en')} schedules due together every ${PERIOD} s (\`*/${PERIOD} * * * * *\`, Allow, a one-line shell job), ${BURSTS} bursts; VmRSS 1 s before each burst, VmHWM the peak since start. Load average at the start ${load.map((n) => n.toFixed(2)).join(' / ')}.`,
    '',
    '| read | jobs run so far | RSS MB | peak MB |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map(
      (r, i) =>
        `| ${i === 0 ? 'before the first burst' : `after burst ${i}`} | ${r.jobsSoFar} | ${fmt(r.rss)} | ${fmt(r.peak)} |`,
    ),
    '',
    `RSS after the last burst against after the first: ${growth >= 0 ? '+' : ''}${fmt(growth * 100, 1)} % (limit +${GROWTH_LIMIT * 100} %); every job ran: ${allRan ? 'yes' : 'no'}.`,
    '',
    `Overall: ${growth <= GROWTH_LIMIT && allRan ? 'PASS' : 'FAIL'}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  if (daemon) await stopDaemon(daemon, 10_000).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
}
