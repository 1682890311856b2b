// After start-up: start one no-op process, so the first fire does not pay for compiling the code that starts one.
import type { Logger } from 'pino';
import { warmUpProcessStart } from '../runtime/run-job.js';
import type { Clock } from '../shared/clock.js';

/** Started once every schedule waits for its instant; never rejects. */
export async function warmUpTasks(clock: Clock, log: Logger): Promise<void> {
  const warm = await warmUpProcessStart(clock);
  log.debug(
    {
      outcome: warm.outcome,
      durationMs: warm.finishedAt.getTime() - warm.startedAt.getTime(),
      ...(warm.error === undefined ? {} : { error: warm.error }),
    },
    'process start warmed up',
  );
}
