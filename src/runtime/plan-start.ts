// The start planner: whether one fire starts now, waits, replaces a run or is skipped. Pure.
import type { FirePolicy, FireTrigger } from './plan-fires.js';

/** A run of the schedule that is in progress (or waiting for a slot under the global cap). */
export interface RunInFlight {
  runId: string;
  trigger: FireTrigger | 'retry';
}

/** What is running or waiting for one schedule, and the global cap. */
export interface StartState {
  /** Runs of this schedule in progress. */
  running: readonly RunInFlight[];
  /** A fire waits behind a run (Queue policy), or after the catch-up queue. */
  queued: boolean;
  /** Catch-up instants of this schedule not started yet. */
  catchUpPending: number;
  /** Runs in progress across all schedules. */
  runningTotal: number;
  /** --max-concurrent-runs, or null for no cap. */
  maxConcurrentRuns: number | null;
}

/** What to do with one fire. Every variant carries the reason shown in the history or the status. */
export type StartPlan =
  | {
      /** Start the process now. */
      action: 'start';
    }
  | {
      /** Record it skipped: it will not run. */
      action: 'skip';
      reason: string;
    }
  | {
      /** Keep it waiting behind the run in flight (Queue), or after the pending catch-up runs. */
      action: 'queue';
      reason: string;
    }
  | {
      /** Terminate these runs, wait until their processes are gone, then start it. */
      action: 'replace';
      replace: string[];
      /** Pending catch-up instants are dropped into a missed record first. */
      dropCatchUps: boolean;
      reason: string;
    }
  | {
      /** Wait for a free slot under --max-concurrent-runs, in scheduled order. */
      action: 'wait-for-slot';
      reason: string;
    };

export interface PlanStartInput {
  policy: Pick<FirePolicy, 'concurrencyPolicy'>;
  trigger: FireTrigger;
  /** The id the new run gets (named in the reason of the runs it replaces). */
  runId: string;
  state: StartState;
}

/**
 * Decide how a fire starts against what is in flight: `concurrencyPolicy` first (Forbid skips, Queue keeps
 * one fire waiting — after the catch-up queue when one is pending —, Replace terminates the runs in flight
 * and drops pending catch-up runs, Allow runs beside), then the global cap.
 */
export function planStart(input: PlanStartInput): StartPlan {
  const { policy, state, runId } = input;
  const busy = state.running.length > 0;
  const waitingCatchUp = input.trigger !== 'catchup' && state.catchUpPending > 0;
  const current = state.running.map((r) => r.runId).join(', ');
  if (busy || waitingCatchUp) {
    switch (policy.concurrencyPolicy) {
      case 'Forbid':
        if (!busy) break;
        return {
          action: 'skip',
          reason: `previous run ${current} is still running (concurrencyPolicy Forbid)`,
        };
      case 'Queue': {
        if (!busy && !waitingCatchUp) break;
        const behind = waitingCatchUp
          ? `${state.catchUpPending} pending catch-up run(s)`
          : `run ${current}`;
        if (state.queued) {
          return {
            action: 'skip',
            reason: `a fire is already queued behind ${behind} (concurrencyPolicy Queue)`,
          };
        }
        return { action: 'queue', reason: `queued behind ${behind}` };
      }
      case 'Replace':
        return {
          action: 'replace',
          replace: state.running.map((r) => r.runId),
          dropCatchUps: waitingCatchUp,
          reason: `replaced by run ${runId} (concurrencyPolicy Replace)`,
        };
      case 'Allow':
        break;
    }
  }
  return planSlot(state);
}

/** Whether a fire that may start gets a slot under --max-concurrent-runs now. */
export function planSlot(state: Pick<StartState, 'runningTotal' | 'maxConcurrentRuns'>): StartPlan {
  const cap = state.maxConcurrentRuns;
  if (cap !== null && state.runningTotal >= cap) {
    return {
      action: 'wait-for-slot',
      reason: `waiting for a free slot (--max-concurrent-runs ${cap})`,
    };
  }
  return { action: 'start' };
}

/**
 * Whether the next catch-up instant of a schedule may start: catch-up runs go one at a time. Under Allow
 * they run beside regular runs; under the other policies they wait until the schedule is idle.
 */
export function isCatchUpTurn(
  policy: Pick<FirePolicy, 'concurrencyPolicy'>,
  running: readonly RunInFlight[],
): boolean {
  return policy.concurrencyPolicy === 'Allow'
    ? !running.some((run) => run.trigger === 'catchup')
    : running.length === 0;
}
