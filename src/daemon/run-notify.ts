// Notifications of a run's end (failure, success, recovery) and of missed fires, delivered in the background.
import type { Logger } from 'pino';
import type { RunRecord } from '../history/store.js';
import type { NotifySpec } from '../manifest/schema.js';
import { renderTemplate } from '../manifest/templates.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { deliverNotification as DeliverFn } from '../runtime/notify.js';
import type { NotificationPlan } from '../runtime/notify-policy.js';
import type { Clock } from '../shared/clock.js';
import {
  describeChain,
  resolveRendered,
  templateContextFor,
  type SecretSource,
} from './invocation.js';

/** A notification event a schedule can ask for. */
export type NotifyEvent = NotifySpec['on'][number];

export interface NotifierOptions {
  clock: Clock;
  logger: Logger;
  secrets: SecretSource;
  deliverNotification: typeof DeliverFn;
}

/** Sends a schedule's notifications and remembers the deliveries in flight, for shutdown. */
export class Notifier {
  readonly #o: NotifierOptions;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: NotifierOptions) {
    this.#o = options;
  }

  /** Deliver the notifications the plan sends (notify-policy.ts); failures are logged, never thrown. */
  notify(job: DesiredSchedule, record: RunRecord, plan: NotificationPlan): void {
    for (const { entry, event } of plan.sends) {
      const target = job.spec.notify[entry];
      if (!target) continue;
      const context = templateContextFor(job.spec, {
        schedule: job.name,
        runId: record.id,
        attempt: Math.max(1, record.attempts.length),
        trigger: record.trigger,
        scheduledAt: new Date(record.scheduledAt),
        ...describeChain(record),
      });
      const render = (text: string): string => renderTemplate(text, context);
      const resolved = target.webhook
        ? resolveRendered(target.webhook.headers, render, this.#o.secrets)
        : undefined;
      if (resolved && resolved.errors.length > 0) {
        this.#o.logger.error(
          {
            schedule: job.name,
            runId: record.id,
            attempt: record.attempts.length,
            event,
            error: resolved.errors.join('; '),
          },
          'notification not sent',
        );
        continue;
      }
      const delivery = this.#o
        .deliverNotification(
          {
            ...(target.webhook
              ? { webhook: { url: render(target.webhook.url), headers: resolved?.values ?? {} } }
              : {}),
            ...(target.command ? { command: target.command.map(render) } : {}),
          },
          { event, schedule: job.name, run: publicRun(record) },
          { clock: this.#o.clock, logger: this.#o.logger, secrets: resolved?.secrets ?? [] },
        )
        .finally(() => this.#inFlight.delete(delivery));
      this.#inFlight.add(delivery);
    }
  }

  /** Resolves when every delivery started so far has ended. */
  async settled(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }
}

/** The run as notifications carry it: without output tails (they can be large). */
function publicRun({ notified: _notified, ...record }: RunRecord): RunRecord {
  return { ...record, attempts: record.attempts.map(({ outputTail: _tail, ...a }) => a) };
}
