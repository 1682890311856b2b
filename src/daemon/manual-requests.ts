// Run now, idempotent by request id: the same request (an HTTP retry, the same `cronops trigger
// --request-id`) starts one run, whichever replica it reaches. With a ledger shared by replicas the request
// id is claimed in the store; on one node it is remembered in memory.
import type { FireLedger } from './fire-ledger.js';
import type { StartResult } from './runs.js';

/** How many request ids one node remembers (the oldest are forgotten first). */
const REMEMBERED = 1_000;

export interface ManualStarterOptions {
  ledger: FireLedger;
  /** A new run id, for the claim. */
  newRunId: () => string;
  /** Start a manual run of `name` with this run id, under its concurrency policy. */
  start: (name: string, runId: string) => StartResult;
}

/** What the HTTP trigger calls: start a run of `name` now, once per request id. */
export type ManualStarter = (
  name: string,
  requestId?: string,
) => StartResult | Promise<StartResult>;

export function createManualStarter(options: ManualStarterOptions): ManualStarter {
  const seen = new Map<string, StartResult>();
  return (name, requestId) => {
    const runId = options.newRunId();
    if (requestId === undefined) return options.start(name, runId);
    const claim = options.ledger.claimRequest;
    if (claim === undefined) {
      const earlier = seen.get(requestId);
      if (earlier !== undefined) return describeRepeat(earlier.runId, requestId, undefined);
      const result = options.start(name, runId);
      seen.set(requestId, result);
      if (seen.size > REMEMBERED) seen.delete(seen.keys().next().value!);
      return result;
    }
    return claim({ requestId, schedule: name, runId }).then(
      (claimed) =>
        claimed.runId === runId
          ? options.start(name, runId)
          : describeRepeat(claimed.runId, requestId, claimed.replica),
      (error: unknown) => ({
        runId,
        outcome: 'skipped' as const,
        reason: `the request could not be claimed in the store, so the run was not started: ${error instanceof Error ? error.message : String(error)}`,
      }),
    );
  };
}

function describeRepeat(
  runId: string,
  requestId: string,
  replica: string | undefined,
): StartResult {
  const where = replica === undefined ? '' : ` on replica ${replica}`;
  return {
    runId,
    outcome: 'started',
    reason: `request ${requestId} was already made: it is run ${runId}${where}`,
  };
}
