// Run now, idempotent by request id: the same request (an HTTP retry, the same `cronops trigger
// --request-id`) starts one run, whichever replica it reaches. With a ledger shared by replicas the request
// id is claimed in the store; on one node it is remembered in memory. There, too, the answer waits (a few
// seconds at most) for the cluster's concurrencyPolicy, and a repeat answers from the first run's record.
import type { RunRecord } from '../history/store.js';
import type { FireLedger } from './fire-ledger.js';
import { sleepUnlessAborted } from './prepared-fires.js';
import type { StartResult } from './start-result.js';

/** How many request ids one node remembers (the oldest are forgotten first). */
const REMEMBERED = 1_000;

/** How often a repeat looks for the first run's record while it is not written yet. */
const LOOK_AGAIN_MS = 100;

export interface ManualStarterOptions {
  ledger: FireLedger;
  /** A new run id, for the claim. */
  newRunId: () => string;
  /** Start a manual run of `name` with this run id, under its concurrency policy. */
  start: (name: string, runId: string) => StartResult;
  /**
   * A run's record in the (shared) history: a repeat of a request first made on another replica answers
   * from it. Absent: a repeat answers `started`.
   */
  findRun?: (runId: string) => Promise<RunRecord | undefined>;
  /**
   * How long an answer waits for the cluster's decision (or a repeat for the first run's record) before
   * answering `waiting`. @default 5000
   */
  decisionTimeoutMs?: number;
  /** Waits `ms`, ending early (resolving) when `signal` aborts. @default a real timer */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What the HTTP trigger calls: start a run of `name` now, once per request id. */
export type ManualStarter = (
  name: string,
  requestId?: string,
) => StartResult | Promise<StartResult>;

export function createManualStarter(options: ManualStarterOptions): ManualStarter {
  const seen = new Map<string, StartResult>();
  const timeoutMs = options.decisionTimeoutMs ?? 5_000;
  const sleep = options.sleep ?? sleepUnlessAborted;
  const start = (name: string, runId: string) =>
    awaitDecision(options.start(name, runId), timeoutMs, sleep);
  return (name, requestId) => {
    const runId = options.newRunId();
    if (requestId === undefined) return start(name, runId);
    const { ledger } = options;
    if (ledger.claimRequest === undefined) {
      const earlier = seen.get(requestId);
      if (earlier !== undefined) return describeRepeat(earlier, requestId, undefined);
      const result = options.start(name, runId);
      seen.set(requestId, result);
      if (seen.size > REMEMBERED) seen.delete(seen.keys().next().value!);
      return result;
    }
    // Called on the ledger: the PostgreSQL ledger's method reads its own fields.
    return ledger.claimRequest({ requestId, schedule: name, runId }).then(
      (claimed) => {
        if (claimed.runId === runId) return start(name, runId);
        const findRun = options.findRun;
        if (findRun === undefined)
          return describeRepeat(
            { runId: claimed.runId, outcome: 'started' },
            requestId,
            claimed.replica,
          );
        return lookUpRun(findRun, claimed.runId, timeoutMs, sleep).then((record) =>
          describeRepeat(
            answerFromRecord(claimed.runId, record, timeoutMs),
            requestId,
            claimed.replica,
          ),
        );
      },
      (error: unknown) => ({
        runId,
        outcome: 'skipped' as const,
        reason: `the request could not be claimed in the store, so the run was not started: ${error instanceof Error ? error.message : String(error)}`,
      }),
    );
  };
}

/** `result`, or once it carries the cluster's decision, that decision (`waiting` after the timeout). */
function awaitDecision(
  result: StartResult,
  timeoutMs: number,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
): StartResult | Promise<StartResult> {
  const { decided, ...local } = result;
  if (decided === undefined) return result;
  const timer = new AbortController();
  const late: StartResult = {
    runId: local.runId,
    outcome: 'waiting',
    reason: `the concurrency policy was not decided in the store within ${timeoutMs} ms; the run's record says whether it started, waits or was skipped`,
  };
  return Promise.race([
    decided,
    sleep(timeoutMs, timer.signal).then(() => (timer.signal.aborted ? local : late)),
  ]).finally(() => timer.abort());
}

/** The run's record, looked for until it is written (the first request may still be deciding). */
async function lookUpRun(
  findRun: (runId: string) => Promise<RunRecord | undefined>,
  runId: string,
  timeoutMs: number,
  sleep: (ms: number) => Promise<void>,
): Promise<RunRecord | undefined> {
  for (let waited = 0; ; waited += LOOK_AGAIN_MS) {
    const record = await findRun(runId).catch(() => undefined);
    if (record !== undefined || waited >= timeoutMs) return record;
    await sleep(LOOK_AGAIN_MS);
  }
}

/** The first request's answer, as its run's record tells it. */
function answerFromRecord(
  runId: string,
  record: RunRecord | undefined,
  timeoutMs: number,
): StartResult {
  if (record === undefined) {
    return {
      runId,
      outcome: 'waiting',
      reason: `its record was not written within ${timeoutMs} ms`,
    };
  }
  switch (record.status) {
    case 'pending':
      return { runId, outcome: 'waiting', ...(record.reason ? { reason: record.reason } : {}) };
    case 'skipped':
    case 'missed':
      return { runId, outcome: 'skipped', ...(record.reason ? { reason: record.reason } : {}) };
    default:
      return { runId, outcome: 'started' };
  }
}

/** A repeat of `requestId`: the first request's run and kind of answer, and why nothing was started. */
function describeRepeat(
  first: StartResult,
  requestId: string,
  replica: string | undefined,
): StartResult {
  const where = replica === undefined ? '' : ` on replica ${replica}`;
  const repeat = `request ${requestId} was already made: it is run ${first.runId}${where}`;
  return {
    runId: first.runId,
    outcome: first.outcome,
    reason: first.reason === undefined ? repeat : `${first.reason}; ${repeat}`,
  };
}
