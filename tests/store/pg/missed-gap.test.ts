// Catch-up after all replicas were down, against the real cluster: one `missed` record per gap, decided
// by one replica, covering only the instants nobody holds (claimed ones ran on another replica).
import { afterEach, describe, expect, it } from 'vitest';
import { compileSchedule } from '../../../src/cron/compile.js';
import { narrowGap, type HeldRange } from '../../../src/runtime/plan-missed.js';
import { systemClock } from '../../../src/shared/clock.js';
import { createPgFireLedger, type PgFireLedger } from '../../../src/store/pg/fire-ledger.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../pg/store.js';

const at = (second: number): string =>
  new Date(Date.parse('2020-01-01T00:00:00.000Z') + second * 1000).toISOString();

const everySecond = (() => {
  const compiled = compileSchedule('*/1 * * * * *');
  if (!compiled.ok) throw new Error('bad schedule');
  return compiled.schedule;
})();

/** Narrowing for an every-second schedule, as the daemon does it. */
const narrowSeconds = (first: string, last: string) => (held: readonly HeldRange[]) =>
  narrowGap(
    everySecond,
    'UTC',
    {
      first: new Date(first),
      last: new Date(last),
      count: (Date.parse(last) - Date.parse(first)) / 1000 + 1,
    },
    held,
  );

type Gap = { schedule: string; first: string; last: string; runId: string; specHash: string };
const claimGap = (ledger: PgFireLedger, gap: Gap) =>
  ledger.claimMissed!(gap, narrowSeconds(gap.first, gap.last));
const bounds = (rest: Awaited<ReturnType<typeof claimGap>>) =>
  rest && { first: rest.first.toISOString(), last: rest.last.toISOString(), count: rest.count };

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
    // Each started at a different moment, so each gap ends at a different instant; the instants after
    // 60 were claimed by the replica that was firing by then.
    await replicas[0]!.append(
      Array.from({ length: 7 }, (_, i) => ({
        runId: `regular-${61 + i}`,
        schedule: 'job',
        scheduledAt: at(61 + i),
        trigger: 'schedule' as const,
        specHash: 'h',
      })),
    );
    const won = await Promise.all(
      replicas.map((r, i) =>
        claimGap(r, {
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

  it('a gap with instants another replica claimed records the rest; nothing for what is held', async () => {
    db = await createMigratedDatabase();
    const a = ledger('a');
    const b = ledger('b');
    await a.append([
      { runId: 'ran-1', schedule: 'job', scheduledAt: at(1), trigger: 'schedule', specHash: 'h' },
      { runId: 'ran-30', schedule: 'job', scheduledAt: at(30), trigger: 'schedule', specHash: 'h' },
      { runId: 'ran-59', schedule: 'job', scheduledAt: at(59), trigger: 'schedule', specHash: 'h' },
    ]);
    const gap = { schedule: 'job', specHash: 'h' };
    // An instant that ran: nothing to record.
    expect(await claimGap(b, { ...gap, runId: 'g0', first: at(30), last: at(30) })).toBeUndefined();
    // 1..59 less 1, 30 and 59: 2..58, 56 instants (30 inside ran, and is not counted).
    expect(bounds(await claimGap(b, { ...gap, runId: 'g1', first: at(1), last: at(59) }))).toEqual({
      first: at(2),
      last: at(58),
      count: 56,
    });
    // Overlapping the recorded gap: only what it does not cover.
    expect(bounds(await claimGap(a, { ...gap, runId: 'g2', first: at(40), last: at(70) }))).toEqual(
      { first: at(60), last: at(70), count: 11 },
    );
    expect(await claimGap(a, { ...gap, runId: 'g3', first: at(5), last: at(65) })).toBeUndefined();
    const { rows } = await db
      .pool()
      .query<{ run_id: string }>(
        "select run_id from cronops.fire_claim where trigger = 'missed' order by run_id",
      );
    expect(rows.map((r) => r.run_id)).toEqual(['g1', 'g2']);
  });

  it('an instant inside a gap recorded missed is not claimed afterwards', async () => {
    db = await createMigratedDatabase();
    const a = ledger('a');
    const b = ledger('b');
    expect(
      bounds(
        await claimGap(a, {
          schedule: 'job',
          first: at(1),
          last: at(9),
          runId: 'g',
          specHash: 'h',
        }),
      ),
    ).toEqual({ first: at(1), last: at(9), count: 9 });
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
