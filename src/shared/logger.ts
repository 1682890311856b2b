// pino, configured once: JSON lines on stdout, pretty on a TTY, secrets redacted.
import { pino, levels, type Logger, type DestinationStream } from 'pino';

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
