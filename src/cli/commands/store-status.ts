// `cronops status --store URL`: the replicas registered in the PostgreSQL store and each schedule's newest run.
import type { ReplicaRow, StoreScheduleRow } from '../../store/pg/read-store.js';
import { formatDuration, formatInstant } from './history.js';

/** What `status --store` prints as JSON. */
export interface StoreStatus {
  store: string;
  replicas: ReplicaRow[];
  schedules: StoreScheduleRow[];
}

/** Read the store's replicas and schedules (the URL is shown without its password). */
export async function loadStoreStatus(url: string): Promise<StoreStatus> {
  const store = await import('../../store/pg/read-store.js');
  return store.readStore(url, async (pool) => ({
    store: store.redactStoreUrl(url),
    replicas: await store.listStoreReplicas(pool),
    schedules: await store.listStoreSchedules(pool),
  }));
}

/** The text of `status --store`: replicas, then schedules. Pure. */
export function renderStoreStatus(status: StoreStatus): string[] {
  const lines = [`store ${status.store}`, ''];
  if (status.replicas.length === 0) lines.push('no replicas registered');
  else {
    lines.push('REPLICA  HOST  PID  VERSION  HEARTBEAT  CLOCK OFFSET  CONFIG');
    for (const replica of status.replicas) {
      lines.push(
        [
          replica.id,
          replica.host,
          String(replica.pid),
          replica.version,
          `${formatDuration(replica.heartbeatAgeS * 1000)} ago`,
          replica.clockOffsetMs === null ? '-' : `${Math.round(replica.clockOffsetMs)}ms`,
          replica.configDigest?.slice(0, 12) ?? '-',
        ].join('  '),
      );
    }
  }
  lines.push('');
  if (status.schedules.length === 0) lines.push('no schedules recorded');
  else {
    lines.push('SCHEDULE  WATERMARK  LAST RUN  STATUS  REPLICA  RUNS');
    for (const row of status.schedules) {
      lines.push(
        [
          row.schedule,
          row.watermark === null ? '-' : formatInstant(row.watermark.toISOString()),
          row.last === null ? '-' : formatInstant(row.last.scheduledAt),
          row.last?.status ?? '-',
          row.last?.replica ?? '-',
          String(row.runs),
        ].join('  '),
      );
    }
  }
  return lines;
}
