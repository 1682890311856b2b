// What became of a request to start a fire: the run manager's answer, and what "run now" answers.

/** What became of a request to start a fire. */
export interface StartResult {
  runId: string;
  /** started: running now (or once the run it replaces is gone); waiting: queued; skipped: not run. */
  outcome: 'started' | 'waiting' | 'skipped';
  reason?: string;
  /**
   * A manual fire on a ledger shared by replicas, which decides concurrencyPolicy for the whole cluster:
   * the answer once it has decided (this result only knows the local cap). Never rejects.
   */
  decided?: Promise<StartResult>;
}
