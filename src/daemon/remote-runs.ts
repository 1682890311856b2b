// Other replicas' runs as this daemon's events: each notification names a run another replica wrote; its
// record is read back and published like a local run, so /api/v1/events on any replica shows them all.
import type { HistoryStore, RunRecord, RunStatus } from '../history/store.js';
import type { Logger } from '../shared/logger.js';
import type { RemoteRunEvent } from '../store/pg/history-store.js';
import type { RunEvent } from './run-records.js';

/** A run another replica wrote, as the store's notification names it. */
export type RemoteRunNotice = RemoteRunEvent;

/** Subscribe to other replicas' runs; returns the unsubscribe function. */
export type SubscribeRemoteRuns = (listener: (notice: RemoteRunNotice) => void) => () => unknown;

/** The event a run in this status is published as: none while it is only pending. */
export function selectRemoteRunEventType(status: RunStatus): RunEvent['type'] | undefined {
  switch (status) {
    case 'pending':
      return undefined;
    case 'running':
      return 'run:started';
    case 'skipped':
    case 'missed':
      return 'run:recorded';
    case 'succeeded':
    case 'failed':
    case 'timedOut':
    case 'interrupted':
    case 'cancelled':
      return 'run:finished';
  }
}

/** Runs whose last published status is remembered, so a record read twice is published once. */
const REMEMBERED_RUNS = 2_000;

/**
 * Publish each run another replica writes as `run:started` / `run:finished` / `run:recorded`, with the
 * record as it is in the store (and its `replica`). A record read after it moved on (running, then
 * finished before the read) is published in the state it was read in, once per status.
 */
export function forwardRemoteRuns(
  cluster: { subscribeRemoteRuns: SubscribeRemoteRuns } | undefined,
  history: Pick<HistoryStore, 'getRun'>,
  logger: Logger,
  emit: (event: RunEvent) => void,
): () => void {
  if (cluster === undefined) return () => undefined;
  const published = new Map<string, RunStatus>();
  let stopped = false;
  const publish = (run: RunRecord): void => {
    const type = selectRemoteRunEventType(run.status);
    if (type === undefined || published.get(run.id) === run.status) return;
    // A finished run's event is final: a late read of it as running is not published after it.
    if (published.has(run.id) && type === 'run:started') return;
    published.delete(run.id);
    published.set(run.id, run.status);
    if (published.size > REMEMBERED_RUNS) {
      const oldest = published.keys().next().value;
      if (oldest !== undefined) published.delete(oldest);
    }
    emit({ type, run });
  };
  const unsubscribe = cluster.subscribeRemoteRuns((notice) => {
    history.getRun(notice.runId, { schedule: notice.schedule }).then(
      (run) => {
        if (!stopped && run !== undefined) publish(run);
      },
      (err: unknown) =>
        logger.debug(
          { err, runId: notice.runId, replica: notice.replica },
          "could not read another replica's run for the event stream",
        ),
    );
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}
