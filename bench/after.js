// Benchmark of `spec.after`: from an upstream run's end to its downstream job's first instruction, for the
// real daemon, against a floor measured in the same run: the lateness of the upstreams' own timed fires
// (instant → first instruction), which pays for the same process start but for no ledger write.
// The target is the daemon's part: the upstream's process exit → the downstream's process spawned.
// Run `npx tsc -p tsconfig.build.json` first. Env: AFTER_SECONDS (default 20), AFTER_CHAINS (default 1;
// with more, the chains' process starts queue behind each other, and the floor shows the same).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  latenessMs,
  manifest,
  positiveInt,
  readRuns,
  spawnDaemon,
  stopDaemon,
  summarise,
} from './lib/daemon.js';

const SECONDS = positiveInt('AFTER_SECONDS', 20);
const CHAINS = Math.min(12, positiveInt('AFTER_CHAINS', 1));
/** The first seconds pay for JIT warm-up and first-time file creation; not the steady state. */
const WARMUP_MS = 3_000;
const TARGET_P99_MS = 20;
const keepAll = { successfulRunsLimit: 10_000, failedRunsLimit: 10_000 };

/** Print the job's first instruction's wall time, in seconds with nanoseconds. */
const STAMP = 'echo $(date +%s.%N)';

/** Milliseconds from `fromMs` to the instant the run's job printed (its first instruction). */
function printedAfter(run, fromMs) {
  const value = latenessMs(run.attempts[0]?.outputTail ?? '', fromMs);
  if (!Number.isFinite(value))
    throw new Error(`job printed ${JSON.stringify(run.attempts[0]?.outputTail)}`);
  return value;
}

const root = await mkdtemp(join(tmpdir(), 'cronops-bench-after-'));
const dir = join(root, 'schedules.d');
const state = join(root, 'state');
await mkdir(dir);
const docs = [];
for (let i = 0; i < CHAINS; i += 1) {
  // Each upstream ends at its own moment of the second, so the downstream starts do not pile up.
  const stay = ((i * 80) / 1000).toFixed(2);
  docs.push(
    manifest(`up-${i}`, {
      schedule: '*/1 * * * * *',
      history: keepAll,
      task: { shell: `${STAMP}; sleep ${stay}` },
    }),
    manifest(`down-${i}`, {
      after: [{ schedule: `up-${i}` }],
      history: keepAll,
      task: { shell: STAMP },
    }),
  );
}
await writeFile(join(dir, 'chains.yaml'), docs.join('\n---\n'));
const proc = spawnDaemon(dir, state);
proc.stdout.resume();
proc.stderr.resume();
const daemon = { proc, exited: new Promise((resolve) => proc.on('exit', resolve)) };
const startedMs = Date.now();
await sleep((SECONDS + 1) * 1000);
await stopDaemon(daemon);

const chainMs = [];
const spawnMs = [];
const floorMs = [];
for (let i = 0; i < CHAINS; i += 1) {
  const ups = new Map((await readRuns(state, `up-${i}`)).map((run) => [run.id, run]));
  for (const up of ups.values()) {
    if (Date.parse(up.scheduledAt) < startedMs + WARMUP_MS || up.status !== 'succeeded') continue;
    floorMs.push(printedAfter(up, Date.parse(up.scheduledAt)));
  }
  for (const down of await readRuns(state, `down-${i}`)) {
    const up = ups.get(down.upstream?.runId);
    if (!up || Date.parse(up.scheduledAt) < startedMs + WARMUP_MS || down.status !== 'succeeded')
      continue;
    const upEnd = Date.parse(up.attempts.at(-1).finishedAt);
    chainMs.push(printedAfter(down, upEnd));
    // The daemon's part alone: the upstream's process exit to the downstream's process spawn.
    spawnMs.push(Date.parse(down.attempts[0].startedAt) - upEnd);
  }
}
await rm(root, { recursive: true, force: true });

const chain = summarise(chainMs);
const floor = summarise(floorMs);
const spawned = summarise(spawnMs);
const ms = (value) => `${value.toFixed(1)} ms`;
const verdict = spawned.p99 < TARGET_P99_MS ? 'PASS' : 'FAIL';
const load = loadavg()
  .map((value) => value.toFixed(1))
  .join(' / ');
console.log(
  [
    "## after: from an upstream run's end to its downstream job's first instruction (bench/after.js)",
    '',
    `${CHAINS} chain${CHAINS === 1 ? '' : 's'} (an every-second upstream and one downstream each), ${SECONDS} s, the first ${WARMUP_MS / 1000} s left out. The downstream's start waits for two fsynced ledger writes (its fire at the upstream's end, its start before the process). Floor, same run: the upstreams' own timed fires (instant → first instruction), the same process start without a ledger write on the way. Node ${process.version}, ${cpus().length} CPUs, load average ${load} (1/5/15 min) at the end.`,
    '',
    '| Measurement | n | p50 | p99 | max |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| upstream end → downstream first instruction | ${chain.n} | ${ms(chain.p50)} | ${ms(chain.p99)} | ${ms(chain.max)} |`,
    `| upstream's process exit → downstream process spawned (the daemon's part; both from the history) | ${spawned.n} | ${ms(spawned.p50)} | ${ms(spawned.p99)} | ${ms(spawned.max)} |`,
    `| floor: timed fire instant → first instruction | ${floor.n} | ${ms(floor.p50)} | ${ms(floor.p99)} | ${ms(floor.max)} |`,
    '',
    `Target: exit → spawned p99 under ${TARGET_P99_MS} ms. **${verdict}**`,
  ].join('\n'),
);
if (verdict === 'FAIL') process.exitCode = 1;
