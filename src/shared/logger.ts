// pino, configured once: JSON lines on stdout, pretty on a TTY, secrets redacted.
import { pino, levels, symbols, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** @default 'info' */
  level?: string;
  /** @default 'pretty' when stdout is a TTY, else 'json' */
  format?: LogFormat;
  /** Where lines go; tests pass a stream to capture them. @default stdout */
  destination?: DestinationStream;
}

/** Paths pino blanks out wherever they appear in a log object. */
export const REDACT_PATHS = [
  'env',
  '*.env',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'secret',
  '*.secret',
  'token',
  '*.token',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const base = {
    level: options.level ?? 'info',
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(base, options.destination);
  if (format === 'pretty') return pino(base, createPrettyStream());
  return pino(base);
}

/** A small line formatter for humans: time, level, message, then the fields as key=value. */
function createPrettyStream(): DestinationStream {
  return {
    write(line: string) {
      try {
        const {
          time,
          level,
          msg,
          pid: _pid,
          hostname: _h,
          ...rest
        } = JSON.parse(line) as Record<string, unknown>;
        const name = levels.labels[Number(level)] ?? String(level);
        const fields = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        process.stdout.write(
          `${String(time)} ${name.toUpperCase().padEnd(5)} ${String(msg ?? '')}${fields ? ` ${fields}` : ''}\n`,
        );
      } catch {
        process.stdout.write(line);
      }
    },
  };
}

/**
 * Resolves once pino's stdout stream has written what it holds (its `drain`), or after `timeoutMs`. Lines
 * go to stdout asynchronously: one logged just before a long synchronous task (the first status of 10,000
 * schedules) would otherwise reach its reader only after that task. Resolves at once for other
 * destinations (a test's stream, the pretty printer), which write synchronously.
 */
export function logWritten(logger: Logger, timeoutMs = 100): Promise<void> {
  const stream = (logger as unknown as Record<symbol, unknown>)[symbols.streamSym] as
    { flushSync?: unknown; once?: unknown; removeListener?: unknown } | undefined;
  if (
    typeof stream?.flushSync !== 'function' ||
    typeof stream.once !== 'function' ||
    typeof stream.removeListener !== 'function'
  )
    return Promise.resolve();
  const events = stream as {
    once(event: 'drain', listener: () => void): void;
    removeListener(event: 'drain', listener: () => void): void;
  };
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      events.removeListener('drain', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    events.once('drain', done);
  });
}
