// How long to wait before a retry: pure, from the schedule's retry policy.
import type { JobSpec } from '../manifest/schema.js';

/** Delay before attempt `nextAttempt` (2 = the first retry), capped at maxDelay. */
export function retryDelayMs(retries: JobSpec['retries'], nextAttempt: number): number {
  const n = nextAttempt - 1; // retries so far + 1
  let delay: number;
  switch (retries.backoff) {
    case 'none':
      delay = 0;
      break;
    case 'fixed':
      delay = retries.delay;
      break;
    case 'linear':
      delay = retries.delay * n;
      break;
    case 'exponential':
      delay = retries.delay * 2 ** (n - 1);
      break;
  }
  return Math.min(delay, retries.maxDelay);
}
