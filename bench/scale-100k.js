// Benchmark of a very large configuration: 100,000 schedules in 10,000 files, plus 10 every-second probe
// schedules. Start-up time and peak memory, probe fires missed or late while the daemon starts, and how
// much a reload of one changed file delays the probes' fires (edits spread over the run, each compared
// with the probes' lateness just before it). Build first (`npm run build`); prints Markdown.
// Env: SCALE100K_WRITE_TO (below), SCALE100K_FORMAT (json, or yaml for block YAML), SCALE100K_FILES (10000) × SCALE100K_PER_FILE (10) schedules, SCALE100K_EDITS (5): a smoke run with
// SCALE100K_FILES=500 SCALE100K_EDITS=2 (the figures need the defaults).
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import {
  followDaemon,
  latenessMs,
  manifest,
  positiveInt,
  spawnDaemon,
  stopDaemon,
  waitForShards,
} from './lib/daemon.js';

const FILES = positiveInt('SCALE100K_FILES', 10_000);
/** `json` (one line of JSON per document, as generators write) or `yaml` (block YAML, as people write). */
const FORMAT = process.env.SCALE100K_FORMAT ?? 'json';
if (FORMAT !== 'json' && FORMAT !== 'yaml')
  throw new Error('SCALE100K_FORMAT must be json or yaml');
const PER_FILE = positiveInt('SCALE100K_PER_FILE', 10);
const EDITS = positiveInt('SCALE100K_EDITS', 5);
const PROBES = 10;
const SCHEDULES = FILES * PER_FILE;
const TARGET_START_MS = 15_000;
const TARGET_PEAK_MB = 1024;
const TARGET_RELOAD_DELAY_MS = 50;
const EDIT_SPACING_MS = 4_000;

/** A month at least two away from now, so that none of the many schedules fires while measured. */
const now = new Date();
const QUIET = Array.from({ length: 12 }, (_, i) => i + 1).filter((m) => {
  const distance = Math.abs(m - (now.getUTCMonth() + 1));
  return Math.min(distance, 12 - distance) >= 2;
});
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'];

function expression(n, shift = 0) {
  const month = QUIET[n % QUIET.length];
  const minute = (n * 7 + shift) % 60;
  const hour = (n * 5) % 24;
  switch (n % 5) {
    case 0:
      return `${minute} ${hour} ${1 + (n % 28)} ${month} *`;
    case 1:
      return `${n % 60} ${minute} ${hour} * ${month} 1-5`;
    case 2:
      return `*/15 ${hour} 1,15 ${month} *`;
    case 3:
      return `${minute} 2 L ${month} *`;
    default:
      return `${minute} 9 * ${month} 5#2`;
  }
}

function renderFile(file, shift = 0) {
  const docs = [];
  for (let i = 0; i < PER_FILE; i += 1) {
    const n = file * PER_FILE + i;
    docs.push(
      manifest(`job-${String(n).padStart(6, '0')}`, {
        schedule: expression(n, i === 0 ? shift : 0),
        timezone: ZONES[n % ZONES.length],
        concurrencyPolicy: ['Forbid', 'Allow', 'Replace', 'Queue'][n % 4],
        params: { database: ['app', 'auth', 'billing'][n % 3] },
        task:
          n % 2 === 0
            ? {
                command: ['pg_dump', '-Fc', '-f', '/backups/{{ date }}-{{ params.database }}.dump'],
              }
            : { shell: 'echo "{{ name }} {{ datetime }}"' },
      }),
    );
  }
  const written =
    FORMAT === 'json' ? docs : docs.map((doc) => stringify(JSON.parse(doc)).trimEnd());
  return `${written.join('\n---\n')}\n`;
}

const fileName = (file) => `team-${String(file).padStart(5, '0')}.yaml`;

const peakMb = (pid) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** The probes' lines: schedule, instant (ms), lateness (ms). */
async function readProbes(log) {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, instant, printed] = line.split(' ');
      const at = Date.parse(instant);
      return { name, at, late: latenessMs(printed, at) };
    });
}

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

// SCALE100K_WRITE_TO=DIR: only write the manifests (without the probes) to DIR, to profile the daemon on them.
if (process.env.SCALE100K_WRITE_TO) {
  await mkdir(process.env.SCALE100K_WRITE_TO, { recursive: true });
  for (let file = 0; file < FILES; file += 1)
    await writeFile(join(process.env.SCALE100K_WRITE_TO, fileName(file)), renderFile(file));
  process.exit(0);
}

