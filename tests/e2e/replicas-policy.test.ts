// Concurrency policies and catch-up across real daemon replicas on one PostgreSQL store: a slow Forbid
// schedule never has two runs at once, Replace stops the run on another replica before the next starts
// (ground truth: the jobs write their own start and end times to one file), and a gap while every
// replica was down is one missed record.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../pg/database.js';
import { manifest, type RunningDaemon, stopDaemon, useCleanup, waitFor } from './daemon-harness.js';
import {
  buildTruthShell,
  findDoubles,
  readTruth,
  startReplica,
  waitForReplica,
} from './replicas-harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One run as its job saw it: started and ended (real milliseconds), on which replica. */
interface RunSpan {
  runId: string;
  replica: string;
  startMs: number;
  endMs?: number;
}

async function readSpans(file: string): Promise<RunSpan[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const spans = new Map<string, RunSpan>();
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const [what, runId, replica, ms] = line.split(' ');
    const span = spans.get(runId!) ?? { runId: runId!, replica: replica!, startMs: NaN };
    if (what === 'start') span.startMs = Number(ms);
    else span.endMs = Number(ms);
    spans.set(runId!, span);
  }
  return [...spans.values()].sort((a, b) => a.startMs - b.startMs);
}

/** Pairs of runs whose spans overlap (a run not yet ended overlaps everything after its start). */
function findOverlaps(spans: readonly RunSpan[]): string[] {
  const overlaps: string[] = [];
  for (let i = 1; i < spans.length; i += 1) {
    const previous = spans[i - 1]!;
    const current = spans[i]!;
    if (previous.endMs === undefined || current.startMs < previous.endMs)
      overlaps.push(`${previous.runId}@${previous.replica} / ${current.runId}@${current.replica}`);
  }
  return overlaps;
}

