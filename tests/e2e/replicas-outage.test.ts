// Two real daemons on a PostgreSQL cluster of their own, stopped for 10 s and started again while they
// run every-second schedules: no process starts without a claim, /readyz is 503 with the reason
// meanwhile and 200 after, nothing runs twice, every instant ran or has a record. The outage is one gap
// per schedule, decided once across the replicas when the database is back: the newest instant still
// within startingDeadline (5 s) starts late as catch-up, the rest is one `missed` record. Before the
// outage, each replica's /status lists both replicas and its event stream carries the other's runs.
import type { IncomingMessage } from 'node:http';
import { get } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createCluster,
  removeCluster,
  startServer,
  stopServer,
  type TestCluster,
} from '../pg/cluster.js';
import { type RunningDaemon, stopDaemon, useCleanup, waitFor } from './daemon-harness.js';
import {
  findDoubles,
  listSecondInstants,
  readTruth,
  startReplica,
  waitForEndpoint,
  waitForReplica,
  writeTicks,
} from './replicas-harness.js';

const SCHEDULES = 4;
const OUTAGE_MS = 10_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function readyz(url: string): Promise<{ status: number; reasons: string[] }> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { reasons?: string[] };
  return { status: response.status, reasons: body.reasons ?? [] };
}

describe('e2e: replicas through a PostgreSQL outage', () => {
  const cleanup = useCleanup();

  it('starts nothing without a claim, is not ready while claims fail, runs nothing twice', async () => {
    // A cluster of its own: stopping the shared one would fail every other test using it.
    const cluster: TestCluster = await createCluster();
    cleanup.push(() => removeCluster(cluster));
    const root = await mkdtemp(join(tmpdir(), 'cronops-outage-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const truth = join(root, 'truth.log');
    const dir = join(root, 'schedules.d');
    await writeTicks(dir, truth, SCHEDULES);
    const launch = (name: string): RunningDaemon => {
      const daemon = startReplica(name, {
        dir,
        state: join(root, `state-${name}`),
        url: cluster.url,
      });
      cleanup.push(() => stopDaemon(daemon));
      return daemon;
    };
    const a = launch('a');
    const b = launch('b');
    await Promise.all([waitForReplica(a), waitForReplica(b)]);
    const [urlA, urlB] = await Promise.all([waitForEndpoint(a), waitForEndpoint(b)]);
    const streams: IncomingMessage[] = [];
    cleanup.push(async () => streams.forEach((s) => s.destroy()));
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      get(`${urlA}/api/v1/events`, resolve).on('error', reject),
    );
    streams.push(response);
    let events = '';
    response.on('data', (chunk: Buffer) => (events += chunk.toString('utf8')));

    // /status of either replica lists both, with their configuration digests (the same manifests).
    const cluster2 = await waitFor(
      'both replicas in /status',
      async () => {
        const status = (await (await fetch(`${urlB}/status`)).json()) as {
          cluster: {
            replicas: { id: string; configDigest: string | null; live: boolean }[];
            configDigests: number;
            warning: string | null;
          } | null;
        };
        const replicas = status.cluster?.replicas ?? [];
        return replicas.length === 2 && replicas.every((r) => r.configDigest !== null && r.live)
          ? status.cluster
          : undefined;
      },
      30_000,
    );
    expect(cluster2).toMatchObject({ configDigests: 1, warning: null });
    // a's event stream carries b's runs, each with b's replica id.
    const idB = await waitFor('b to have run something', async () => {
      const lines = await readTruth(truth);
      return lines.find((l) => l.replica === 'b')?.runId;
    });
    await waitFor('b’s run on a’s stream', () => events.includes(idB), 15_000);
    const onStream = events
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.includes(idB))
      .map((line) => JSON.parse(line.slice(6)) as { run: { replica?: string } });
    expect(onStream[0]?.run.replica).toMatch(/:/);
    expect((await readyz(urlA)).status).toBe(200);

    const windowFrom = Date.now() + 1000;
    await sleep(3000);
    // PostgreSQL stops for 10 s.
    const stoppedAt = Date.now();
    await stopServer(cluster, 'fast');
    const notReady = await waitFor(
      'a to be not ready',
      async () => {
        const ready = await readyz(urlA);
        // The first reason may be a history write that failed before the next claim did.
        return ready.status === 503 && ready.reasons.some((r) => r.includes('fire claims'))
          ? ready
          : undefined;
      },
      OUTAGE_MS - 2000,
    ).catch((error: unknown) => {
      // What the replica said, to see why it was not ready in time.
      console.log(`replica a's log: ${a.output().slice(-4000)}`);
      throw error;
    });
    expect(notReady.reasons.join('; ')).toMatch(/fire claims: cannot claim fires in the store/);
    expect(notReady.reasons.join('; ')).not.toMatch(/password/);
    // b finds the store gone at its own next claim or heartbeat, which may come a little after a's.
    const bNotReady = await waitFor(
      'b to be not ready',
      async () => ((await readyz(urlB)).status === 503 ? true : undefined),
      Math.max(1000, stoppedAt + OUTAGE_MS - 1000 - Date.now()),
    );
    expect(bNotReady).toBe(true);
    await sleep(Math.max(0, stoppedAt + OUTAGE_MS - Date.now()));
    await startServer(cluster);
    const restartedAt = Date.now();
    // Ready again once claims succeed (and the history kept meanwhile is written).
    await waitFor('a ready again', async () => (await readyz(urlA)).status === 200, 30_000);
    await waitFor('b ready again', async () => (await readyz(urlB)).status === 200, 30_000);
    await sleep(4000);
    const windowTo = Date.now() - 1500;
    await sleep(2000);
    for (const daemon of [a, b]) expect((await stopDaemon(daemon, 30_000)).code).toBe(0);

    const lines = await readTruth(truth);
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    cleanup.push(() => client.end());
    const claims = await client.query<{ run_id: string; owner: string }>(
      'select run_id, owner from cronops.fire_claim',
    );
    const claimed = new Set(claims.rows.map((row) => row.run_id));
    const runs = await client.query<{
      schedule: string;
      at: Date;
      status: string;
      trigger: string;
      first: string | null;
    }>(
      "select schedule, scheduled_at as at, status, record->>'trigger' as trigger, record->'missed'->>'first' as first from cronops.run",
    );
    const recorded = new Set(runs.rows.map((r) => `${r.schedule}@${r.at.getTime()}`));
    for (const r of runs.rows.filter((row) => row.first !== null)) {
      for (let at = Date.parse(r.first!); at < r.at.getTime(); at += 1000)
        recorded.add(`${r.schedule}@${at}`);
    }
    const ran = new Set(lines.map((l) => `${l.schedule}@${l.instantMs}`));
    const expected = listSecondInstants(windowFrom, windowTo);
    const lost: string[] = [];
    for (let index = 0; index < SCHEDULES; index += 1)
      for (const at of expected) {
        const key = `tick-${index}@${at}`;
        if (!ran.has(key) && !recorded.has(key)) lost.push(new Date(at).toISOString());
      }
    const unclaimed = lines.filter((l) => !claimed.has(l.runId));
    const startedDuringOutage = lines.filter(
      (l) => l.startedMs > stoppedAt + 500 && l.startedMs < restartedAt,
    );
    const ranAfter = lines.filter((l) => l.instantMs > restartedAt);
    const missedDuringOutage = runs.rows.filter(
      (r) => r.status === 'missed' && r.at.getTime() >= stoppedAt && r.at.getTime() <= restartedAt,
    );
    const missedPerSchedule = new Map<string, number>();
    for (const r of missedDuringOutage)
      missedPerSchedule.set(r.schedule, (missedPerSchedule.get(r.schedule) ?? 0) + 1);
    // Instants of the outage started late, as catch-up, once the database was back.
    const caughtUp = runs.rows.filter(
      (r) =>
        r.trigger === 'catchup' &&
        r.at.getTime() > stoppedAt &&
        r.at.getTime() <= restartedAt + 5000,
    );
    console.log(
      `replicas outage e2e: ${JSON.stringify({
        expected: expected.length * SCHEDULES,
        ran: lines.length,
        doubled: findDoubles(lines).length,
        unclaimed: unclaimed.length,
        startedDuringOutage: startedDuringOutage.length,
        ranAfterRestart: ranAfter.length,
        missedRecordsForTheOutage: missedDuringOutage.length,
        caughtUpLate: caughtUp.length,
        lost: lost.length,
      })}`,
    );
    expect(findDoubles(lines)).toEqual([]);
    // No process started without a claim: every start has its claim row, and none started while the
    // database was down.
    expect(unclaimed).toEqual([]);
    expect(startedDuringOutage).toEqual([]);
    // Nothing lost: every instant of the window ran or has a record (the outage's as missed).
    expect(lost).toEqual([]);
    // One missed record per schedule for the outage (not one per instant and replica), and its newest
    // instant within startingDeadline started late on one replica.
    expect([...missedPerSchedule.values()]).toEqual(Array.from({ length: SCHEDULES }, () => 1));
    expect(new Set(caughtUp.map((r) => r.schedule)).size).toBe(SCHEDULES);
    // Scheduling carried on after the restart on both schedules' instants.
    expect(new Set(ranAfter.map((l) => l.schedule)).size).toBe(SCHEDULES);
  }, 180_000);
});
