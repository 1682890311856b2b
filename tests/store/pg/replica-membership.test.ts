// Replica membership against the real cluster: what each replica publishes with its heartbeat (version,
// clock offset, configuration digest) and the replica list every replica reads back for its status.
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/shared/clock.js';
import { createPgFireLedger } from '../../../src/store/pg/fire-ledger.js';
import {
  createReplicaMembership,
  type ReplicaMembership,
} from '../../../src/store/pg/replica-membership.js';
import { waitFor } from '../../e2e/daemon-harness.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../pg/store.js';

describe('store/pg/replica-membership', () => {
  let db: MigratedDatabase | undefined;
  const members: ReplicaMembership[] = [];
  afterEach(async () => {
    for (const member of members.splice(0)) await member.close();
    await db?.destroy();
    db = undefined;
  });

  it('publishes each replica’s configuration digest and reads every replica back, noting when digests differ', async () => {
    db = await createMigratedDatabase();
    let now = new Date('2026-03-01T10:00:00.000Z');
    const join = async (id: string, digest: string): Promise<ReplicaMembership> => {
      const pool = db!.pool();
      const ledger = createPgFireLedger({ pool, url: db!.url, replicaId: id, clock: systemClock });
      const member = createReplicaMembership({
        pool,
        url: db!.url,
        replicaId: id,
        version: '1.4.0',
        ledger,
        leaseMs: 60_000,
        heartbeatMs: 100,
        now: () => now,
      });
      member.setConfigDigest(() => digest);
      members.push(member);
      await member.start();
      return member;
    };
    const a = await join('host-a:1:aaaa', 'digest-1');
    expect(a.cluster()).toMatchObject({
      self: 'host-a:1:aaaa',
      leaseMs: 60_000,
      readAt: now,
      replicas: [{ id: 'host-a:1:aaaa', version: '1.4.0', configDigest: 'digest-1' }],
      configDivergedSince: undefined,
    });
    now = new Date('2026-03-01T10:00:05.000Z');
    await join('host-b:1:bbbb', 'digest-2');
    // a's next heartbeat reads both replicas.
    await waitFor('a to see b', () => a.cluster()?.replicas.length === 2, 10_000);
    const view = a.cluster()!;
    expect(view.replicas.map((r) => [r.id, r.configDigest])).toEqual([
      ['host-a:1:aaaa', 'digest-1'],
      ['host-b:1:bbbb', 'digest-2'],
    ]);
    expect(view.replicas[0]!.heartbeatAgeMs).toBeLessThan(60_000);
    expect(typeof view.replicas[0]!.clockOffsetMs).toBe('number');
    expect(view.configDivergedSince).toEqual(new Date('2026-03-01T10:00:05.000Z'));
  });
});
