// Server-sent events for GET /api/v1/events: the daemon's run and config events, fanned out to a bounded set of streams.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunRecord } from '../history/store.js';
import { formatIssue, type ManifestIssue } from '../manifest/issue.js';
import { buildApiRun } from './run-view.js';

/** What the daemon publishes (structurally the daemon's own event type). */
export type StatusEvent =
  | { type: 'run:started' | 'run:finished' | 'run:recorded'; run: RunRecord }
  | { type: 'config:reloaded'; trigger: string; ok: boolean; errors: number }
  | { type: 'config:error'; trigger: string; issues: readonly ManifestIssue[] };

/** Subscribe to the daemon's events; returns the unsubscribe function. */
export type SubscribeToEvents = (listener: (event: StatusEvent) => void) => () => unknown;

/** The event names a stream carries. */
export const STREAM_EVENT_NAMES = [
  'run.started',
  'run.finished',
  'config.reloaded',
  'config.error',
] as const;

export type StreamEventName = (typeof STREAM_EVENT_NAMES)[number];

/** One event as it goes on the wire: its name and its JSON data. */
export interface StreamEvent {
  event: StreamEventName;
  data: unknown;
}

/**
 * The wire form of a daemon event. `run:recorded` (a fire that ended without running:
 * skipped, missed) is a `run.finished` too. Runs never carry output tails here.
 */
export function selectStreamEvent(event: StatusEvent): StreamEvent {
  switch (event.type) {
    case 'run:started':
      return {
        event: 'run.started',
        data: { schedule: event.run.schedule, run: buildApiRun(event.run, { outputTails: false }) },
      };
    case 'run:finished':
    case 'run:recorded':
      return {
        event: 'run.finished',
        data: { schedule: event.run.schedule, run: buildApiRun(event.run, { outputTails: false }) },
      };
    case 'config:reloaded':
      return {
        event: 'config.reloaded',
        data: { trigger: event.trigger, ok: event.ok, errors: event.errors },
      };
    case 'config:error':
      return {
        event: 'config.error',
        data: {
          trigger: event.trigger,
          issues: event.issues.map((issue) => ({
            file: issue.file,
            line: issue.line,
            col: issue.col,
            path: issue.path,
            message: issue.message,
            text: formatIssue(issue),
          })),
        },
      };
  }
}

/** One message in the `text/event-stream` format: `id:`, `event:`, one `data:` line of JSON, a blank line. */
export function formatServerSentEvent(id: number, event: StreamEvent): string {
  // JSON.stringify never emits a raw newline, so the data is always exactly one line.
  return `id: ${id}\nevent: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** A kept event's message, made once. */
function formatKept(kept: { id: number; event: StreamEvent; text?: string }): string {
  kept.text ??= formatServerSentEvent(kept.id, kept.event);
  return kept.text;
}

/** setInterval behind an interface, so tests send heartbeats by hand. */
export interface IntervalTimers {
  every(callback: () => void, ms: number): unknown;
  cancel(handle: unknown): void;
}

const systemIntervals: IntervalTimers = {
  every: (callback, ms) => setInterval(callback, ms).unref(),
  cancel: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export interface EventStreamHubOptions {
  /** At most this many open streams; further clients get 503. @default 64 */
  maxClients?: number;
  /** A comment line is sent this often so proxies keep idle streams open. @default 15000 */
  heartbeatMs?: number;
  /** The reconnection delay suggested to clients (`retry:`). @default 3000 */
  retryMs?: number;
  /** Recent events kept to replay after a reconnect with `Last-Event-ID`. @default 256 */
  replayLimit?: number;
  /** A client that has this much unsent data is too slow and is disconnected. @default 1 MiB */
  maxBufferedBytes?: number;
  /** @default real intervals (unref'd) */
  timers?: IntervalTimers;
}

/** The open event streams: accepts clients, sends each published event to all of them. */
export class EventStreamHub {
  readonly #clients = new Set<ServerResponse>();
  /**
   * Recent events for replay, in the wire form; the text is made when a stream first needs it. With
   * no stream open (the usual case) a run event costs its API view, not its JSON: two per fire.
   */
  readonly #recent: { id: number; event: StreamEvent; text?: string }[] = [];
  readonly #o: Required<EventStreamHubOptions>;
  #nextId = 1;
  #heartbeat: unknown;
  #closed = false;

  constructor(options: EventStreamHubOptions = {}) {
    this.#o = {
      maxClients: 64,
      heartbeatMs: 15_000,
      retryMs: 3_000,
      replayLimit: 256,
      maxBufferedBytes: 1024 * 1024,
      timers: systemIntervals,
      ...options,
    };
  }

  /** Streams open now. */
  get clientCount(): number {
    return this.#clients.size;
  }

  /** No more streams can be opened. */
  get isFull(): boolean {
    return this.#closed || this.#clients.size >= this.#o.maxClients;
  }

  get maxClients(): number {
    return this.#o.maxClients;
  }

  /**
   * Turn a response into an event stream: headers, the `retry:` hint, the events after the
   * client's `Last-Event-ID` (when still kept), then every event published until it disconnects.
   * The caller checks `isFull` first.
   */
  accept(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      // Ask buffering reverse proxies (nginx) to pass events through at once.
      'X-Accel-Buffering': 'no',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    request.socket.setNoDelay(true);
    request.socket.setKeepAlive(true);
    let opening = `retry: ${this.#o.retryMs}\n: connected\n\n`;
    const lastId = Number(request.headers['last-event-id']);
    if (Number.isInteger(lastId) && lastId > 0 && lastId < this.#nextId) {
      for (const kept of this.#recent) if (kept.id > lastId) opening += formatKept(kept);
    }
    response.write(opening);
    this.#clients.add(response);
    const forget = (): void => {
      this.#clients.delete(response);
      if (this.#clients.size === 0) this.#stopHeartbeat();
    };
    response.on('close', forget);
    response.on('error', forget);
    this.#startHeartbeat();
  }

  /** Send one daemon event to every stream. */
  publish(event: StatusEvent): void {
    if (this.#closed) return;
    const id = this.#nextId;
    this.#nextId += 1;
    // The view is taken now: the run record goes on changing after the event.
    const kept: { id: number; event: StreamEvent; text?: string } = {
      id,
      event: selectStreamEvent(event),
    };
    this.#recent.push(kept);
    if (this.#recent.length > this.#o.replayLimit) this.#recent.shift();
    if (this.#clients.size > 0) this.#broadcast(formatKept(kept));
  }

  /** End every stream; later clients are refused. */
  close(): void {
    this.#closed = true;
    this.#stopHeartbeat();
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #broadcast(text: string): void {
    for (const client of this.#clients) {
      if (client.writableLength > this.#o.maxBufferedBytes) {
        // A reader that does not keep up would make the daemon hold its events forever.
        client.destroy();
        this.#clients.delete(client);
        continue;
      }
      client.write(text);
    }
  }

  #startHeartbeat(): void {
    this.#heartbeat ??= this.#o.timers.every(
      () => this.#broadcast(': heartbeat\n\n'),
      this.#o.heartbeatMs,
    );
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat === undefined) return;
    this.#o.timers.cancel(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
