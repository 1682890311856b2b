// Deliver one notification (webhook POST or command), retried with backoff; never throws.
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { redactSecrets } from './output-tail.js';
import { runTask } from './run-job.js';

/** Where a notification goes: a webhook, a command, or both. Values already resolved and rendered. */
export interface NotificationTarget {
  webhook?: { url: string; headers: Record<string, string> };
  /** argv; gets the payload as JSON on stdin and CRONOPS_EVENT / CRONOPS_SCHEDULE in its env. */
  command?: string[];
}

/** What is sent: the JSON body of the webhook and the stdin of the command. */
export interface NotificationPayload {
  event: 'failure' | 'success' | 'recovery' | 'missed';
  schedule: string;
  /** The run record, as stored in the history (already free of secrets). */
  run: unknown;
}

export interface DeliverOptions {
  clock: Clock;
  logger: Logger;
  /** Tries in total, first one included. @default 3 */
  attempts?: number;
  /** Per try. @default 10000 */
  timeoutMs?: number;
  /** Delay before retry n is backoffMs * 2^(n-1). @default 1000 */
  backoffMs?: number;
  /** Tests pass a fake to avoid waiting. @default a real timer */
  sleep?: (ms: number) => Promise<void>;
  /** Values to redact from logged and returned error texts (webhook headers, for instance). */
  secrets?: string[];
}

/** The outcome of a delivery; `error` is the last try's, secrets redacted. */
export interface DeliveryResult {
  delivered: boolean;
  error?: string;
}

/**
 * Deliver a notification. A webhook gets `POST` with the payload as JSON and succeeds on 2xx;
 * a command succeeds when it exits 0. Each try is bounded by `timeoutMs`; failed tries are
 * retried with exponential backoff and logged with secrets redacted. Never throws: a broken
 * notification must not disturb the runs it reports on.
 */
export async function deliverNotification(
  target: NotificationTarget,
  payload: NotificationPayload,
  options: DeliverOptions,
): Promise<DeliveryResult> {
  const attempts = Math.max(1, Math.floor(options.attempts ?? 3));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const backoffMs = options.backoffMs ?? 1_000;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const secrets = options.secrets ?? [];
  const log = options.logger.child({ schedule: payload.schedule, event: payload.event });
  const startedAt = options.clock.now().getTime();

  let lastError = 'notification target has neither a webhook nor a command';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (attempt > 1) await sleep(backoffMs * 2 ** (attempt - 2));
    let error: string | undefined;
    try {
      error = await tryOnce(target, payload, timeoutMs, secrets, options.clock);
    } catch (thrown) {
      error = thrown instanceof Error ? thrown.message : String(thrown);
    }
    if (error === undefined) {
      if (attempt > 1) log.info({ attempt }, 'notification delivered after retrying');
      return { delivered: true };
    }
    lastError = redactSecrets(error, secrets);
    if (attempt < attempts)
      log.warn({ err: lastError, attempt, attempts }, 'notification delivery failed, retrying');
  }
  const elapsedMs = options.clock.now().getTime() - startedAt;
  log.error({ err: lastError, attempts, elapsedMs }, 'notification not delivered');
  return { delivered: false, error: lastError };
}

/** One try at every part of the target; the error text, or undefined when all succeeded. */
async function tryOnce(
  target: NotificationTarget,
  payload: NotificationPayload,
  timeoutMs: number,
  secrets: string[],
  clock: Clock,
): Promise<string | undefined> {
  if (!target.webhook && !target.command)
    return 'notification target has neither a webhook nor a command';
  const body = JSON.stringify(payload);
  const errors: string[] = [];
  if (target.webhook) {
    const error = await postWebhook(target.webhook, body, timeoutMs);
    if (error !== undefined) errors.push(error);
  }
  if (target.command) {
    const result = await runTask(
      {
        task: { kind: 'command', command: target.command },
        env: { CRONOPS_EVENT: payload.event, CRONOPS_SCHEDULE: payload.schedule },
        timeoutMs,
        killGraceMs: 2_000,
        maxOutputBytes: 1024,
        secrets,
        input: body,
      },
      { clock },
    );
    if (result.outcome !== 'succeeded') {
      const output = result.outputTail.trim();
      errors.push(
        `notification command ${target.command[0] ?? ''}: ${result.error ?? result.outcome}${output ? `; output: ${output}` : ''}`,
      );
    }
  }
  return errors.length === 0 ? undefined : errors.join('; ');
}

/** POST the body; the error text names only the URL's origin (webhook paths often embed a token). */
async function postWebhook(
  webhook: { url: string; headers: Record<string, string> },
  body: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const where = describeUrl(webhook.url);
  try {
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'cronops', ...webhook.headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    if (response.ok) return undefined;
    return `webhook ${where} answered HTTP ${response.status} ${response.statusText}`.trimEnd();
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') {
      return `webhook ${where}: no answer within ${timeoutMs} ms`;
    }
    const message = error instanceof Error ? error.message : String(error);
    const cause =
      error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `webhook ${where}: ${message}${cause}`;
  }
}

function describeUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
