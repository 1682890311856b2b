// pino, configured once: JSON lines on stdout, pretty on a TTY, secrets redacted.
import { pino, levels, symbols, type Logger, type DestinationStream } from 'pino';
import { LogDestination } from './log-destination.js';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** @default 'info' */
  level?: string;
  /** @default 'pretty' when stdout is a TTY, else 'json' */
  format?: LogFormat;
  /**
   * Where lines go; tests pass a stream to capture them. @default stdout through a LogDestination: info
   * lines batched, warnings and errors written synchronously, everything flushed on exit
   */
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
  return pino(base, new LogDestination(format === 'pretty' ? { format: formatPrettyLine } : {}));
}

/**
 * A child of `logger` that writes the same lines without redaction, for lines whose fields are known never to
 * hold a secret: the lines of a run (run-execution.ts), whose fields are strings and numbers under names
 * outside REDACT_PATHS, so redaction changes nothing in them. pino applies the wildcard paths (`*.env`, …)
 * to every field of every line, and its redactor parses each path again on each call: 13 KB of garbage and
 * most of the CPU of a line, for the two lines each fire writes. Made once, not per run (a child costs
 * about a line).
 */
export function withoutRedaction(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/** A small line formatter for humans: time, level, message, then the fields as key=value. */
export function formatPrettyLine(line: string): string {
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
    return `${String(time)} ${name.toUpperCase().padEnd(5)} ${String(msg ?? '')}${fields ? ` ${fields}` : ''}\n`;
  } catch {
    return line;
  }
}

/** Write whatever the logger's destination has batched, now (a no-op for destinations that do not batch). */
export function flushLog(logger: Logger): void {
  const stream = (logger as unknown as Record<symbol, unknown>)[symbols.streamSym];
  if (stream instanceof LogDestination) stream.flushSync();
}

/**
 * Resolves once the logger's destination has written what it holds, or after `timeoutMs`. Info lines
 * are batched: one logged just before a long synchronous task (the first status of 10,000 schedules)
 * would otherwise reach its reader only after that task. A LogDestination is flushed at once; an
 * asynchronous SonicBoom is waited for (its `drain`); other destinations write synchronously.
 */
export function logWritten(logger: Logger, timeoutMs = 100): Promise<void> {
  flushLog(logger);
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
