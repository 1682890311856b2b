// Replace: the runs a new fire replaces are terminated, and the new fire starts once they are gone.
import type { ActiveRun } from './run-execution.js';

/** How long a replaced run's process group may take to go after SIGKILL (it cannot refuse). */
const AFTER_KILL_MS = 2_000;

/**
 * Abort the runs of `active` whose ids are in `replace` (recorded `cancelled` with `reason`). Resolves
 * once their process groups are gone, bounded by `killGracePeriodMs` and the moment a SIGKILL takes, so
 * that old and new never overlap.
 */
export async function stopReplaced(
  active: Iterable<ActiveRun> | undefined,
  replace: readonly string[],
  reason: string,
  killGracePeriodMs: number,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
): Promise<void> {
  const victims = [...(active ?? [])].filter((run) => replace.includes(run.record.id));
  for (const run of victims) {
    run.abortAs = 'cancelled';
    run.abortReason = reason;
    run.abort.abort();
  }
  const timeout = new AbortController();
  await Promise.race([
    Promise.all(victims.map((run) => run.done)),
    sleep(killGracePeriodMs + AFTER_KILL_MS, timeout.signal),
  ]);
  timeout.abort();
}
