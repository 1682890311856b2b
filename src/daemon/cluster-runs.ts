// What a ledger shared by replicas asks of the run manager: each schedule's policy, whether a run is still
// here, and stopping a run that a fire on another replica replaces.
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { ClusterRuns } from './fire-ledger.js';
import type { ActiveRun } from './run-execution.js';

export interface ClusterRunsSource {
  jobs: ReadonlyMap<string, DesiredSchedule>;
  active: ReadonlyMap<string, ReadonlySet<ActiveRun>>;
  /** Fires of a schedule waiting here (for a slot under the cap, or for a replaced run to go). */
  waiting: (name: string) => readonly { runId: string }[];
}

export function createClusterRuns(source: ClusterRunsSource): ClusterRuns {
  const find = (runId: string, schedule: string): ActiveRun | undefined =>
    [...(source.active.get(schedule) ?? [])].find((run) => run.record.id === runId);
  return {
    policyOf: (schedule) => source.jobs.get(schedule)?.spec.concurrencyPolicy,
    isActive: (runId, schedule) =>
      find(runId, schedule) !== undefined ||
      source.waiting(schedule).some((fire) => fire.runId === runId),
    cancel: (runId, reason) => {
      for (const runs of source.active.values()) {
        for (const run of runs) {
          if (run.record.id !== runId || run.abort.signal.aborted) continue;
          run.abortAs = 'cancelled';
          run.abortReason = reason;
          run.abort.abort();
        }
      }
    },
  };
}
