// Run now across replicas: the answer once the ledger shared by replicas has decided the schedule's
// concurrencyPolicy for the whole cluster (started, waiting for another replica's run, or skipped). The
// run manager's own plan there only knows this replica's cap, so its answer alone would be a guess.
import { describeNotDurable, isSkippedByPolicy, type WaitingNotice } from './fire-ledger.js';
import type { StartResult } from './start-result.js';

/** Follows one manual fire's append to a ledger shared by replicas. */
export interface LedgerDecision {
  /** Passed to the ledger's append: the fire waits for its schedule's slot, held by another run. */
  onWaiting: WaitingNotice;
  /** The fire's append, once made (a fire the local plan skipped makes none). */
  follow(committed: Promise<void>): void;
  /** `local` with `decided` added: the answer once the ledger has decided (unless nothing was appended). */
  attach(local: StartResult): StartResult;
}

/** Follow a manual fire's append; `waited` is called when the ledger says the fire waits. */
export function followLedgerDecision(waited: () => void): LedgerDecision {
  let committed: Promise<void> | undefined;
  let reportWaiting: (reason: string) => void = () => undefined;
  const waiting = new Promise<string>((resolve) => (reportWaiting = resolve));
  return {
    onWaiting: (_runId, reason) => {
      waited();
      reportWaiting(reason);
    },
    follow: (promise) => {
      committed = promise;
    },
    attach: (local) => {
      if (committed === undefined || local.outcome === 'skipped') return local;
      const { runId } = local;
      // Admitted: the local answer stands (started, or waiting for this replica's cap).
      const decided = Promise.race<StartResult>([
        committed.then(
          () => local,
          (err: unknown) => ({ runId, outcome: 'skipped', reason: describeRefusal(err) }),
        ),
        waiting.then((reason) => ({ runId, outcome: 'waiting', reason })),
      ]);
      return { ...local, decided };
    },
  };
}

/** Why the ledger did not let the fire start, as the fire's record says. */
function describeRefusal(err: unknown): string {
  return isSkippedByPolicy(err) ? err.message : describeNotDurable(err);
}
