// What only the PostgreSQL store does: several replicas on one history, writes kept through an outage.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPgHistoryStore,
  type PgHistoryStore,
  type RemoteRunEvent,
} from '../../../src/store/pg/history-store.js';
import { makeRun, runId } from '../../history/store-contract.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../pg/store.js';
import { waitFor } from '../../e2e/daemon-harness.js';

describe('store/pg/history-store', () => {
  let db: MigratedDatabase | undefined;
  const stores: PgHistoryStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await db?.destroy();
    db = undefined;
  });

  async function replica(id: string): Promise<PgHistoryStore> {
    db ??= await createMigratedDatabase();
    const store = createPgHistoryStore({
      pool: db.pool(),
      url: db.url,
      replicaId: id,
      refreshDelayMs: 5,
    });
    stores.push(store);
    await store.open();
    return store;
  }

  it("shows one replica's runs and watermarks on another, live, named by replica", async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    const changed: string[] = [];
    const remote: RemoteRunEvent[] = [];
    b.subscribe((schedule) => changed.push(schedule));
    b.subscribeRemoteRuns((event) => remote.push(event));
    await a.recordRun(makeRun(1, { status: 'running', attempts: [] }), {
      lastScheduledAt: '2026-01-01T00:00:01.000Z',
    });
    await waitFor('the running run on b', () => b.summary('backup').counts.running === 1, 5000);
    expect(b.lastScheduledAt('backup')).toBe('2026-01-01T00:00:01.000Z');
    expect(changed).toContain('backup');
    expect(remote).toContainEqual({
      replica: 'replica-a',
      schedule: 'backup',
      runId: runId(1),
      status: 'running',
    });
    // b finishes it (a replica taking over a run keeps the replica that ran it).
    await b.recordRun({ ...(await b.getRun(runId(1)))!, status: 'interrupted' });
    await waitFor('the outcome on a', () => a.summary('backup').counts.interrupted === 1, 5000);
    expect((await a.getRun(runId(1)))?.replica).toBe('replica-a');
    expect(a.summary('backup').counts.running).toBe(0);
  });

  it('keeps watermarks from going backwards when replicas race', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    await a.setLastScheduledAt('backup', '2026-01-01T00:00:05.000Z', { durable: true });
    await b.setLastScheduledAt('backup', '2026-01-01T00:00:03.000Z', { durable: true });
    const c = await replica('replica-c');
    expect(c.lastScheduledAt('backup')).toBe('2026-01-01T00:00:05.000Z');
  });

  it('keeps runs recorded while the database refuses writes, shows them, and writes them once it can', async () => {
    const a = await replica('replica-a');
    const admin = db!.pool();
    await admin.query('alter table cronops.run rename to run_away');
    await a.recordRun(makeRun(1));
    await waitFor('the store to notice', () => !a.health().writable, 5000);
    expect(a.health()).toMatchObject({ writable: false, pendingWrites: 1 });
    expect(a.health().lastError).toMatch(/relation "cronops.run" does not exist/);
    await admin.query('alter table cronops.run_away rename to run');
    expect((await a.listRuns({})).map((run) => run.id)).toEqual([runId(1)]);
    await waitFor(
      'the retried write',
      () => a.health().writable && a.health().pendingWrites === 0,
      10_000,
    );
    const { rows } = await admin.query('select id, replica from cronops.run');
    expect(rows).toEqual([{ id: runId(1), replica: 'replica-a' }]);
  });

  it('applies retention across replicas by DELETE', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    a.setRetention('backup', { successfulRunsLimit: 2, failedRunsLimit: 2 });
    for (let n = 1; n <= 3; n += 1) await b.recordRun(makeRun(n));
    await b.flush();
    await a.recordRun(makeRun(4));
    await a.flush();
    const { rows } = await db!.pool().query('select id from cronops.run order by id');
    expect(rows.map((row: { id: string }) => row.id)).toEqual([runId(3), runId(4)]);
    await waitFor('b to see the pruned history', () => b.summary('backup').total === 2, 5000);
  });
});
