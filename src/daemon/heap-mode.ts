// The daemon's V8 heap mode. Left to its defaults, V8 keeps the heap it grew to while the daemon started (10,000
// schedules: ~250 MB RSS idle, ~115 MB of the heap live) and never collects while the daemon is idle, because an
// idle daemon allocates almost nothing. With --optimize-for-size, V8 keeps a smaller young generation and gives
// memory back once allocation stops (measured: ~190 MB RSS idle). Design: docs/design/history-summary.md
// ("Memory of an idle daemon").
import { setFlagsFromString } from 'node:v8';

const SIZE_FLAG = /^--(?:no-)?optimize[-_]for[-_]size$/;

/** Whether to turn the flag on: not when node was started with its own say on it. Pure. */
export function wantsHeapOptimizedForSize(execArgv: readonly string[]): boolean {
  return !execArgv.some((flag) => SIZE_FLAG.test(flag));
}

/**
 * Favour memory over speed in V8, before the daemon allocates anything big, unless node was told otherwise
 * (`node --no-optimize-for-size …/cronops run` opts out; NODE_OPTIONS cannot carry this flag). Returns whether
 * the flag was set.
 */
export function optimizeHeapForSize(execArgv: readonly string[] = process.execArgv): boolean {
  if (!wantsHeapOptimizedForSize(execArgv)) return false;
  setFlagsFromString('--optimize-for-size');
  return true;
}
