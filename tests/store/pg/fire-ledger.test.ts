// The PostgreSQL fire ledger against the real cluster: racing replicas, the DB-clock guard, a lost
// acknowledgement, an unreachable database.
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { FireIntent } from '../../../src/history/journal.js';
import { systemClock, type Clock } from '../../../src/shared/clock.js';
import { createStorePool } from '../../../src/store/pg/connection.js';
import { createPgFireLedger } from '../../../src/store/pg/fire-ledger.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../pg/store.js';

const intent = (schedule: string, at: string, runId: string): FireIntent => ({
  runId,
  schedule,
  scheduledAt: at,
  trigger: 'schedule',
  specHash: 'h',
});

async function dbNow(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'select (extract(epoch from clock_timestamp()) * 1000)::float8 as n',
  );
  return rows[0]!.n;
}

describe('store/pg/fire-ledger', () => {
  let db: MigratedDatabase | undefined;
  afterEach(async () => {
    await db?.destroy();
    db = undefined;
  });

  it('grants each (schedule, instant) to exactly one of eight racing replicas, without deadlock', async () => {
    db = await createMigratedDatabase();
    const ledgers = Array.from({ length: 8 }, (_, r) =>
      createPgFireLedger({
        pool: db!.pool(),
        url: db!.url,
        replicaId: `r${r}`,
        clock: systemClock,
      }),
    );
    const base = Date.parse('2020-01-01T00:00:00.000Z');
    const outcomes: Promise<string>[] = [];
    for (let instant = 0; instant < 30; instant += 1) {
      const at = new Date(base + instant * 1000).toISOString();
      ledgers.forEach((ledger, r) => {
        // Each replica lists the schedules in its own order: the statement locks in a fixed one.
        const step = [1, 3, 7, 9, 11, 13, 17, 19][r]!;
        const names = Array.from({ length: 20 }, (_, s) => `s${(s * step) % 20}`);
        for (const name of names) {
          outcomes.push(
            ledger.append([intent(name, at, `${name}-${instant}-r${r}`)]).then(
              () => 'won',
              (err: { code?: string }) => err.code ?? 'error',
            ),
          );
        }
      });
    }
    const settled = await Promise.all(outcomes);
    expect(settled.filter((o) => o === 'won')).toHaveLength(600);
    expect(settled.filter((o) => o === 'FIRE_CLAIMED_ELSEWHERE')).toHaveLength(600 * 7);
    const { rows } = await db
      .pool()
      .query(
        'select count(*)::int as n, count(distinct (schedule, scheduled_at))::int as slots from cronops.fire_claim',
      );
    expect(rows).toEqual([{ n: 600, slots: 600 }]);
    const statements = ledgers.reduce((sum, ledger) => sum + ledger.stats().statements, 0);
    expect(statements).toBeLessThanOrEqual(8 * 30);
  });

  it('refuses a claim further ahead than the largest head start, then claims it in time', async () => {
    db = await createMigratedDatabase();
    const pool = db.pool();
    const ledger = createPgFireLedger({
      pool,
      url: db.url,
      replicaId: 'r1',
      clock: systemClock,
      maxLeadMs: 500,
    });
    const at = new Date(Math.ceil((await dbNow(pool)) + 1500)).toISOString();
    await ledger.append([intent('tick', at, 'run-1')]);
    // Not granted before instant - 500 ms by the database clock (the first statement, 1.5 s ahead, was refused).
    const { rows } = await pool.query<{ lead: number }>(
      "select (extract(epoch from (scheduled_at - claimed_at)) * 1000)::float8 as lead from cronops.fire_claim where run_id = 'run-1'",
    );
    expect(rows[0]!.lead).toBeLessThanOrEqual(500);
    expect(ledger.stats().statements).toBe(2);
  });

  it('on a clock 3 s fast, measures the offset and starts no earlier than the instant by the database clock', async () => {
    db = await createMigratedDatabase();
    const pool = db.pool();
    const fast: Clock = { now: () => new Date(Date.now() + 3000) };
    const ledger = createPgFireLedger({ pool, url: db.url, replicaId: 'fast', clock: fast });
    const offset = await ledger.measureClockOffset();
    expect(offset).toBeGreaterThan(2700);
    expect(offset).toBeLessThan(3300);
    // The fast replica prepares at its local instant - 250 ms, i.e. 3.25 s early by the database clock.
    const at = new Date(fast.now().getTime() + 250).toISOString();
    await ledger.append([intent('tick', at, 'run-fast')]);
    expect(await dbNow(pool)).toBeGreaterThanOrEqual(Date.parse(at) - 15);
  });

  it('recognises its own claim when the acknowledgement of the commit is lost', async () => {
    db = await createMigratedDatabase();
    const real = db.pool();
    let dropped = 0;
    // The first claim statement commits, then its connection "drops" before the answer arrives.
    const lossy = new Proxy(real, {
      get(target, key, receiver) {
        if (key !== 'query') return Reflect.get(target, key, receiver) as unknown;
        return async (text: string, values?: unknown[]) => {
          const result = await target.query(text, values);
          if (text.includes('insert into cronops.fire_claim') && dropped === 0) {
            dropped += 1;
            throw new Error('Connection terminated unexpectedly');
          }
          return result;
        };
      },
    });
    const ledger = createPgFireLedger({
      pool: lossy,
      url: db.url,
      replicaId: 'me',
      clock: systemClock,
    });
    await expect(
      ledger.append([intent('tick', '2020-01-01T00:00:00.000Z', 'run-mine')]),
    ).resolves.toBeUndefined();
    expect(dropped).toBe(1);
    const { rows } = await real.query('select run_id, owner from cronops.fire_claim');
    expect(rows).toEqual([{ run_id: 'run-mine', owner: 'me' }]);
    // Someone else's claim on the same slot is still somebody else's.
    const other = createPgFireLedger({
      pool: real,
      url: db.url,
      replicaId: 'other',
      clock: systemClock,
    });
    await expect(
      other.append([intent('tick', '2020-01-01T00:00:00.000Z', 'run-other')]),
    ).rejects.toMatchObject({ code: 'FIRE_CLAIMED_ELSEWHERE' });
  });

  it('fails closed when the database cannot be reached: the fire is not durable', async () => {
    const pool = createStorePool('postgres://postgres:pw-never-shown@127.0.0.1:1/x', {
      connectionTimeoutMs: 1000,
    });
    try {
      const ledger = createPgFireLedger({
        pool,
        url: 'postgres://postgres:pw-never-shown@127.0.0.1:1/x',
        replicaId: 'r',
        clock: systemClock,
      });
      const failed = ledger.append([intent('tick', '2020-01-01T00:00:00.000Z', 'run-x')]);
      await expect(failed).rejects.toMatchObject({ code: 'FIRE_NOT_DURABLE' });
      await expect(failed).rejects.not.toThrow(/pw-never-shown/);
      expect(ledger.healthy()).toBe(false);
    } finally {
      await pool.end();
    }
  });

  it('reports claims failing as not durable with the reason, and durable again once a claim succeeds', async () => {
    db = await createMigratedDatabase();
    const real = db.pool();
    let down = false;
    // The claim pool, cut off from the database on demand (as when PostgreSQL stops).
    const pool = {
      query: (...args: Parameters<pg.Pool['query']>) =>
        down
          ? Promise.reject(
              Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
                code: 'ECONNREFUSED',
              }),
            )
          : real.query(...args),
    } as unknown as pg.Pool;
    const ledger = createPgFireLedger({ pool, url: db.url, replicaId: 'r', clock: systemClock });
    expect(ledger.health()).toMatchObject({ durable: true });
    down = true;
    await expect(
      ledger.append([intent('tick', '2020-01-01T00:00:00.000Z', 'run-1')]),
    ).rejects.toMatchObject({ code: 'FIRE_NOT_DURABLE' });
    expect(ledger.health()).toMatchObject({
      durable: false,
      source: 'fire claims',
      problem: 'cannot claim fires in the store: connect ECONNREFUSED 127.0.0.1:5432',
    });
    down = false;
    await ledger.append([intent('tick', '2020-01-01T00:00:01.000Z', 'run-2')]);
    expect(ledger.health()).toEqual({
      durable: true,
      reserveBytes: 0,
      wantedBytes: 0,
      liveBytes: 0,
      source: 'fire claims',
    });
  });

  it('adapts the head start to the latency of claim batches of that size', async () => {
    db = await createMigratedDatabase();
    const real = db.pool();
    // Statements of five fires take 300 ms longer than the database needs (a loaded database).
    const pool = {
      query: async (...args: Parameters<pg.Pool['query']>) => {
        const params = args[1] as unknown[][] | undefined;
        if (Array.isArray(params?.[0]) && params[0].length === 5)
          await new Promise((resolve) => setTimeout(resolve, 300));
        return real.query(...args);
      },
    } as unknown as pg.Pool;
    const ledger = createPgFireLedger({ pool, url: db.url, replicaId: 'r', clock: systemClock });
    expect(ledger.claimLeadMs(1)).toBe(250); // nothing measured yet
    const base = Date.parse('2020-01-01T00:00:00.000Z');
    for (let instant = 0; instant < 5; instant += 1) {
      const at = new Date(base + instant * 1000).toISOString();
      await ledger.append([intent('one', at, `one-${instant}`)]);
      await ledger.append(
        Array.from({ length: 5 }, (_, s) => intent(`five-${s}`, at, `five-${s}-${instant}`)),
      );
    }
    expect(ledger.stats().statements).toBe(10);
    const small = ledger.claimLeadMs(1);
    const five = ledger.claimLeadMs(5);
    expect(small).toBeGreaterThanOrEqual(50);
    expect(small).toBeLessThan(five);
    expect(five).toBeGreaterThanOrEqual(400); // ≥ 300 ms + the 100 ms margin
    expect(five).toBeLessThanOrEqual(1900);
  });
});
