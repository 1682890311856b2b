// The RunManager's and the notifier's log lines, as the one-line messages `cronops exec` prints.

/**
 * A pino JSON line as a short human line (without the `cronops: ` prefix): the message, then why.
 * `attempt failed; retrying` becomes `retrying in 2.0s` (the attempt's own line already said why).
 */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trim();
  }
  const message = typeof entry['msg'] === 'string' ? entry['msg'] : 'log';
  const retryInMs = entry['retryInMs'];
  if (typeof retryInMs === 'number') return `retrying in ${(retryInMs / 1000).toFixed(1)}s`;
  const why = [entry['event'], describeError(entry['err']), entry['error']]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .join(': ');
  return why === '' ? message : `${message}: ${why}`;
}

/** pino serialises an Error as { type, message, stack }; a string stays a string. */
function describeError(err: unknown): string | undefined {
  if (typeof err === 'string') return err;
  if (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { message?: unknown }).message === 'string'
  )
    return (err as { message: string }).message;
  return undefined;
}