describe('e2e: concurrency policies across replicas', () => {
  const cleanup = useCleanup();

  it('a slow Forbid schedule on three replicas never has two runs at once', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const root = await mkdtemp(join(tmpdir(), 'cronops-policy-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const truth = join(root, 'spans.log');
    const dir = join(root, 'schedules.d');
    await mkdir(dir);
    // Every second, a job of 2.5 s: on one node, two of every three instants are skipped.
    const stamp = `$(date +%s%3N)`;
    await writeFile(
      join(dir, 'slow.yaml'),
      manifest('slow', {
        schedule: '*/1 * * * * *',
        concurrencyPolicy: 'Forbid',
        task: {
          shell: `echo "start $CRONOPS_RUN_ID $REPLICA ${stamp}" >> ${truth}; sleep 2.5; echo "end $CRONOPS_RUN_ID $REPLICA ${stamp}" >> ${truth}`,
        },
      }),
    );
    const replicas: RunningDaemon[] = [];
    for (const name of ['a', 'b', 'c']) {
      const daemon = startReplica(name, { dir, state: join(root, `state-${name}`), url: db.url });
      cleanup.push(() => stopDaemon(daemon));
      replicas.push(daemon);
    }
    await Promise.all(replicas.map((daemon) => waitForReplica(daemon)));
    // At least four runs (about 12 s of instants), however loaded the host.
    await waitFor(
      'four runs of the slow schedule to end',
      async () => (await readSpans(truth)).filter((s) => s.endMs !== undefined).length >= 4,
      60_000,
    );
    await sleep(1500);
    for (const daemon of replicas) expect((await stopDaemon(daemon, 30_000)).code).toBe(0);

    const spans = (await readSpans(truth)).filter((span) => !Number.isNaN(span.startMs));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanup.push(() => client.end());
    const { rows } = await client.query<{ status: string; reason: string | null; n: number }>(
      `select status, record->>'reason' as reason, count(*)::int as n from cronops.run
       where schedule = 'slow' group by 1, 2 order by 3 desc`,
    );
    const skipped = rows.filter((row) => row.status === 'skipped');
    console.log(
      `replicas policy e2e: ${JSON.stringify({
        runs: spans.length,
        perReplica: Object.fromEntries(
          ['a', 'b', 'c'].map((n) => [n, spans.filter((s) => s.replica === n).length]),
        ),
        skipped: skipped.reduce((sum, row) => sum + row.n, 0),
        overlaps: findOverlaps(spans).length,
      })}`,
    );
    expect(findOverlaps(spans)).toEqual([]);
    expect(spans.length).toBeGreaterThanOrEqual(4);
    // The instants in between were skipped once each, naming the run in flight and its replica.
    expect(skipped.length).toBeGreaterThan(0);
    for (const row of skipped) {
      expect(row.reason).toMatch(
        /^previous run \S+ on replica \S+ is still running \(concurrencyPolicy Forbid\)$|shutting down|shut down/,
      );
    }
    const { rows: doubles } = await client.query(
      `select scheduled_at from cronops.run where schedule = 'slow' and trigger = 'schedule'
       group by 1 having count(*) > 1`,
    );
    expect(doubles).toEqual([]);
  }, 120_000);

  it('Replace on two replicas: each run is stopped before the next starts, whichever replica runs it', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const root = await mkdtemp(join(tmpdir(), 'cronops-replace-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const truth = join(root, 'spans.log');
    const dir = join(root, 'schedules.d');
    await mkdir(dir);
    const stamp = `$(date +%s%3N)`;
    const end = `echo "end $CRONOPS_RUN_ID $REPLICA ${stamp}" >> ${truth}`;
    await writeFile(
      join(dir, 'long.yaml'),
      manifest('long', {
        schedule: '*/2 * * * * *',
        concurrencyPolicy: 'Replace',
        killGracePeriod: '5s',
        task: {
          // Writes its end when terminated, then exits: the next run must start after that line.
          shell: `trap '${end}; exit 143' TERM; echo "start $CRONOPS_RUN_ID $REPLICA ${stamp}" >> ${truth}; sleep 30 & wait $!`,
        },
      }),
    );
    const replicas = ['a', 'b'].map((name) => {
      const daemon = startReplica(name, { dir, state: join(root, `state-${name}`), url: db.url });
      cleanup.push(() => stopDaemon(daemon));
      return daemon;
    });
    await Promise.all(replicas.map((daemon) => waitForReplica(daemon)));
    await waitFor(
      'four runs of the long schedule to be replaced',
      async () => (await readSpans(truth)).filter((s) => s.endMs !== undefined).length >= 4,
      60_000,
    );
    for (const daemon of replicas) await stopDaemon(daemon, 30_000);
    const spans = (await readSpans(truth)).filter((span) => !Number.isNaN(span.startMs));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanup.push(() => client.end());
    const { rows } = await client.query<{ status: string; reason: string | null; replica: string }>(
      `select status, record->>'reason' as reason, replica from cronops.run where schedule = 'long'`,
    );
    const replaced = rows.filter((row) => row.status === 'cancelled');
    console.log(
      `replicas replace e2e: ${JSON.stringify({
        runs: spans.length,
        perReplica: Object.fromEntries(
          ['a', 'b'].map((n) => [n, spans.filter((s) => s.replica === n).length]),
        ),
        cancelled: replaced.length,
        overlaps: findOverlaps(spans).length,
      })}`,
    );
    expect(findOverlaps(spans)).toEqual([]);
    expect(replaced.length).toBeGreaterThanOrEqual(3);
    for (const row of replaced)
      expect(row.reason).toMatch(/^replaced by run \S+ \(concurrencyPolicy Replace\)/);
  }, 120_000);

  it('a gap while every replica was down is one missed record, written by one replica', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const root = await mkdtemp(join(tmpdir(), 'cronops-gap-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const truth = join(root, 'truth.log');
    const dir = join(root, 'schedules.d');
    await mkdir(dir);
    await writeFile(
      join(dir, 'tick.yaml'),
      manifest('tick', {
        schedule: '*/1 * * * * *',
        catchUp: 'latest',
        concurrencyPolicy: 'Allow',
        task: { shell: buildTruthShell(truth) },
      }),
    );
    const startBoth = async (): Promise<RunningDaemon[]> => {
      const started = ['a', 'b'].map((name) => {
        const daemon = startReplica(name, { dir, state: join(root, `state-${name}`), url: db.url });
        cleanup.push(() => stopDaemon(daemon));
        return daemon;
      });
      await Promise.all(started.map((daemon) => waitForReplica(daemon)));
      return started;
    };
    const first = await startBoth();
    await waitFor('two runs', async () => (await readTruth(truth)).length >= 2, 30_000);
    for (const daemon of first) expect((await stopDaemon(daemon, 30_000)).code).toBe(0);
    const downAt = Date.now();
    await sleep(5000);
    const second = await startBoth();
    await waitFor(
      'runs after the restart',
      async () => (await readTruth(truth)).filter((l) => l.instantMs > downAt + 5000).length >= 2,
      30_000,
    );
    for (const daemon of second) expect((await stopDaemon(daemon, 30_000)).code).toBe(0);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanup.push(() => client.end());
    const { rows } = await client.query<{ first: string; last: string; replica: string }>(
      `select record->'missed'->>'first' as first, record->'missed'->>'last' as last, replica
       from cronops.run where schedule = 'tick' and status = 'missed'`,
    );
    const lines = await readTruth(truth);
    console.log(`replicas gap e2e: ${JSON.stringify({ missed: rows, runs: lines.length })}`);
    expect(rows).toHaveLength(1);
    const gap = rows[0]!;
    // The gap covers the downtime, and nothing inside it ran.
    expect(Date.parse(gap.first)).toBeLessThanOrEqual(downAt + 2000);
    expect(Date.parse(gap.last)).toBeGreaterThanOrEqual(downAt + 3000);
    const inside = lines.filter(
      (l) => l.instantMs >= Date.parse(gap.first) && l.instantMs <= Date.parse(gap.last),
    );
    expect(inside).toEqual([]);
    expect(findDoubles(lines)).toEqual([]);
  }, 120_000);
});
