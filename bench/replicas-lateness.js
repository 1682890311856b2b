// Fire lateness with 3 replicas on one PostgreSQL store against one single-node daemon, in the same run:
// SCHEDULES schedules due together every PERIOD seconds in each setup; every job appends
// `NAME INSTANT REPLICA $(date +%s.%N)` to its setup's log, so lateness = the job's own start − the instant,
// and every (schedule, instant) is counted once (doubles = the lines beyond the first). Target: p99 of the
// replicas ≤ p99 of the single node + 10 ms, every fire run, no doubles. Build first; prints Markdown.
// Env: CRONOPS_BENCH_SCHEDULES (100), CRONOPS_BENCH_INSTANTS (12 measured per setup), CRONOPS_BENCH_PERIOD
// (10 s; divides 60). Smoke run: CRONOPS_BENCH_SCHEDULES=10 CRONOPS_BENCH_INSTANTS=3 CRONOPS_BENCH_PERIOD=4.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  latenessMs,
  manifest,
  positiveInt,
  spawnDaemon,
  stopDaemon,
  summarise,
} from './lib/daemon.js';
import { startBenchCluster } from './lib/pg-cluster.js';

const REPLICAS = 3;
const SCHEDULES = positiveInt('CRONOPS_BENCH_SCHEDULES', 100);
const INSTANTS = positiveInt('CRONOPS_BENCH_INSTANTS', 12);
const PERIOD = positiveInt('CRONOPS_BENCH_PERIOD', 10);
if (PERIOD < 2 || 60 % PERIOD !== 0)
  throw new Error(`CRONOPS_BENCH_PERIOD: expected 2–60 seconds dividing 60, got ${PERIOD}`);
/** The first instants after a start pay for JIT warm-up and (replicas) the head start's first guess. */
const WARMUP = 2;
const TARGET_MARGIN_MS = 10;
const START_TIMEOUT_MS = 60_000;
/** How long after its last instant a setup's last fires may still be appended to its log. */
const DRAIN_TIMEOUT_MS = 15_000;
// Both setups run side by side for the whole window, at instants half a period apart: the single node at
// the multiples of PERIOD, the replicas OFFSET seconds later. Each burst (spawns, history writes, claims for
// the next instant up to the head start ahead) is over long before the other setup's instants, so neither
// measures the other's load, while both see the same machine (its other tenants, the idle daemons, the
// PostgreSQL server) at the same minutes. Alternating phases would measure them minutes apart, under
// whatever else the machine was doing then, and restart daemons between phases.
const OFFSET = Math.floor(PERIOD / 2);

/** The seconds field of an every-PERIOD-seconds schedule shifted by `offset` seconds. */
const secondsField = (offset) =>
  Array.from({ length: 60 / PERIOD }, (_, i) => offset + i * PERIOD).join(',');

/** One file of SCHEDULES schedules all due at the same seconds (default concurrencyPolicy: Forbid). */
async function writeSchedules(dir, offset, log) {
  await mkdir(dir, { recursive: true });
  const shell = `echo "$CRONOPS_SCHEDULE $CRONOPS_SCHEDULED_TIME \${REPLICA:-single} $(date +%s.%N)" >> ${log}`;
  const docs = Array.from({ length: SCHEDULES }, (_, i) =>
    manifest(`s${String(i).padStart(3, '0')}`, {
      schedule: `${secondsField(offset)} * * * * *`,
      task: { shell },
    }),
  );
  await writeFile(join(dir, 'due-together.yaml'), docs.join('\n---\n'));
}

