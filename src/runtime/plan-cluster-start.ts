// The start planner across replicas: what a claimed fire does when its schedule's concurrency slot (in the
// shared store) is held by another run, on this replica or another one. Pure.
import type { FirePolicy } from './plan-fires.js';

/** A run named in a schedule's slot, with the replica that owns it. */
export interface SlotRun {
  runId: string;
  replica: string;
}

/** A schedule's slot as the claim (or a later look) found it. */
export interface SlotView {
  /** The run holding the schedule (running, or about to start); null when free. */
  holder: SlotRun | null;
  /** The fire waiting for the holder (Queue: queued; Replace: waiting for it to stop). */
  next: SlotRun | null;
}

/** What to do with a claimed fire, given its schedule's slot. */
export type ClusterStartPlan =
  | {
      /** The fire holds the slot (or its policy is Allow): start it. */
      action: 'start';
    }
  | {
      /** Held by another run before the instant: look again at the instant (it may have ended by then). */
      action: 'recheck';
    }
  | {
      /** Record it skipped: it will not run. */
      action: 'skip';
      reason: string;
    }
  | {
      /** Become the slot's next fire; start when the holder ends. */
      action: 'queue';
      reason: string;
    }
  | {
      /** Ask the holder's replica to stop it; start when it has ended. */
      action: 'replace';
      victim: SlotRun;
      reason: string;
    };

export interface PlanClusterStartInput {
  policy: Pick<FirePolicy, 'concurrencyPolicy'>;
  /** The claimed fire's run id. */
  runId: string;
  slot: SlotView;
  /** Whether the fire's instant has come (false while it is claimed ahead of it). */
  atInstant: boolean;
}

/**
 * Decide how a claimed fire starts against its schedule's cluster-wide slot. The claim statement already
 * took the slot when it was free; this decides the rest as one node does: Forbid skips while another run
 * holds it, Queue keeps one fire waiting behind it (a second is skipped), Replace stops the holder and
 * starts after it, Allow ignores the slot. Before the instant nothing is decided: the holder may end.
 */
export function planClusterStart(input: PlanClusterStartInput): ClusterStartPlan {
  const { policy, runId, slot } = input;
  const holder = slot.holder;
  if (policy.concurrencyPolicy === 'Allow' || holder === null || holder.runId === runId)
    return { action: 'start' };
  if (!input.atInstant) return { action: 'recheck' };
  const where = `run ${holder.runId} on replica ${holder.replica}`;
  switch (policy.concurrencyPolicy) {
    case 'Forbid':
      return {
        action: 'skip',
        reason: `previous ${where} is still running (concurrencyPolicy Forbid)`,
      };
    case 'Queue':
      if (slot.next !== null && slot.next.runId !== runId) {
        return {
          action: 'skip',
          reason: `run ${slot.next.runId} is already queued behind ${where} (concurrencyPolicy Queue)`,
        };
      }
      return { action: 'queue', reason: `queued behind ${where}` };
    case 'Replace':
      return {
        action: 'replace',
        victim: holder,
        reason: `replaced by run ${runId} (concurrencyPolicy Replace)`,
      };
  }
}
