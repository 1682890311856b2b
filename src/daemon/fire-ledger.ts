// The fire ledger: where a fire is made durable before its process starts (one node: the fsynced journal).
import type { FireIntent } from '../history/journal.js';
import { SchedulerError } from '../shared/errors.js';

/**
 * Makes "this instant is being fired" durable before the process exists, so that a crash never lets a
 * fire run twice. One node uses the fsynced journal (src/history/journal.ts); several replicas will use
 * a claim in PostgreSQL. Every implementation keeps this contract:
 *
 * - `append(intents)` resolves only once every intent is durable, and rejects with a SchedulerError of
 *   code `FIRE_NOT_DURABLE` when they are not. A fire whose intent is not durable is never started: it
 *   is recorded `missed` with the reason and logged at error ("never twice" wins over "never skipped").
 * - `readPending()` returns the intents that may have started since the last checkpoint.
 * - `checkpoint(keep)` replaces what is pending with `keep` (only once the history holds the others).
 */
export interface FireLedger {
  append(intents: FireIntent[]): Promise<void>;
  readPending(): Promise<FireIntent[]>;
  checkpoint(keep: FireIntent[]): Promise<void>;
  /** Whether the last append was made durable. */
  healthy(): boolean;
  close(): Promise<void>;
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
