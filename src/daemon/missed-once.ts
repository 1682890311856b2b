// One `missed` record per gap across replicas: with a ledger shared by replicas, the record is written
// only by the replica whose claim of the gap wins, and not at all when a fire inside the gap was claimed
// (another replica was running then: that instant was not missed). On one node it is written at once.
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { MissedGap } from '../runtime/plan-fires.js';
import type { FireLedger } from './fire-ledger.js';
import type { RunRecorder } from './run-records.js';

export function recordMissedOnce(
  ledger: FireLedger,
  recorder: RunRecorder,
  job: DesiredSchedule,
  gap: MissedGap,
  newRunId: () => string,
): void {
  if (ledger.claimMissed === undefined) {
    recorder.recordMissed(job, gap);
    return;
  }
  const id = newRunId();
  ledger
    .claimMissed({
      schedule: job.name,
      first: gap.first.toISOString(),
      last: gap.last.toISOString(),
      runId: id,
      specHash: job.hash,
    })
    .then(
      (won) => {
        if (won) recorder.recordMissed(job, gap, { id });
      },
      // The store cannot be reached: the record is kept (written once it is back), as on one node.
      () => recorder.recordMissed(job, gap, { id }),
    );
}
