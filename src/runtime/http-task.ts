// Run an `http` task: one fetch, judged by its status, with a bounded tail of the response body.
import type { Clock } from '../shared/clock.js';
import type { RunOutcome } from './outcome.js';
import { OutputTail, redactSecrets } from './output-tail.js';
import type { AttemptResult } from './attempt-result.js';

/** An http task, already rendered. */
export interface HttpTask {
  kind: 'http';
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Inclusive status ranges that count as success, e.g. [[200, 299]]. */
  expectStatus: [number, number][];
}

export interface HttpTaskOptions {
  clock: Clock;
  /** Aborting it stops the request (outcome `killed`). */
  signal?: AbortSignal;
  /** Covers the whole exchange, body included; <= 0 or non-finite: no timeout. Capped at ~24.8 days. */
  timeoutMs: number;
  /** Bytes kept of the status line plus the body's tail. */
  maxOutputBytes: number;
  /** Replaced by `[redacted]` in the tail and the error text. */
  secrets: string[];
}

/** The longest delay a Node timer supports; longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Send the request with the global fetch. The body is streamed into a bounded tail rather than
 * read whole, so a huge response costs no more memory than `maxOutputBytes`.
 */
export async function runHttpTask(
  task: HttpTask,
  options: HttpTaskOptions,
): Promise<AttemptResult> {
  const { clock, secrets } = options;
  const startedAt = clock.now();
  const timeoutSignal =
    Number.isFinite(options.timeoutMs) && options.timeoutMs > 0
      ? AbortSignal.timeout(Math.min(options.timeoutMs, MAX_TIMER_MS))
      : undefined;
  const signals = [timeoutSignal, options.signal].filter((s): s is AbortSignal => s !== undefined);
  const finish = (fields: {
    outcome: RunOutcome;
    outputTail?: string;
    error?: string;
    httpStatus?: number;
  }): AttemptResult => ({
    exitCode: null,
    signal: null,
    outputTail: '',
    ...fields,
    ...(fields.error === undefined ? {} : { error: redactSecrets(fields.error, secrets) }),
    startedAt,
    finishedAt: clock.now(),
  });

  let header = '';
  let tail: OutputTail | undefined;
  let status: number | undefined;
  try {
    const response = await fetch(task.url, {
      method: task.method,
      headers: task.headers,
      ...(task.body === undefined ? {} : { body: task.body }),
      ...(signals.length === 0 ? {} : { signal: AbortSignal.any(signals) }),
    });
    status = response.status;
    header = redactSecrets(`HTTP ${response.status} ${response.statusText}\n`, secrets);
    tail = new OutputTail(Math.max(0, options.maxOutputBytes - Buffer.byteLength(header)), secrets);
    if (response.body) {
      for await (const chunk of response.body) tail.push(chunk);
    }
  } catch (error) {
    const outputTail = clip(header, options.maxOutputBytes) + (tail?.toString() ?? '');
    const withStatus = status === undefined ? {} : { httpStatus: status };
    if (timeoutSignal?.aborted) {
      return finish({
        outcome: 'timed-out',
        outputTail,
        ...withStatus,
        error: `timed out after ${options.timeoutMs} ms`,
      });
    }
    if (options.signal?.aborted) {
      return finish({
        outcome: 'killed',
        outputTail,
        ...withStatus,
        error: describeAbort(options.signal),
      });
    }
    return finish({
      outcome: 'failed',
      outputTail,
      ...withStatus,
      error: describeFetchError(error, task),
    });
  }

  const outputTail = clip(header, options.maxOutputBytes) + tail.toString();
  if (task.expectStatus.some(([low, high]) => status >= low && status <= high)) {
    return finish({ outcome: 'succeeded', outputTail, httpStatus: status });
  }
  const expected = task.expectStatus
    .map(([low, high]) => (low === high ? `${low}` : `${low}-${high}`))
    .join(', ');
  return finish({
    outcome: 'failed',
    outputTail,
    httpStatus: status,
    error: `${task.method} ${task.url} answered ${header.trimEnd()}, expected ${expected}`,
  });
}

/** Why the caller's signal was aborted, in words for the attempt's error text. */
export function describeAbort(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return typeof reason === 'string' && reason !== '' ? `cancelled: ${reason}` : 'cancelled';
}

function describeFetchError(error: unknown, task: HttpTask): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause =
    error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${task.method} ${task.url}: ${message}${cause}`;
}

/** A string cut to at most `maxBytes` UTF-8 bytes (the status line of a tiny tail). */
function clip(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  return Buffer.from(text)
    .subarray(0, Math.max(0, maxBytes))
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}
