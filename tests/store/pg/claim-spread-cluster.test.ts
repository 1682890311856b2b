// Fires spread over three replicas on the real cluster: each claims its preferred schedules at once and
// the others a little later, so each replica starts a share of an instant's fires, and each fire is
// still claimed exactly once.
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/shared/clock.js';
import { preferredReplica } from '../../../src/store/pg/claim-spread.js';
import { createPgFireLedger, type PgFireLedger } from '../../../src/store/pg/fire-ledger.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../pg/store.js';

describe('store/pg/claim-spread on the cluster', () => {
  let db: MigratedDatabase | undefined;
  const ledgers: PgFireLedger[] = [];
  afterEach(async () => {
    await Promise.all(ledgers.splice(0).map((ledger) => ledger.close()));
    await db?.destroy();
    db = undefined;
  });

  it('three replicas: every fire claimed once, most of them by their preferred replica', async () => {
    db = await createMigratedDatabase();
    const peers = ['r0', 'r1', 'r2'];
    for (const id of peers) {
      const ledger = createPgFireLedger({
        pool: db.pool(),
        url: db.url,
        replicaId: id,
        clock: systemClock,
      });
      ledger.setPeers(peers);
      ledgers.push(ledger);
    }
    const schedules = Array.from({ length: 60 }, (_, i) => `job-${i}`);
    // A second ahead: the replicas that are not preferred wait 100 ms, the preferred claim at once.
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toISOString();
    const outcomes = await Promise.all(
      ledgers.map((ledger, r) =>
        Promise.all(
          schedules.map((schedule) =>
            ledger
              .append([
                {
                  runId: `${schedule}@r${r}`,
                  schedule,
                  scheduledAt: at,
                  trigger: 'schedule',
                  specHash: 'h',
                },
              ])
              .then(
                () => ({ schedule, winner: peers[r]! }),
                () => undefined,
              ),
          ),
        ),
      ),
    );
    const won = outcomes.flat().filter((o) => o !== undefined);
    expect(won.map((o) => o.schedule).sort()).toEqual([...schedules].sort());
    const byPreferred = won.filter((o) => preferredReplica(o.schedule, peers) === o.winner);
    expect(byPreferred.length).toBeGreaterThanOrEqual(45);
    for (const peer of peers)
      expect(won.filter((o) => o.winner === peer).length).toBeGreaterThan(5);
  });
});
