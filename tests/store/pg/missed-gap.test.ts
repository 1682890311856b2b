// Catch-up after all replicas were down, against the real cluster: one `missed` record per gap, decided
// by one replica; no record for a gap in which another replica was claiming fires.
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/shared/clock.js';
import { createPgFireLedger, type PgFireLedger } from '../../../src/store/pg/fire-ledger.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../pg/store.js';

const at = (second: number): string =>
  new Date(Date.parse('2020-01-01T00:00:00.000Z') + second * 1000).toISOString();

describe('store/pg/missed-gap', () => {
  let db: MigratedDatabase | undefined;
  const ledgers: PgFireLedger[] = [];
  afterEach(async () => {
    await Promise.all(ledgers.splice(0).map((ledger) => ledger.close()));
    await db?.destroy();
    db = undefined;
  });

  const ledger = (id: string): PgFireLedger => {
    const made = createPgFireLedger({
      pool: db!.pool(),
      url: db!.url,
      replicaId: id,
      clock: systemClock,
    });
    ledgers.push(made);
    return made;
  };

  it('eight replicas that found overlapping gaps after the same watermark: one writes the record', async () => {
    db = await createMigratedDatabase();
    const replicas = Array.from({ length: 8 }, (_, i) => ledger(`r${i}`));
    // Each started at a different moment, so each gap ends at a different instant.
    const won = await Promise.all(
      replicas.map((r, i) =>
        r.claimMissed!({
          schedule: 'job',
          first: at(1),
          last: at(60 + i),
          runId: `gap-${i}`,
          specHash: 'h',
        }),
      ),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    const { rows } = await db
      .pool()
      .query("select count(*)::int as n from cronops.fire_claim where trigger = 'missed'");
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('no record for a gap in which a fire was claimed (a replica was running), nor for an instant another replica ran', async () => {
    db = await createMigratedDatabase();
    const a = ledger('a');
    const b = ledger('b');
    await a.append([
      { runId: 'ran', schedule: 'job', scheduledAt: at(30), trigger: 'schedule', specHash: 'h' },
    ]);
    const gap = { schedule: 'job', specHash: 'h', runId: 'gap-b' };
    expect(await b.claimMissed!({ ...gap, first: at(1), last: at(59) })).toBe(false);
    expect(await b.claimMissed!({ ...gap, first: at(30), last: at(30) })).toBe(false);
    expect(await b.claimMissed!({ ...gap, runId: 'gap-b2', first: at(31), last: at(59) })).toBe(
      true,
    );
  });

  it('an instant inside a gap recorded missed is not claimed afterwards', async () => {
    db = await createMigratedDatabase();
    const a = ledger('a');
    const b = ledger('b');
    expect(
      await a.claimMissed!({
        schedule: 'job',
        first: at(1),
        last: at(9),
        runId: 'g',
        specHash: 'h',
      }),
    ).toBe(true);
    await expect(
      b.append([
        { runId: 'late', schedule: 'job', scheduledAt: at(5), trigger: 'catchup', specHash: 'h' },
      ]),
    ).rejects.toMatchObject({ code: 'FIRE_CLAIMED_ELSEWHERE' });
    await expect(
      b.append([
        { runId: 'next', schedule: 'job', scheduledAt: at(10), trigger: 'schedule', specHash: 'h' },
      ]),
    ).resolves.toBeUndefined();
  });
});
