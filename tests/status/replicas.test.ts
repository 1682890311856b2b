import { describe, expect, it } from 'vitest';
import {
  buildClusterStatus,
  CONFIG_DIVERGENCE_WARN_MS,
  trackConfigDivergence,
  type ClusterInput,
  type ReplicaInput,
} from '../../src/status/replicas.js';
import { buildStatusSnapshot, type StatusInput } from '../../src/status/snapshot.js';

const LEASE = 30_000;

const replica = (
  id: string,
  configDigest: string | null,
  heartbeatAgeMs = 1_000,
): ReplicaInput => ({
  id,
  host: id.split(':')[0]!,
  version: '1.4.0',
  configDigest,
  clockOffsetMs: 2.4,
  heartbeatAgeMs,
});

describe('status/replicas', () => {
  it.each<[string, Date | undefined, ReplicaInput[], string | undefined]>([
    ['all agree', undefined, [replica('a:1:x', 'd1'), replica('b:1:y', 'd1')], undefined],
    ['one replica', undefined, [replica('a:1:x', 'd1')], undefined],
    [
      'a digest not reported yet does not count',
      undefined,
      [replica('a:1:x', 'd1'), replica('b:1:y', null)],
      undefined,
    ],
    [
      'they start to differ now',
      undefined,
      [replica('a:1:x', 'd1'), replica('b:1:y', 'd2')],
      '2026-03-01T10:00:00.000Z',
    ],
    [
      'they still differ: the start is kept',
      new Date('2026-03-01T09:58:00.000Z'),
      [replica('a:1:x', 'd1'), replica('b:1:y', 'd2')],
      '2026-03-01T09:58:00.000Z',
    ],
    [
      'they agree again: the divergence ends',
      new Date('2026-03-01T09:58:00.000Z'),
      [replica('a:1:x', 'd2'), replica('b:1:y', 'd2')],
      undefined,
    ],
    [
      'a gone replica (heartbeat older than the lease) does not count',
      new Date('2026-03-01T09:58:00.000Z'),
      [replica('a:1:x', 'd1'), replica('b:1:y', 'd2', LEASE + 1)],
      undefined,
    ],
  ])('tracks the divergence: %s', (_, previous, replicas, since) => {
    const now = new Date('2026-03-01T10:00:00.000Z');
    expect(trackConfigDivergence(previous, replicas, LEASE, now)?.toISOString()).toBe(since);
  });

  const cluster = (replicas: ReplicaInput[], since?: string): ClusterInput => ({
    self: 'a:1:x',
    leaseMs: LEASE,
    readAt: new Date('2026-03-01T10:00:00.000Z'),
    replicas,
    configDivergedSince: since === undefined ? undefined : new Date(since),
  });

  it('counts a replica whose heartbeat aged past the lease since the read as gone', () => {
    const status = buildClusterStatus(
      cluster([replica('a:1:x', 'd1', 0), replica('b:1:y', 'd2', 0)], '2026-03-01T09:00:00.000Z'),
      new Date('2026-03-01T10:00:31.000Z'),
    );
    expect(status.replicas.map((r) => r.live)).toEqual([false, false]);
    expect(status).toMatchObject({ configDigests: 0, configDivergedSince: null, warning: null });
  });

  it('lists the replicas, live first, with heartbeat ages grown since the read', () => {
    const status = buildClusterStatus(
      cluster([
        replica('c:1:z', 'd1', 40_000),
        replica('b:1:y', 'd1', 500),
        replica('a:1:x', 'd1', 0),
      ]),
      new Date('2026-03-01T10:00:02.000Z'),
    );
    expect(status).toEqual({
      replicas: [
        {
          id: 'a:1:x',
          host: 'a',
          version: '1.4.0',
          self: true,
          live: true,
          heartbeatAgeMs: 2_000,
          clockOffsetMs: 2,
          configDigest: 'd1',
        },
        {
          id: 'b:1:y',
          host: 'b',
          version: '1.4.0',
          self: false,
          live: true,
          heartbeatAgeMs: 2_500,
          clockOffsetMs: 2,
          configDigest: 'd1',
        },
        {
          id: 'c:1:z',
          host: 'c',
          version: '1.4.0',
          self: false,
          live: false,
          heartbeatAgeMs: 42_000,
          clockOffsetMs: 2,
          configDigest: 'd1',
        },
      ],
      configDigests: 1,
      configDivergedSince: null,
      warning: null,
    });
  });

  it.each<[string, string, string | null]>([
    ['within a rolling update: no warning', '2026-03-01T10:04:59.000Z', null],
    [
      'longer than the threshold: a warning naming each digest and its replicas',
      '2026-03-01T10:07:00.000Z',
      'replicas have run different configurations for 7 min (longer than a rolling update takes): 0123456789ab on a:1:x, c:1:z; ba9876543210 on b:1:y',
    ],
  ])('configurations differing: %s', (_, now, warning) => {
    const input = cluster(
      [
        replica('a:1:x', '0123456789abcdef', 0),
        replica('b:1:y', 'ba9876543210fedc', 0),
        replica('c:1:z', '0123456789abcdef', 0),
      ],
      '2026-03-01T10:00:00.000Z',
    );
    // Read at the last heartbeat, a second ago.
    const readAt = new Date(Date.parse(now) - 1_000);
    const status = buildClusterStatus({ ...input, readAt }, new Date(now));
    expect(status.configDigests).toBe(2);
    expect(status.configDivergedSince).toBe('2026-03-01T10:00:00.000Z');
    expect(status.warning).toBe(warning);
    expect(CONFIG_DIVERGENCE_WARN_MS).toBe(300_000);
  });

  it('is in the status document when the daemon runs on a store, and null without one', () => {
    const base: StatusInput = {
      now: new Date('2026-03-01T10:00:00.000Z'),
      daemon: {
        version: '1.4.0',
        pid: 1,
        startedAt: new Date('2026-03-01T09:00:00.000Z'),
        configDir: '/c',
        stateDir: '/s',
        watchMode: 'auto',
        listen: null,
        maxConcurrentRuns: null,
        shuttingDown: false,
      },
      files: [],
      schedules: [],
      history: { writable: true, pendingWrites: 0, corrupt: [] },
    };
    expect(buildStatusSnapshot(base).cluster).toBeNull();
    const withCluster = buildStatusSnapshot({
      ...base,
      cluster: cluster([replica('a:1:x', 'd1')]),
    });
    expect(withCluster.cluster?.replicas.map((r) => [r.id, r.self, r.heartbeatAgeMs])).toEqual([
      ['a:1:x', true, 1_000],
    ]);
  });
});
