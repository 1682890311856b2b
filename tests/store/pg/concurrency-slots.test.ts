// Concurrency policies across replicas against the real cluster: ledgers of several replicas racing for
// the fires of one Forbid/Queue/Replace schedule, the slot taken with the claim, released, passed on.
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterRuns } from '../../../src/daemon/fire-ledger.js';
import type { FireIntent } from '../../../src/history/journal.js';
import { systemClock } from '../../../src/shared/clock.js';
import { createPgFireLedger, type PgFireLedger } from '../../../src/store/pg/fire-ledger.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../pg/store.js';

type Policy = 'Forbid' | 'Queue' | 'Replace' | 'Allow';

const base = Date.parse('2020-01-01T00:00:00.000Z');
const at = (second: number): string => new Date(base + second * 1000).toISOString();
const intent = (runId: string, second: number, schedule = 'job'): FireIntent => ({
  runId,
  schedule,
  scheduledAt: at(second),
  trigger: 'schedule',
  specHash: 'h',
});

/** What a claim came to: started, or the code of its rejection, with the message. */
async function settle(promise: Promise<void>): Promise<{ outcome: string; reason?: string }> {
  return promise.then(
    () => ({ outcome: 'started' }),
    (err: { code?: string; message?: string }) => ({
      outcome: err.code ?? 'error',
      ...(err.message === undefined ? {} : { reason: err.message }),
    }),
  );
}