/** Start the built daemon; `started` resolves once it logged `cronops started` (and, with a store, its heartbeat). */
function startDaemon(label, dir, state, { store, env } = {}) {
  const proc = spawnDaemon(dir, state, { store, env: { ...process.env, ...env } });
  let tail = '';
  const keep = (chunk) => (tail = (tail + chunk).slice(-4000));
  proc.stderr.on('data', keep);
  const exited = new Promise((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let timer;
  const started = new Promise((resolve, reject) => {
    let seen = '';
    proc.stdout.on('data', (chunk) => {
      keep(chunk);
      seen = (seen + chunk).slice(-100_000);
      const running = seen.includes('"cronops started"');
      if (running && (store === undefined || seen.includes('"replica heartbeat"'))) resolve();
    });
    timer = setTimeout(
      () => reject(new Error(`${label} did not start within ${START_TIMEOUT_MS} ms: ${tail}`)),
      START_TIMEOUT_MS,
    );
    void exited.then(({ code, signal }) =>
      reject(new Error(`${label} exited (${code ?? signal}) before starting: ${tail}`)),
    );
  }).finally(() => clearTimeout(timer));
  // Promise.all below reports the first failure; the others (daemons stopped by the clean-up) are expected.
  started.catch(() => undefined);
  return { label, proc, exited, started, tail: () => tail };
}

/** The lines of a setup's log whose instant is one of `instants`; one entry per line. */
async function readFires(log, instants) {
  const wanted = new Set(instants);
  const text = await readFile(log, 'utf8').catch((error) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const fires = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [schedule, instant, replica, printed] = line.split(' ');
    const instantMs = Date.parse(instant);
    if (!wanted.has(instantMs)) continue;
    const lateness = latenessMs(printed ?? '', instantMs);
    if (Number.isNaN(lateness)) throw new Error(`${log}: not a timestamp: ${JSON.stringify(line)}`);
    fires.push({ slot: `${schedule}@${instantMs}`, instantMs, replica, lateness });
  }
  return fires;
}

/**
 * Fires run (each (schedule, instant) once), doubles, lateness of each slot's first start, the worst burst's
 * first → last start, and the fires each of `replicas` started (listed even when it started none).
 */
function analyse(fires, expected, replicas = []) {
  const first = new Map();
  for (const fire of fires) {
    const seen = first.get(fire.slot);
    if (seen === undefined || fire.lateness < seen.lateness) first.set(fire.slot, fire);
  }
  const slots = [...first.values()];
  const perInstant = new Map();
  for (const { instantMs, lateness } of slots) {
    const [lo, hi] = perInstant.get(instantMs) ?? [Infinity, -Infinity];
    perInstant.set(instantMs, [Math.min(lo, lateness), Math.max(hi, lateness)]);
  }
  const perReplica = new Map(replicas.map((name) => [name, 0]));
  for (const { replica } of slots) perReplica.set(replica, (perReplica.get(replica) ?? 0) + 1);
  return {
    expected,
    run: slots.length,
    doubles: fires.length - slots.length,
    ...summarise(slots.map((s) => s.lateness)),
    earliest: Math.min(...slots.map((s) => s.lateness)),
    worstSpread: Math.max(...[...perInstant.values()].map(([lo, hi]) => hi - lo)),
    perReplica: [...perReplica].sort(([a], [b]) => a.localeCompare(b)),
  };
}

const load = loadavg().map((n) => n.toFixed(2));
const root = await mkdtemp(join(tmpdir(), 'cronops-bench-replicas-lateness-'));
const daemons = [];
let cluster;
let cleaning;
/** Stop every daemon (SIGTERM, SIGKILL after 10 s), then the cluster, then remove the temp files; once. */
function cleanUp() {
  cleaning ??= (async () => {
    await Promise.all(daemons.map((d) => stopDaemon(d, 10_000)));
    try {
      cluster?.stop();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`replicas-lateness: ${signal}, stopping the daemons and the cluster\n`);
    void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

let single;
let replicas;
try {
  cluster = await startBenchCluster();
  const singleLog = join(root, 'single.log');
  const replicasLog = join(root, 'replicas.log');
  await writeSchedules(join(root, 'single', 'schedules.d'), 0, singleLog);
  daemons.push(
    startDaemon(
      'the single node',
      join(root, 'single', 'schedules.d'),
      join(root, 'single', 'state'),
    ),
  );
  for (let r = 0; r < REPLICAS; r += 1) {
    const dir = join(root, `r${r}`, 'schedules.d');
    await writeSchedules(dir, OFFSET, replicasLog);
    daemons.push(
      startDaemon(`replica r${r}`, dir, join(root, `r${r}`, 'state'), {
        store: cluster.url,
        env: { REPLICA: `r${r}` },
      }),
    );
  }
  await Promise.all(daemons.map((d) => d.started));
  let stopping = false;
  const died = Promise.race(
    daemons.map((d) =>
      d.exited.then(({ code, signal }) => {
        if (!stopping) throw new Error(`${d.label} exited (${code ?? signal}): ${d.tail()}`);
        return new Promise(() => undefined);
      }),
    ),
  );
  died.catch(() => undefined);

  const periodMs = PERIOD * 1000;
  const windowStart = Math.ceil(Date.now() / periodMs) * periodMs + WARMUP * periodMs;
  const singleInstants = Array.from({ length: INSTANTS }, (_, k) => windowStart + k * periodMs);
  const replicaInstants = singleInstants.map((at) => at + OFFSET * 1000);
  const expected = SCHEDULES * INSTANTS;
  await Promise.race([sleep(replicaInstants.at(-1) + 500 - Date.now()), died]);
  // Wait for the last fires' lines (bounded), then stop the daemons before reading the logs for good.
  const drainUntil = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < drainUntil) {
    const counts = await Promise.all([
      readFires(singleLog, singleInstants),
      readFires(replicasLog, replicaInstants),
    ]);
    if (counts.every((fires) => new Set(fires.map((f) => f.slot)).size >= expected)) break;
    await Promise.race([sleep(250), died]);
  }
  stopping = true;
  await Promise.all(daemons.map((d) => stopDaemon(d, 10_000)));
  single = analyse(await readFires(singleLog, singleInstants), expected);
  replicas = analyse(
    await readFires(replicasLog, replicaInstants),
    expected,
    Array.from({ length: REPLICAS }, (_, r) => `r${r}`),
  );
} finally {
  await cleanUp();
}

const fmt = (ms) => (Number.isFinite(ms) ? ms.toFixed(1) : '-');
const diff = replicas.p99 - single.p99;
const complete = (s) => s.run === s.expected && s.doubles === 0;
const pass = complete(single) && complete(replicas) && diff <= TARGET_MARGIN_MS;
const row = (label, s) =>
  `| ${label} | ${INSTANTS} | ${s.expected} | ${s.run} | ${s.doubles} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.max)} |`;
const lines = [
  '## Fire lateness with 3 replicas (bench/replicas-lateness.js)',
  '',
  `${SCHEDULES} schedules due together every ${PERIOD} s in each setup (default concurrencyPolicy, Forbid), both running side by side: ` +
    `the single node (lowdb store, \`--state-dir\`) at the multiples of ${PERIOD} s, ${REPLICAS} replicas on one private PostgreSQL cluster ` +
    `(\`--store\`, each on its own copy of the manifests) ${OFFSET} s later. Lateness = the job's own \`date +%s.%N\` − its instant, ` +
    `each (schedule, instant) counted once at its first start; ${INSTANTS} instants per setup after at least ${WARMUP} warm-up instants. ` +
    `Load average at the start ${load.join(' / ')} (1 / 5 / 15 min).`,
  '',
  '| setup | instants | fires expected | run | doubles | p50 ms | p99 ms | max ms |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  row('single node', single),
  row(`${REPLICAS} replicas`, replicas),
  '',
  `- Fires per replica: ${replicas.perReplica.map(([r, n]) => `${r} ${n}`).join(', ')}.`,
  `- Worst instant's first → last start: single node ${fmt(single.worstSpread)} ms, replicas ${fmt(replicas.worstSpread)} ms; ` +
    `earliest start (negative = before its instant): ${fmt(single.earliest)} / ${fmt(replicas.earliest)} ms.`,
  '',
  `p99(replicas) − p99(single node) = ${fmt(diff)} ms (target ≤ ${TARGET_MARGIN_MS} ms, every fire run, no doubles): ${pass ? 'PASS' : 'FAIL'}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
