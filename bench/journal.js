// Benchmark of the fire journal's append (intents written and fdatasynced before a fire starts): the preallocated
// ring written in place, against the previous JSON-lines append path, in the same run, interleaved.
// Run `npx tsc -p tsconfig.build.json` first. BENCH_DIR=/dev/shm leaves the disk out.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createFireJournal } from '../dist/history/journal.js';
import { sizeJournalReserve } from '../dist/history/journal-reserve.js';

const BENCH_DIR = process.env.BENCH_DIR ?? tmpdir();
const SAMPLES = Number(process.env.SAMPLES ?? 400);
let counter = 0;

function buildIntents(count) {
  return Array.from({ length: count }, () => {
    counter += 1;
    return {
      runId: `01JBENCH${String(counter).padStart(18, '0')}`,
      schedule: `schedule-${counter % 100}`,
      scheduledAt: new Date(Date.UTC(2026, 0, 1) + counter * 1000).toISOString(),
      trigger: 'schedule',
      specHash: '0123456789abcdef',
    };
  });
}

/** The journal as it was before the reserve: JSON lines appended to one file, then fdatasync. */
async function openOldJournal(dir) {
  const handle = await open(join(dir, 'fires.journal'), 'a');
  return {
    append: async (intents) => {
      await handle.write(intents.map((i) => `${JSON.stringify(i)}\n`).join(''));
      await handle.datasync();
    },
    close: () => handle.close(),
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(batch) {
  const oldDir = await mkdtemp(join(BENCH_DIR, 'cronops-bench-old-journal-'));
  const newDir = await mkdtemp(join(BENCH_DIR, 'cronops-bench-new-journal-'));
  const old = await openOldJournal(oldDir);
  const ring = createFireJournal(newDir);
  await ring.append(buildIntents(1)); // creates and preallocates the file (not measured)
  const times = { old: [], ring: [] };
  for (let i = 0; i < SAMPLES; i += 1) {
    for (const [name, journal] of i % 2 === 0
      ? [
          ['old', old],
          ['ring', ring],
        ]
      : [
          ['ring', ring],
          ['old', old],
        ]) {
      const intents = buildIntents(batch);
      const start = performance.now();
      await journal.append(intents);
      times[name].push(performance.now() - start);
    }
    // A checkpoint now and then, as the daemon makes every minute: the ring laps its 1 MiB file.
    if ((i + 1) % Math.max(1, Math.floor(2000 / batch)) === 0) await ring.checkpoint([]);
  }
  await old.close();
  await ring.close();
  await rm(oldDir, { recursive: true, force: true });
  await rm(newDir, { recursive: true, force: true });
  return Object.fromEntries(
    Object.entries(times).map(([name, values]) => {
      const sorted = values.sort((a, b) => a - b);
      return [
        name,
        { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) },
      ];
    }),
  );
}

const lines = [];
const load = loadavg()
  .map((n) => n.toFixed(2))
  .join(' / ');
lines.push(`## Fire journal append (bench/journal.js)`, '');
lines.push(
  `${SAMPLES} appends per row, each awaited until durable (write + fdatasync), old and new interleaved; state in ${BENCH_DIR}; Node ${process.version}; load average at start ${load}.`,
  '',
  '| intents per append | path | p50 ms | p99 ms | max ms |',
  '| ---: | --- | ---: | ---: | ---: |',
);
for (const batch of [1, 100]) {
  const result = await measure(batch);
  for (const [name, label] of [
    ['old', 'before: JSON lines appended to a growing file'],
    ['ring', 'now: records written in place in the preallocated ring'],
  ]) {
    const r = result[name];
    lines.push(
      `| ${batch} | ${label} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} |`,
    );
  }
}
const name = (i) => `schedule-${String(i).padStart(5, '0')}`;
const sized = (count, perDay) =>
  sizeJournalReserve(
    Array.from({ length: count }, (_, i) => ({
      name: name(i),
      countFires: (limit) => Math.min(limit, perDay),
    })),
  );
lines.push(
  '',
  'Reserve sizes (`sizeJournalReserve`): the sample schedules (examples/, a handful of hourly/daily jobs) need the',
  `1 MiB minimum; 1 schedule every second: ${(sized(1, 86_400) / 1048576).toFixed(1)} MiB; 10,000 daily: ${(sized(10_000, 1) / 1048576).toFixed(1)} MiB; 10,000 hourly: ${(sized(10_000, 24) / 1048576).toFixed(1)} MiB; 10,000 every minute: ${(sized(10_000, 1440) / 1048576).toFixed(1)} MiB (the cap).`,
);
console.log(lines.join('\n'));