/** Wait until `check` holds, up to `ms`. */
async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('store/pg/concurrency-slots', () => {
  let db: MigratedDatabase | undefined;
  const ledgers: PgFireLedger[] = [];
  afterEach(async () => {
    await Promise.all(ledgers.splice(0).map((ledger) => ledger.close()));
    await db?.destroy();
    db = undefined;
  });

  /** A replica's ledger whose run manager runs every schedule under `policy` and records stop requests. */
  function replica(id: string, policy: Policy, leaseMs = 30_000) {
    const cancelled: { runId: string; reason: string }[] = [];
    const active = new Set<string>();
    const ledger = createPgFireLedger({
      pool: db!.pool(),
      url: db!.url,
      replicaId: id,
      clock: systemClock,
      leaseMs,
    });
    const runs: ClusterRuns = {
      policyOf: () => policy,
      isActive: (runId) => active.has(runId),
      cancel: (runId, reason) => cancelled.push({ runId, reason }),
    };
    ledger.bindRuns!(runs);
    ledgers.push(ledger);
    /** Claim, and once started, hold the run until `end` is called. */
    const fire = async (runId: string, second: number) => {
      active.add(runId);
      const result = await settle(ledger.append([intent(runId, second)]));
      if (result.outcome !== 'started') active.delete(runId);
      return result;
    };
    const end = (runId: string): void => {
      active.delete(runId);
      ledger.release!({ id: runId, schedule: 'job' });
    };
    return { ledger, fire, end, cancelled };
  }

  it('Forbid: two replicas racing for every instant never hold two runs at once', async () => {
    db = await createMigratedDatabase();
    const replicas = [replica('a', 'Forbid'), replica('b', 'Forbid')];
    const intervals: { runId: string; start: number; end: number }[] = [];
    const outcomes: string[] = [];
    for (let second = 0; second < 24; second += 1) {
      // Both replicas claim the instant; a run lasts about 2.5 instants (0.25 s per instant here).
      const results = await Promise.all(
        replicas.map(async (r, i) => {
          const runId = `${second}-${'ab'[i]}`;
          const result = await r.fire(runId, second);
          if (result.outcome === 'started') {
            const start = performance.now();
            setTimeout(() => {
              intervals.push({ runId, start, end: performance.now() });
              r.end(runId);
            }, 600);
          }
          return result.outcome;
        }),
      );
      outcomes.push(...results);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await waitFor(() => intervals.length === outcomes.filter((o) => o === 'started').length);
    // Every instant was claimed once: one replica lost it, the winner started or skipped it.
    expect(outcomes.filter((o) => o === 'FIRE_CLAIMED_ELSEWHERE')).toHaveLength(24);
    const skipped = outcomes.filter((o) => o === 'FIRE_SKIPPED_BY_POLICY').length;
    expect(skipped).toBeGreaterThan(0);
    expect(skipped + intervals.length).toBe(24);
    expect(intervals.length).toBeGreaterThan(1);
    const sorted = [...intervals].sort((x, y) => x.start - y.start);
    for (let i = 1; i < sorted.length; i += 1)
      expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
  });

  it('Forbid: the skip names the run in flight and its replica; a released slot is taken again', async () => {
    db = await createMigratedDatabase();
    const a = replica('a', 'Forbid');
    const b = replica('b', 'Forbid');
    expect(await a.fire('r1', 1)).toEqual({ outcome: 'started' });
    expect(await b.fire('r2', 2)).toEqual({
      outcome: 'FIRE_SKIPPED_BY_POLICY',
      reason: 'previous run r1 on replica a is still running (concurrencyPolicy Forbid)',
    });
    a.end('r1');
    const slot = async () =>
      (
        await db!
          .pool()
          .query<{ run_id: string | null }>('select run_id from cronops.schedule_slot')
      ).rows[0]?.run_id;
    const until = Date.now() + 5000;
    while ((await slot()) !== null && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await b.fire('r3', 3)).toEqual({ outcome: 'started' });
  });

  it('Forbid: a holder whose replica stopped renewing counts as running until two leases have passed', async () => {
    db = await createMigratedDatabase();
    const pool = db.pool();
    const b = replica('b', 'Forbid', 1000);
    await pool.query(
      `insert into cronops.schedule_slot (schedule, run_id, owner, renewed_at)
       values ('job', 'gone-run', 'gone', clock_timestamp() - interval '1.5 seconds')`,
    );
    expect(await b.fire('r1', 1)).toMatchObject({ outcome: 'FIRE_SKIPPED_BY_POLICY' });
    await pool.query(
      `update cronops.schedule_slot set renewed_at = clock_timestamp() - interval '2.1 seconds'`,
    );
    expect(await b.fire('r2', 2)).toEqual({ outcome: 'started' });
  });

  it('Queue: one queue across replicas; the queued fire starts when the holder ends', async () => {
    db = await createMigratedDatabase();
    const a = replica('a', 'Queue');
    const b = replica('b', 'Queue');
    const c = replica('c', 'Queue');
    expect(await a.fire('r1', 1)).toEqual({ outcome: 'started' });
    let queued: { outcome: string } | undefined;
    void b.fire('r2', 2).then((result) => (queued = result));
    // Wait until r2 is queued in the slot, then a third fire finds the queue full.
    const next = async () =>
      (
        await db!
          .pool()
          .query<{ n: string | null }>('select next_run_id as n from cronops.schedule_slot')
      ).rows[0]?.n;
    const until = Date.now() + 5000;
    while ((await next()) !== 'r2' && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await c.fire('r3', 3)).toEqual({
      outcome: 'FIRE_SKIPPED_BY_POLICY',
      reason: 'run r2 is already queued behind run r1 on replica a (concurrencyPolicy Queue)',
    });
    expect(queued).toBeUndefined();
    a.end('r1');
    await waitFor(() => queued !== undefined);
    expect(queued).toEqual({ outcome: 'started' });
  });

  it('Replace: the replica running the schedule is asked to stop its run; the new one starts after it', async () => {
    db = await createMigratedDatabase();
    const a = replica('a', 'Replace');
    const b = replica('b', 'Replace');
    expect(await a.fire('r1', 1)).toEqual({ outcome: 'started' });
    let replaced: { outcome: string } | undefined;
    void b.fire('r2', 2).then((result) => (replaced = result));
    await waitFor(() => a.cancelled.length > 0);
    expect(a.cancelled).toEqual([
      { runId: 'r1', reason: 'replaced by run r2 (concurrencyPolicy Replace)' },
    ]);
    // Not before the old run has ended.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(replaced).toBeUndefined();
    a.end('r1');
    await waitFor(() => replaced !== undefined);
    expect(replaced).toEqual({ outcome: 'started' });
  });

  it('Allow: runs beside each other, and takes no slot', async () => {
    db = await createMigratedDatabase();
    const a = replica('a', 'Allow');
    const b = replica('b', 'Allow');
    expect(await a.fire('r1', 1)).toEqual({ outcome: 'started' });
    expect(await b.fire('r2', 2)).toEqual({ outcome: 'started' });
    const { rows } = await db.pool().query('select * from cronops.schedule_slot');
    expect(rows).toEqual([]);
  });

  it('run now: eight replicas racing with one request id start one run; the others learn its id', async () => {
    db = await createMigratedDatabase();
    const all = Array.from({ length: 8 }, (_, i) => replica(`r${i}`, 'Forbid'));
    const answers = await Promise.all(
      all.map((r, i) =>
        r.ledger.claimRequest!({ requestId: 'deploy-42', schedule: 'job', runId: `run-${i}` }),
      ),
    );
    const winners = answers.filter((answer, i) => answer.runId === `run-${i}`);
    expect(winners).toHaveLength(1);
    expect(new Set(answers.map((answer) => `${answer.runId} ${answer.replica}`)).size).toBe(1);
  });

  it('run now under Forbid: not started while another replica runs the schedule', async () => {
    db = await createMigratedDatabase();
    const a = replica('a', 'Forbid');
    const b = replica('b', 'Forbid');
    expect(await a.fire('r1', 1)).toEqual({ outcome: 'started' });
    const manual = await settle(b.ledger.append([{ ...intent('m1', 2), trigger: 'manual' }]));
    expect(manual).toEqual({
      outcome: 'FIRE_SKIPPED_BY_POLICY',
      reason: 'previous run r1 on replica a is still running (concurrencyPolicy Forbid)',
    });
  });

  it.each([
    { policy: 'Queue', reason: 'queued behind run r1 on replica a' },
    {
      policy: 'Replace',
      reason: 'waiting for run r1 on replica a to stop (concurrencyPolicy Replace)',
    },
  ] as const)(
    'run now under $policy: the caller hears that the fire waits for the other replica’s run',
    async ({ policy, reason }) => {
      db = await createMigratedDatabase();
      const a = replica('a', policy);
      const b = replica('b', policy);
      expect(await a.fire('r1', 1)).toEqual({ outcome: 'started' });
      const heard: string[] = [];
      let manual: { outcome: string } | undefined;
      void settle(
        b.ledger.append([{ ...intent('m1', 2), trigger: 'manual' }], (runId, why) =>
          heard.push(`${runId}: ${why}`),
        ),
      ).then((result) => (manual = result));
      await waitFor(() => heard.length > 0);
      expect(heard).toEqual([`m1: ${reason}`]);
      expect(manual).toBeUndefined();
      a.end('r1');
      await waitFor(() => manual !== undefined);
      expect(manual).toEqual({ outcome: 'started' });
    },
  );
});
