// One `missed` record per gap across replicas: with a ledger shared by replicas, the record is written
// only by the replica whose claim of the gap wins, and covers only what nobody holds already (instants
// another replica claimed ran there; an overlapping gap another replica recorded is recorded). On one
// node it is written at once.
import type { DesiredSchedule } from '../reconcile/desired.js';
import { toMissedGap, type MissedGap } from '../runtime/plan-fires.js';
import { narrowGap } from '../runtime/plan-missed.js';
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
    .claimMissed(
      {
        schedule: job.name,
        first: gap.first.toISOString(),
        last: gap.last.toISOString(),
        runId: id,
        specHash: job.hash,
      },
      (held) => narrowGap(job.compiled, job.spec.timezone, gap, held),
    )
    .then(
      (rest) => {
        if (rest !== undefined) recorder.recordMissed(job, narrowed(gap, rest), { id });
      },
      // The store cannot be reached: the record is kept (written once it is back), as on one node.
      () => recorder.recordMissed(job, gap, { id }),
    );
}

/** The gap as recorded: its reason said again of the narrower bounds. */
function narrowed(gap: MissedGap, rest: Pick<MissedGap, 'first' | 'last' | 'count'>): MissedGap {
  const same =
    rest.count === gap.count &&
    rest.first.getTime() === gap.first.getTime() &&
    rest.last.getTime() === gap.last.getTime();
  if (same || gap.because === undefined) return same ? gap : { ...gap, ...rest };
  return toMissedGap(rest, gap.because);
}
