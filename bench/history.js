// Benchmark of the history store: open() time and memory, and recordRun latency (to disk, background, and fsynced)
// with 100 retained runs per schedule, for 10 and 10,000 schedules, plus a single-file lowdb baseline.
// Run `npx tsc -p tsconfig.build.json` first.
import { mkdir, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { monotonicFactory } from 'ulid';
import { createFireJournal } from '../dist/history/journal.js';
import { createLowdbHistoryStore } from '../dist/history/lowdb-store.js';
import { serializeShard } from '../dist/history/shard-file.js';
import { systemClock } from '../dist/shared/clock.js';

const RETAINED = 100;
const TARGET_P99_MS = 5;
const OUTPUT_TAIL = 'line of job output: processed 1234 rows in 56 ms\n'.repeat(10); // ~500 bytes
const nextId = monotonicFactory();
/** Where the state directories are created: set BENCH_DIR=/dev/shm to leave the disk out. */
const BENCH_DIR = process.env.BENCH_DIR ?? tmpdir();

function buildRun(schedule, status = 'succeeded') {
  const now = systemClock.now().toISOString();
  return {
    id: nextId(),
    schedule,
    trigger: 'schedule',
    scheduledAt: now,
    startedAt: now,
    finishedAt: now,
    durationMs: 1234,
    status,
    attempts: [
      {
        attempt: 1,
        startedAt: now,
        finishedAt: now,
        exitCode: 0,
        signal: null,
        outputTail: OUTPUT_TAIL,
        pid: 4242,
      },
    ],
    specHash: 'sha256:0123456789abcdef',
  };
}

/** A full garbage collection, so heap figures count live objects only. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');

/** Heap in use and RSS, in MiB, after a full collection. */
function measureMemory() {
  collectGarbage();
  collectGarbage();
  const usage = process.memoryUsage();
  return { heapMiB: usage.heapUsed / 2 ** 20, rssMiB: usage.rss / 2 ** 20 };
}

const scheduleName = (index) => `schedule-${String(index).padStart(5, '0')}`;

function summarise(samples) {
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

/**
 * Write N shards with RETAINED runs each, directly (the store is not under test here): in the current format
 * (a summary head, then the runs), or with `format: 'older'` as plain JSON without a head (state directories
 * written before the head existed).
 */
async function seedShards(stateDir, schedules, format = 'current') {
  const dir = join(stateDir, 'history');
  await mkdir(dir, { recursive: true });
  for (let start = 0; start < schedules; start += 200) {
    const batch = [];
    for (let index = start; index < Math.min(schedules, start + 200); index += 1) {
      const name = scheduleName(index);
      const runs = Array.from({ length: RETAINED }, () => buildRun(name));
      const shard = { version: 1, schedule: name, lastScheduledAt: runs.at(-1).scheduledAt, runs };
      const text = format === 'older' ? JSON.stringify(shard) : serializeShard(shard);
      batch.push(writeFile(join(dir, `${name}.json`), text));
    }
    await Promise.all(batch);
  }
}

async function benchSharded(schedules, samples) {
  const stateDir = await mkdtemp(join(BENCH_DIR, 'cronops-bench-history-'));
  try {
    await seedShards(stateDir, schedules);
    const store = createLowdbHistoryStore({ stateDir, clock: systemClock });
    const beforeOpen = measureMemory();
    const openStart = performance.now();
    const opened = await store.open();
    const openMs = performance.now() - openStart;
    const afterOpen = measureMemory();
    if (opened.schedules.length !== schedules)
      throw new Error(`expected ${schedules} shards, got ${opened.schedules.length}`);
    for (const name of opened.schedules)
      store.setRetention(name, { successfulRunsLimit: RETAINED, failedRunsLimit: RETAINED });

    const pick = (i) => scheduleName((i * 7919) % schedules);
    // Warm-up: JIT, file cache.
    for (let i = 0; i < 200; i += 1)
      await store.recordRun(buildRun(pick(i)), { durable: i % 2 === 0 });
    await store.flush();

    // The daemon's path: recordRun (no fsync: the fire is already durable in the fsynced journal), awaited
    // until the record is on disk (appended to its shard; shards are rewritten whole in the background).
    const written = [];
    for (let i = 0; i < samples; i += 1) {
      const run = buildRun(pick(i));
      const start = performance.now();
      void store.recordRun(run);
      await store.flush();
      written.push(performance.now() - start);
    }

    // Not the daemon's path: the same with an fsync of the shard and its directory per record.
    const durable = [];
    for (let i = 0; i < samples / 4; i += 1) {
      const run = buildRun(pick(i + 3));
      const start = performance.now();
      await store.recordRun(run, { durable: true });
      durable.push(performance.now() - start);
    }
    await store.flush();

    // Non-durable: the call itself; the loop yields between calls so background writes run as in the daemon.
    const background = [];
    const flushStart = performance.now();
    for (let i = 0; i < samples; i += 1) {
      const run = buildRun(pick(i + 1));
      const start = performance.now();
      await store.recordRun(run);
      background.push(performance.now() - start);
      await yieldToLoop();
    }
    await store.flush();
    const backgroundTotalMs = performance.now() - flushStart;
    const retained = (await store.runs(pick(0))).length;
    const afterRecords = measureMemory();
    const health = store.health();
    await store.close();
    if (!health.writable) throw new Error(`store not writable: ${health.lastError}`);
    return {
      schedules,
      openMs,
      heapGrowthMiB: afterOpen.heapMiB - beforeOpen.heapMiB,
      rssAfterOpenMiB: afterOpen.rssMiB,
      heapAfterRecordsMiB: afterRecords.heapMiB - beforeOpen.heapMiB,
      retained,
      written: summarise(written),
      durable: summarise(durable),
      background: summarise(background),
      backgroundTotalMs,
    };
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/**
 * The first start on shards without a head: open() scans them (the first `openReadBytes`, 8 MiB, are read whole),
 * the rest are read and rewritten with a head in the background. RSS is sampled every 50 ms throughout.
 */
async function benchUpgrade(schedules) {
  const stateDir = await mkdtemp(join(BENCH_DIR, 'cronops-bench-upgrade-'));
  try {
    await seedShards(stateDir, schedules, 'older');
    const store = createLowdbHistoryStore({ stateDir, clock: systemClock });
    const beforeOpen = measureMemory();
    let peakRss = process.memoryUsage.rss();
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 50);
    const openStart = performance.now();
    await store.open();
    const openMs = performance.now() - openStart;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const afterOpen = measureMemory();
    await store.upgraded();
    const upgradeMs = performance.now() - openStart - openMs;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const afterUpgrade = measureMemory();
    await store.close();
    return {
      schedules,
      openMs,
      upgradeMs,
      heapGrowthMiB: afterOpen.heapMiB - beforeOpen.heapMiB,
      rssAfterOpenMiB: afterOpen.rssMiB,
      heapAfterUpgradeMiB: afterUpgrade.heapMiB - beforeOpen.heapMiB,
      rssAfterUpgradeMiB: afterUpgrade.rssMiB,
      peakRssMiB: peakRss / 2 ** 20,
    };
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The floor set by the file system: the same durable write sequence, by hand, for one shard-sized file. */
async function benchDiskFloor(samples) {
  const dir = await mkdtemp(join(BENCH_DIR, 'cronops-bench-floor-'));
  try {
    const name = scheduleName(0);
    const text = JSON.stringify({
      version: 1,
      schedule: name,
      runs: Array.from({ length: RETAINED }, () => buildRun(name)),
    });
    const times = [];
    for (let i = 0; i < samples; i += 1) {
      const start = performance.now();
      const handle = await open(join(dir, '.shard.tmp'), 'w');
      await handle.writeFile(text);
      await handle.sync();
      await handle.close();
      await rename(join(dir, '.shard.tmp'), join(dir, 'shard.json'));
      const dirHandle = await open(dir, 'r');
      await dirHandle.sync();
      await dirHandle.close();
      times.push(performance.now() - start);
    }
    return { bytes: text.length, write: summarise(times) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Baseline: every schedule in one lowdb JSONFile (no sharding); each record rewrites everything. */
async function benchSingleFile(schedules, samples) {
  const stateDir = await mkdtemp(join(BENCH_DIR, 'cronops-bench-single-'));
  try {
    const db = new Low(new JSONFile(join(stateDir, 'history.json')), { schedules: {} });
    for (let index = 0; index < schedules; index += 1) {
      const name = scheduleName(index);
      db.data.schedules[name] = Array.from({ length: RETAINED }, () => buildRun(name));
    }
    await db.write();
    const times = [];
    for (let i = 0; i < samples; i += 1) {
      const name = scheduleName((i * 7919) % schedules);
      const start = performance.now();
      const runs = db.data.schedules[name];
      runs.push(buildRun(name));
      runs.shift();
      await db.write();
      times.push(performance.now() - start);
    }
    return { schedules, write: summarise(times) };
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The fire journal: one intent appended and fsynced (what makes a fire durable before its process starts). */
async function benchJournal(samples) {
  const stateDir = await mkdtemp(join(BENCH_DIR, 'cronops-bench-journal-'));
  try {
    const journal = createFireJournal(stateDir);
    const times = [];
    for (let i = 0; i < samples; i += 1) {
      const start = performance.now();
      await journal.append([
        {
          runId: nextId(),
          schedule: scheduleName(i % 10),
          scheduledAt: systemClock.now().toISOString(),
          trigger: 'schedule',
          specHash: 'sha256:0123456789abcdef',
        },
      ]);
      times.push(performance.now() - start);
    }
    await journal.close();
    return summarise(times);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

const fmt = (ms) => ms.toFixed(2);
/** How many schedules the first start on older-format shards uses (BENCH_UPGRADE_SCHEDULES=200 for a smoke run). */
const UPGRADE_SCHEDULES = Number(process.env.BENCH_UPGRADE_SCHEDULES ?? 10_000);
const UPGRADE_TARGETS = { openMs: 2000, rssMiB: 300 };
if (process.env.BENCH_HISTORY_ONLY === 'upgrade') {
  const only = await benchUpgrade(UPGRADE_SCHEDULES);
  process.stdout.write(`${JSON.stringify(only, null, 2)}\n`);
  process.exit(0);
}
const floor = await benchDiskFloor(500);
const journal = await benchJournal(500);
const results = [await benchSharded(10, 2000), await benchSharded(10_000, 2000)];
const upgrade = await benchUpgrade(UPGRADE_SCHEDULES);
const baselines = [await benchSingleFile(10, 200), await benchSingleFile(1000, 20)];

const lines = [
  '## History store (bench/history.js)',
  '',
  `Recording a run with ${RETAINED} retained runs per schedule (~${OUTPUT_TAIL.length} B output tail per run), ` +
    `Node ${process.version}, state in ${BENCH_DIR}.`,
  '',
  "- *recorded* (the daemon's path, the target): `recordRun` and its write awaited until the record is on disk: one " +
    "line appended to the schedule's shard (no fsync). Shards are rewritten whole (temp file + rename, retention " +
    'applied) in the background, after 32 appended entries or 10 s without one; those rewrites run during the ' +
    'measurement and are not awaited. A fire is made durable before its process starts by the fire journal (fsynced, ' +
    'one fsync per batch, written ahead of the instant; see the journal row), not by the shard write.',
  '- *background*: the `recordRun` call alone, as the daemon makes it (the write is coalesced and happens after).',
  "- *fsync per record* (not the daemon's path, for comparison): the append with fdatasync of the shard and fsync of " +
    'its directory, awaited.',
  '',
  '| schedules | mode | samples | p50 ms | p99 ms | max ms | target p99 | result |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |',
];
let pass = true;
for (const result of results) {
  for (const [mode, stats, counted] of [
    ['recorded', result.written, true],
    ['background', result.background, true],
    ['fsync per record', result.durable, false],
  ]) {
    const ok = stats.p99 <= TARGET_P99_MS;
    if (counted) pass &&= ok;
    lines.push(
      `| ${result.schedules.toLocaleString('en')} | ${mode} | ${stats.n} | ${fmt(stats.p50)} | ${fmt(stats.p99)} | ${fmt(stats.max)} | ${counted ? `≤ ${TARGET_P99_MS}` : ''} | ${counted ? (ok ? 'PASS' : 'FAIL') : '(informative)'} |`,
    );
  }
}
lines.push(
  `| - | fire journal: append one intent + fsync | ${journal.n} | ${fmt(journal.p50)} | ${fmt(journal.p99)} | ${fmt(journal.max)} | | (informative) |`,
  `| - | disk floor: temp + fsync + rename + dir fsync of one ${(floor.bytes / 1024).toFixed(0)} KiB shard, by hand | ${floor.write.n} | ${fmt(floor.write.p50)} | ${fmt(floor.write.p99)} | ${fmt(floor.write.max)} | | |`,
);
lines.push(
  '',
  `Opening the store (\`open()\`) with ${RETAINED} runs per schedule on disk; memory after a full GC, heap relative to ` +
    'just before `open()`:',
  '',
  '| schedules | open() ms | heap after open MiB | RSS after open MiB | heap after the records MiB |',
  '| ---: | ---: | ---: | ---: | ---: |',
);
for (const result of results) {
  lines.push(
    `| ${result.schedules.toLocaleString('en')} | ${fmt(result.openMs)} | ${result.heapGrowthMiB.toFixed(1)} | ${result.rssAfterOpenMiB.toFixed(0)} | ${result.heapAfterRecordsMiB.toFixed(1)} |`,
  );
}
lines.push(
  '',
  `First start on ${upgrade.schedules.toLocaleString('en')} shards written without a summary head (older format): ` +
    `open() took ${fmt(upgrade.openMs)} ms (heap after open ${upgrade.heapGrowthMiB.toFixed(1)} MiB, ` +
    `RSS ${upgrade.rssAfterOpenMiB.toFixed(0)} MiB); the background rewrite took ${fmt(upgrade.upgradeMs)} ms more ` +
    `(then heap ${upgrade.heapAfterUpgradeMiB.toFixed(1)} MiB, RSS ${upgrade.rssAfterUpgradeMiB.toFixed(0)} MiB); ` +
    `peak RSS throughout ${upgrade.peakRssMiB.toFixed(0)} MiB. Targets: open() ≤ ${UPGRADE_TARGETS.openMs} ms, ` +
    `RSS ≤ ${UPGRADE_TARGETS.rssMiB} MiB: ` +
    `${upgrade.openMs <= UPGRADE_TARGETS.openMs && upgrade.peakRssMiB <= UPGRADE_TARGETS.rssMiB ? 'PASS' : 'FAIL'}.`,
);
lines.push('');
for (const result of results) {
  lines.push(
    `- ${result.schedules.toLocaleString('en')} schedules: ` +
      `${result.background.n} background records + their writes took ${fmt(result.backgroundTotalMs)} ms; ` +
      `runs retained per schedule after the run: ${result.retained}.`,
  );
}
lines.push(
  '',
  'Baseline: all schedules in one lowdb `JSONFile` (no sharding, no fsync), one write per record:',
  '',
  '| schedules | runs in file | samples | p50 ms | p99 ms |',
  '| ---: | ---: | ---: | ---: | ---: |',
  ...baselines.map(
    (b) =>
      `| ${b.schedules.toLocaleString('en')} | ${(b.schedules * RETAINED).toLocaleString('en')} | ${b.write.n} | ${fmt(b.write.p50)} | ${fmt(b.write.p99)} |`,
  ),
  '',
  `Overall: ${pass ? 'PASS' : 'FAIL'} (target: p99 ≤ ${TARGET_P99_MS} ms for 10 and 10,000 schedules)`,
);
process.stdout.write(`${lines.join('\n')}\n`);
