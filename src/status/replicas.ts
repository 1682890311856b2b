// The replicas of a PostgreSQL store as the status shows them, and when their loaded configurations
// diverged: pure, the membership reads the rows and keeps the divergence's start.

/** How long replicas may hold different configurations before the status warns: a rolling update and
 * a git-sync interval take less; longer means a replica did not reload (a bad file, a stuck volume). */
export const CONFIG_DIVERGENCE_WARN_MS = 5 * 60_000;

/** One replica as read from the store. */
export interface ReplicaInput {
  id: string;
  host: string;
  version: string;
  /** The digest of the configuration it has loaded (`null` until its first heartbeat after loading). */
  configDigest: string | null;
  /** Its clock minus the database's, as it last measured (ms). */
  clockOffsetMs: number | null;
  /** Milliseconds since its heartbeat, by the database clock, at `readAt`. */
  heartbeatAgeMs: number;
}

/** What the status is built from when the daemon runs on a PostgreSQL store. */
export interface ClusterInput {
  /** This replica's id. */
  self: string;
  /** A replica whose heartbeat is older than this is gone. */
  leaseMs: number;
  /** When the rows were read (by this replica's clock): heartbeat ages grow from there. */
  readAt: Date;
  replicas: readonly ReplicaInput[];
  /** Since when live replicas have held different configurations (see trackConfigDivergence). */
  configDivergedSince?: Date | undefined;
}

/** One replica in the status document. */
export interface StatusReplica {
  id: string;
  host: string;
  version: string;
  /** This is the replica that built the document. */
  self: boolean;
  /** false once its heartbeat is older than the lease (it is gone; its runs are reaped). */
  live: boolean;
  heartbeatAgeMs: number;
  clockOffsetMs: number | null;
  configDigest: string | null;
}

/** The replicas section of the status document. */
export interface StatusCluster {
  /** Live replicas first, then by id. */
  replicas: StatusReplica[];
  /** Distinct configuration digests among live replicas. */
  configDigests: number;
  /** Since when live replicas have held different configurations; null while they agree. */
  configDivergedSince: string | null;
  /** Set once they have differed for longer than CONFIG_DIVERGENCE_WARN_MS. */
  warning: string | null;
}

/** The digests of the live replicas that have reported one. */
function selectLiveDigests(
  replicas: readonly ReplicaInput[],
  leaseMs: number,
  extraAgeMs: number,
): Map<string, string[]> {
  const digests = new Map<string, string[]>();
  for (const replica of replicas) {
    if (replica.configDigest === null || replica.heartbeatAgeMs + extraAgeMs > leaseMs) continue;
    const ids = digests.get(replica.configDigest) ?? [];
    ids.push(replica.id);
    digests.set(replica.configDigest, ids);
  }
  return digests;
}

/**
 * The start of the current divergence: `previous` while live replicas still differ, `now` when they
 * start to, undefined while they agree (or only one has reported a digest).
 */
export function trackConfigDivergence(
  previous: Date | undefined,
  replicas: readonly ReplicaInput[],
  leaseMs: number,
  now: Date,
): Date | undefined {
  if (selectLiveDigests(replicas, leaseMs, 0).size <= 1) return undefined;
  return previous ?? now;
}

/** The replicas section. Pure. */
export function buildClusterStatus(cluster: ClusterInput, now: Date): StatusCluster {
  const sinceRead = Math.max(0, now.getTime() - cluster.readAt.getTime());
  const replicas = cluster.replicas
    .map((replica) => {
      const heartbeatAgeMs = Math.round(replica.heartbeatAgeMs + sinceRead);
      return {
        id: replica.id,
        host: replica.host,
        version: replica.version,
        self: replica.id === cluster.self,
        live: heartbeatAgeMs <= cluster.leaseMs,
        heartbeatAgeMs,
        clockOffsetMs: replica.clockOffsetMs === null ? null : Math.round(replica.clockOffsetMs),
        configDigest: replica.configDigest,
      };
    })
    .sort((a, b) => Number(b.live) - Number(a.live) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const digests = selectLiveDigests(cluster.replicas, cluster.leaseMs, sinceRead);
  const since = digests.size > 1 ? cluster.configDivergedSince : undefined;
  const divergedMs = since === undefined ? 0 : now.getTime() - since.getTime();
  const warning =
    since !== undefined && divergedMs > CONFIG_DIVERGENCE_WARN_MS
      ? `replicas have run different configurations for ${Math.floor(divergedMs / 60_000)} min (longer than a rolling update takes): ${[
          ...digests,
        ]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([digest, ids]) => `${digest.slice(0, 12)} on ${ids.sort().join(', ')}`)
          .join('; ')}`
      : null;
  return {
    replicas,
    configDigests: digests.size,
    configDivergedSince: since === undefined ? null : since.toISOString(),
    warning,
  };
}
