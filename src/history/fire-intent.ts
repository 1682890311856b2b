// A fire's intent: what the fire journal makes durable before the process starts, and what a checkpoint keeps.
import type { RunTrigger } from './store.js';

/** One fire about to start: written and fsynced before its process exists. */
export interface FireIntent {
  runId: string;
  schedule: string;
  scheduledAt: string;
  trigger: RunTrigger;
  specHash: string;
  /**
   * Kept by a checkpoint only to remember the schedule's newest fire (its watermark) across a power
   * loss that would undo unsynced history writes; its run is in the history, so recovery never turns
   * it into a record.
   */
  settled?: true;
  /** Trigger `after`: the run whose end made this fire, its chain and the chain's logical time. */
  upstream?: { schedule: string; runId: string; status: string };
  chainId?: string;
  logicalTime?: string;
  /**
   * Trigger `after`: durable since its upstream ended, not started yet. Its start is a second intent
   * with the same run id without this mark; one left alone is started after a restart (or missed).
   */
  awaitingStart?: true;
}

/**
 * What a checkpoint keeps: `after` fires still awaiting their start; intents at or after `cutoffMs` as they are (their runs may not be in a
 * flushed history yet), and of the older ones that `isRecorded` (their run is in the history, or they
 * are settled already) the newest scheduled fire of each schedule, settled. Older ones that were never
 * recorded (prepared for an instant that a reload then moved) are dropped. Intents that `isUnsaved` (their
 * run is recorded in memory only, the disk being full) are kept as they are, whatever their age: after a
 * crash they are the only trace that the run started.
 */
export function compactIntents(
  intents: readonly FireIntent[],
  cutoffMs: number,
  isRecorded: (intent: FireIntent) => boolean,
  isUnsaved: (intent: FireIntent) => boolean = () => false,
): FireIntent[] {
  const recent: FireIntent[] = [];
  const newest = new Map<string, FireIntent>();
  const started = new Set(
    intents.filter((i) => i.trigger === 'after' && !i.awaitingStart).map((i) => i.runId),
  );
  for (const intent of intents) {
    if (intent.awaitingStart) {
      // An `after` fire waiting to start stays, however old, until it starts or ends unstarted.
      if (!started.has(intent.runId) && !isRecorded(intent)) recent.push(intent);
    } else if (
      Date.parse(intent.scheduledAt) >= cutoffMs ||
      (!intent.settled && isUnsaved(intent))
    ) {
      recent.push(intent);
    } else if (
      intent.trigger !== 'manual' &&
      intent.trigger !== 'after' &&
      (intent.settled || isRecorded(intent))
    ) {
      const known = newest.get(intent.schedule);
      if (!known || known.scheduledAt < intent.scheduledAt) newest.set(intent.schedule, intent);
    }
  }
  const settled = [...newest.values()].map((intent) => ({ ...intent, settled: true as const }));
  return [...settled, ...recent];
}