const root = await mkdtemp(join(tmpdir(), 'cronops-bench-100k-'));
const load = loadavg();
let daemon;
try {
  const dir = join(root, 'schedules.d');
  const state = join(root, 'state');
  const log = join(root, 'probes.log');
  await mkdir(dir);
  const writing = performance.now();
  for (let file = 0; file < FILES; file += 1)
    await writeFile(join(dir, fileName(file)), renderFile(file));
  const probes = Array.from({ length: PROBES }, (_, i) =>
    manifest(`probe-${i}`, {
      schedule: '*/1 * * * * *',
      concurrencyPolicy: 'Allow',
      task: {
        shell: `echo "$CRONOPS_SCHEDULE $CRONOPS_SCHEDULED_TIME $(date +%s.%N)" >> ${log}`,
      },
    }),
  );
  await writeFile(join(dir, 'probes.yaml'), `${probes.join('\n---\n')}\n`);
  const writtenMs = performance.now() - writing;

  const spawnedAt = performance.now();
  const spawnedWall = Date.now();
  const proc = spawnDaemon(dir, state);
  daemon = { proc, exited: new Promise((resolve) => proc.on('exit', resolve)) };
  const errors = [];
  const { started } = followDaemon(proc, (line) => {
    if (line.startsWith('{"level":50') || line.startsWith('{"level":60'))
      errors.push(line.slice(0, 300));
  });
  const startMs = await Promise.race([
    started.then(() => performance.now() - spawnedAt),
    sleep(120_000).then(() => Promise.reject(new Error('no `cronops started` within 120 s'))),
  ]);
  const startedWall = spawnedWall + startMs;
  const peakAtStart = peakMb(proc.pid);
  // Probe instants from the first whole second after the daemon said it started, for 10 s: missed or late
  // while the rest of the start-up (status, history, watcher) settles.
  await sleep(12_000);
  const settle = await readProbes(log);
  const settleFrom = Math.ceil(startedWall / 1000) * 1000 + 1000;
  const settleTo = settleFrom + 10_000;
  const settleExpected = ((settleTo - settleFrom) / 1000) * PROBES;
  const inSettle = settle.filter((l) => l.at >= settleFrom && l.at < settleTo);

  // Start-up's writes (a history shard per new schedule, the parse cache, definitions.json) go on after
  // `cronops started`: the reloads are measured once they are on disk, while the schedules run, and the
  // probes' lateness until then is reported on its own.
  await waitForShards(state, SCHEDULES + PROBES, 900_000, 2_000);
  for (const written of ['manifest-cache.jsonl', 'definitions.json'])
    while (
      !(await access(join(state, written)).then(
        () => true,
        () => false,
      ))
    )
      await sleep(500);
  const writtenWall = Date.now();
  await sleep(2_000);
  const whileWriting = (await readProbes(log)).filter(
    (l) => l.at >= settleTo && l.at < writtenWall,
  );
  const writingExpected = Math.max(0, Math.ceil((writtenWall - settleTo) / 1000)) * PROBES;

  // Reloads: one file changed at a time (one schedule's minute moves), EDIT_SPACING_MS apart. A probe fire
  // is "during" an edit when its instant is within 2 s after the write; "before" when within 2 s before.
  const edits = [];
  for (let edit = 0; edit < EDITS; edit += 1) {
    await sleep(EDIT_SPACING_MS - (Date.now() % 1000) + 400);
    const file = Math.floor((edit + 1) * (FILES / (EDITS + 1)));
    const writtenAt = Date.now();
    await writeFile(join(dir, fileName(file)), renderFile(file, 30 + edit));
    edits.push(writtenAt);
  }
  await sleep(3_000);
  const lines = await readProbes(log);
  const rows = edits.map((writtenAt) => {
    const before = lines.filter((l) => l.at >= writtenAt - 2000 && l.at < writtenAt);
    const during = lines.filter((l) => l.at >= writtenAt && l.at < writtenAt + 2000);
    const expected = 2 * PROBES;
    const baseline = pct(
      before.map((l) => l.late),
      50,
    );
    const worst = Math.max(...during.map((l) => l.late));
    return { before, during, expected, baseline, worst, delay: worst - baseline };
  });
  const peak = peakMb(proc.pid);
  const reloads = await readFile(join(state, 'status.json'), 'utf8')
    .then((t) => JSON.parse(t).schedules?.length ?? 0)
    .catch(() => 0);
  await stopDaemon(daemon, 30_000);
  daemon = undefined;

  const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
  const worstDelay = Math.max(...rows.map((r) => r.delay));
  const missedDuringReloads = rows.reduce((n, r) => n + (r.expected - r.during.length), 0);
  const startOk = startMs <= TARGET_START_MS;
  const peakOk = peak <= TARGET_PEAK_MB;
  const reloadOk = worstDelay <= TARGET_RELOAD_DELAY_MS && missedDuringReloads === 0;
  const out = [
    `## Scale: ${SCHEDULES.toLocaleString('en')} schedules in ${FILES.toLocaleString('en')} files (bench/scale-100k.js, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `${FILES.toLocaleString('en')} files × ${PER_FILE} schedules (5 expression shapes, 5 time zones, none due while measured, each document ${FORMAT === 'json' ? 'one line of JSON' : 'block YAML'}; written in ${fmt(writtenMs / 1000, 1)} s) plus ${PROBES} every-second probe schedules whose jobs print \`date +%s.%N\` (lateness = printed − instant). Start = spawn → the \`cronops started\` log line (\`--watch auto\`, JSON logs). Once start-up's writes are on disk (a history shard per schedule, the parse cache, definitions.json), ${EDITS} reloads, ${EDIT_SPACING_MS / 1000} s apart, each rewriting one file with one schedule changed; the delay of a reload is the worst probe lateness in the 2 s after the write minus the probes' p50 in the 2 s before. Load average at the start ${load.map((n) => n.toFixed(2)).join(' / ')}.`,
    '',
    '| measure | value | target | result |',
    '| --- | ---: | ---: | --- |',
    `| start → \`cronops started\` | ${fmt(startMs)} ms | ≤ ${TARGET_START_MS} ms | ${verdict(startOk)} |`,
    `| peak RSS (VmHWM) at start / at the end | ${fmt(peakAtStart)} / ${fmt(peak)} MB | ≤ ${TARGET_PEAK_MB} MB | ${verdict(peakOk)} |`,
    `| probe fires in the 10 s after start: run of expected (p50 / max lateness) | ${inSettle.length} of ${settleExpected} (${fmt(
      pct(
        inSettle.map((l) => l.late),
        50,
      ),
      1,
    )} / ${fmt(Math.max(...inSettle.map((l) => l.late)), 1)} ms) | all | ${verdict(inSettle.length === settleExpected)} |`,
    `| after those 10 s, until start-up's writes were on disk (${fmt((writtenWall - startedWall) / 1000, 1)} s after \`cronops started\`): probe fires run of expected (p50 / max lateness) | ${whileWriting.length} of ${writingExpected} (${fmt(
      pct(
        whileWriting.map((l) => l.late),
        50,
      ),
      1,
    )} / ${fmt(Math.max(...whileWriting.map((l) => l.late)), 1)} ms) | all | ${verdict(whileWriting.length >= writingExpected)} |`,
    `| reload of one file: worst delay of a probe fire (${EDITS} reloads) | ${fmt(worstDelay, 1)} ms | ≤ ${TARGET_RELOAD_DELAY_MS} ms | ${verdict(reloadOk)} |`,
    `| probe fires missed around the reloads | ${missedDuringReloads} | 0 | ${verdict(missedDuringReloads === 0)} |`,
    '',
    '| reload | probe p50 before ms | worst after ms | delay ms | fires after (of expected) |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r, i) =>
        `| ${i + 1} | ${fmt(r.baseline, 1)} | ${fmt(r.worst, 1)} | ${fmt(r.delay, 1)} | ${r.during.length} of ${r.expected} |`,
    ),
    '',
    `Schedules in status.json at the end: ${reloads}. Errors logged: ${errors.length}${errors.length > 0 ? ` (first: \`${errors[0]}\`)` : ''}.`,
    '',
    `Overall: ${verdict(startOk && peakOk && reloadOk && inSettle.length === settleExpected && whileWriting.length >= writingExpected)}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  if (daemon) await stopDaemon(daemon, 10_000).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
}
