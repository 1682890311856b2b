// After start-up: load execa and start one no-op process, so the first fire does not pay for either.
import type { Logger } from 'pino';
import { loadExeca, warmUpProcessStart } from '../runtime/run-job.js';
import type { Clock } from '../shared/clock.js';

/** Loaded once every schedule waits for its instant; never rejects. */
export function warmUpTasks(clock: Clock, log: Logger): Promise<void> {
  return loadExeca().then(
    async () => {
      const warm = await warmUpProcessStart(clock);
      log.debug(
        {
          outcome: warm.outcome,
          durationMs: warm.finishedAt.getTime() - warm.startedAt.getTime(),
          ...(warm.error === undefined ? {} : { error: warm.error }),
        },
        'process start warmed up',
      );
    },
    (err: unknown) => log.error({ err }, 'cannot load execa: command and shell tasks cannot start'),
  );
}
