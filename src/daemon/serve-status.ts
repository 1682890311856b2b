// The status endpoint of the daemon: what it serves (status, definitions, events, run now) wired to the parts.
import type { Logger } from 'pino';
import type { HistoryStore } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import { buildDefinitionsDocument, buildScheduleDefinition } from '../status/definitions.js';
import type { Readiness } from '../status/route-types.js';
import type { SnapshotCache } from '../status/snapshot-cache.js';
import type { StatusSnapshot } from '../status/snapshot.js';
import type { DaemonEvent } from './daemon-events.js';
import type { ManualStarter } from './manual-requests.js';

export interface ServeStatusOptions {
  /** "HOST:PORT". */
  listen: string;
  /** Extra Host header values the endpoint accepts (--allowed-hosts). */
  allowedHosts: readonly string[];
  logger: Logger;
  history: HistoryStore;
  snapshots: SnapshotCache;
  jobs: ReadonlyMap<string, DesiredSchedule>;
  getSnapshot: () => StatusSnapshot;
  /** Readiness without a snapshot (/readyz). */
  readiness: () => Readiness;
  subscribe: (listener: (event: DaemonEvent) => void) => () => void;
  /** Enables "run now" with this bearer token; null: disabled. */
  triggerToken: string | null;
  /** Run now, once per request id when one is given. */
  startManual: ManualStarter;
}

/** Start the HTTP endpoint; resolves once it listens. */
export async function serveStatus(
  options: ServeStatusOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  const { jobs, triggerToken } = options;
  // Imported only when serving: it brings prom-client, which `--listen off` does not need.
  const { startStatusServer } = await import('../status/http.js');
  return startStatusServer({
    listen: options.listen,
    allowedHosts: options.allowedHosts,
    getSnapshot: options.getSnapshot,
    readiness: options.readiness,
    logger: options.logger,
    history: options.history,
    subscribe: options.subscribe,
    snapshots: options.snapshots,
    definitions: {
      all: () => buildDefinitionsDocument(jobs.values()),
      find: (name) => {
        const job = jobs.get(name);
        return job && buildScheduleDefinition(job);
      },
    },
    ...(triggerToken
      ? {
          trigger: {
            token: triggerToken,
            start: (name: string, requestId?: string) =>
              jobs.has(name) ? options.startManual(name, requestId) : undefined,
          },
        }
      : {}),
  });
}
