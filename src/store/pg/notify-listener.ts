// One dedicated connection that LISTENs on a channel and reconnects with backoff; after a reconnect the
// caller is told, because notifications sent while it was away are lost.
import pg from 'pg';
import type { Logger } from '../../shared/logger.js';
import { redactSecrets } from './connection.js';

export interface NotifyListenerOptions {
  url: string;
  channel: string;
  logger: Logger;
  onNotify: (payload: string) => void;
  /** Called after every (re)connection, the first included: resynchronise what notifications carry. */
  onConnected: () => void;
  /** First reconnect delay, doubled up to maxBackoffMs. @default 200 */
  minBackoffMs?: number;
  /** @default 5000 */
  maxBackoffMs?: number;
}

export interface NotifyListener {
  /** Resolves once listening (rejects if the first connection fails). */
  start(): Promise<void>;
  /** Whether the connection is up now. */
  connected(): boolean;
  close(): Promise<void>;
}

export function createNotifyListener(options: NotifyListenerOptions): NotifyListener {
  const minBackoff = options.minBackoffMs ?? 200;
  const maxBackoff = options.maxBackoffMs ?? 5000;
  let client: pg.Client | undefined;
  let up = false;
  let closed = false;
  let backoff = minBackoff;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({
      connectionString: options.url,
      application_name: 'cronops-listen',
      keepAlive: true,
      connectionTimeoutMillis: 5000,
    });
    next.on('notification', (message) => {
      if (message.channel === options.channel && message.payload !== undefined)
        options.onNotify(message.payload);
    });
    next.on('error', () => undefined);
    next.on('end', () => {
      if (client !== next) return;
      up = false;
      client = undefined;
      if (!closed) {
        options.logger.warn('store notification connection lost; reconnecting');
        retry();
      }
    });
    try {
      await next.connect();
      await next.query(`listen ${options.channel}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    up = true;
    backoff = minBackoff;
    options.onConnected();
  };

  const retry = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      connect().catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        options.logger.debug(
          { error: redactSecrets(message, options.url), retryInMs: backoff },
          'store notification connection failed',
        );
        backoff = Math.min(maxBackoff, backoff * 2);
        if (!closed) retry();
      });
    }, backoff);
    timer.unref();
  };

  return {
    start: connect,
    connected: () => up,
    close: async () => {
      closed = true;
      clearTimeout(timer);
      const current = client;
      client = undefined;
      up = false;
      await current?.end().catch(() => undefined);
    },
  };
}
