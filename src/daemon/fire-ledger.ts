// The fire ledger: where a fire is made durable before its process starts (one node: the fsynced journal).
import type { FireIntent, JournalHealth } from '../history/journal.js';
import type { ScheduleFireRate } from '../history/journal-reserve.js';
import type { RunRecord } from '../history/store.js';
import type { JobSpec } from '../manifest/schema.js';
import type { GapBounds, HeldRange } from '../runtime/plan-missed.js';
import { SchedulerError } from '../shared/errors.js';

/**
 * Makes "this instant is being fired" durable before the process exists, so that a crash never lets a
 * fire run twice. One node uses the fsynced journal (src/history/journal.ts); several replicas will use
 * a claim in PostgreSQL. Every implementation keeps this contract:
 *
 * - `append(intents)` resolves only once every intent is durable, and rejects with a SchedulerError of
 *   code `FIRE_NOT_DURABLE` when they are not. A fire whose intent is not durable is never started: it
 *   is recorded `missed` with the reason and logged at error ("never twice" wins over "never skipped").
 *   A ledger shared by replicas resolves once the fire may start under its schedule's concurrencyPolicy,
 *   rejects with `FIRE_SKIPPED_BY_POLICY` when it may not, and calls `onWaiting` when the fire waits for
 *   another run to end first (Queue, Replace); the journal never waits, and never calls it.
 * - `readPending()` returns the intents that may have started since the last checkpoint.
 * - `checkpoint(keep, read)` replaces the intents of `read` (a `readPending` result) with `keep`, only once
 *   the history holds the others; intents appended after that read stay pending.
 */
export interface FireLedger {
  append(intents: FireIntent[], onWaiting?: WaitingNotice): Promise<void>;
  readPending(): Promise<FireIntent[]>;
  checkpoint(keep: FireIntent[], read?: readonly FireIntent[]): Promise<void>;
  /** Whether the last append was made durable. */
  healthy(): boolean;
  /** Reserve, durability and the last problem (the journal; a ledger without a reserve has none). */
  health?(): JournalHealth;
  /** Size a preallocated reserve for a day of these schedules' fires (docs/design/fire-journal.md). */
  reserveFor?(schedules: Iterable<ScheduleFireRate>): Promise<JournalHealth>;
  close(): Promise<void>;
  /**
   * Of the runs found `running`/`pending` at start-up, those this process must recover (interrupted, orphans
   * reaped). Absent: all of them (one node). With replicas: only those of replicas that are gone.
   */
  selectLeftovers?(runs: readonly RunRecord[]): Promise<RunRecord[]>;
  /**
   * Several replicas: concurrencyPolicy is decided in the store, with the claim, for the whole cluster
   * (docs/replicas.md). Present only on such a ledger; the run manager then leaves the policy to it.
   */
  bindRuns?(runs: ClusterRuns): void;
  /** A run ended, or a fire was dropped before it started: what it held in the store is freed. */
  release?(record: Pick<RunRecord, 'id' | 'schedule'>): void;
  /**
   * A `missed` record for a gap, on a ledger shared by replicas: what of the gap this replica is to record
   * (`narrow` of what the store holds of it already: claimed instants, other replicas' missed records),
   * or undefined when nothing is left or another replica recorded it. `runId` is the record's.
   */
  claimMissed?(
    gap: { schedule: string; first: string; last: string; runId: string; specHash: string },
    narrow: (held: readonly HeldRange[]) => GapBounds | undefined,
  ): Promise<GapBounds | undefined>;
  /**
   * On a ledger shared by replicas: which of these run ids hold a claim (a statement that committed
   * though its acknowledgement was lost); rejects while the store cannot be reached. Its presence means
   * a fire that could not be claimed joins its schedule's gap (daemon/claim-gaps.ts).
   */
  ownClaims?(runIds: string[]): Promise<Set<string>>;
  /**
   * Run now with a request id, on a ledger shared by replicas: the first claim of the id wins. Resolves
   * with the run that holds it (`runId` is the caller's when it won) and its replica.
   */
  claimRequest?(request: {
    requestId: string;
    schedule: string;
    runId: string;
  }): Promise<{ runId: string; replica: string }>;
}

/** Told that fire `runId` waits for its schedule's slot, held by another run, with the reason. */
export type WaitingNotice = (runId: string, reason: string) => void;

/** What a ledger shared by replicas asks of this replica's run manager. */
export interface ClusterRuns {
  /** The concurrencyPolicy of a loaded schedule. */
  policyOf(schedule: string): JobSpec['concurrencyPolicy'] | undefined;
  /** Whether a run is in progress here, or waiting here to start. */
  isActive(runId: string, schedule: string): boolean;
  /** Stop a run of this replica that a fire on another replica replaces (concurrencyPolicy Replace). */
  cancel(runId: string, reason: string): void;
}

/** Whether a concurrency policy skipped a claimed fire (recorded `skipped` with the reason). */
export function isSkippedByPolicy(err: unknown): err is SchedulerError {
  return err instanceof SchedulerError && err.code === 'FIRE_SKIPPED_BY_POLICY';
}

/** Whether another replica claimed the fire: it is not started here, and not recorded here either. */
export function isClaimedElsewhere(err: unknown): err is SchedulerError {
  return err instanceof SchedulerError && err.code === 'FIRE_CLAIMED_ELSEWHERE';
}

/** Whether an append failed because its intents are not durable (the fire must not start). */
export function isNotDurable(err: unknown): err is SchedulerError {
  return err instanceof SchedulerError && err.code === 'FIRE_NOT_DURABLE';
}

/** Why a fire whose intent was not made durable did not start, for its missed record. */
export function describeNotDurable(err: unknown): string {
  const detail = err instanceof Error ? err.message : String(err);
  return `the fire could not be made durable before its start (${detail}); it was not started, so that it can never run twice`;
}
