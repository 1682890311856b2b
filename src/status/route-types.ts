// What a route of the HTTP endpoint is, what it answers, and the sources it answers from (types only, shared by every route module).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { RunQuery, RunRecord } from '../history/store.js';
import type { DefinitionsDocument, ScheduleDefinition } from './definitions.js';
import type { EventStreamHub } from './events.js';
import type { StatusMetrics } from './metrics.js';
import type { PreparedBody, SnapshotView } from './snapshot-cache.js';
import type { StatusSnapshot } from './snapshot.js';

/** What a route answers: a status, a body of one of the kinds below, and extra headers. */
export interface RouteResponse {
  status: number;
  /** A JSON body. */
  body?: unknown;
  /** A JSON body serialised in advance (shared by many requests); sent gzip-compressed when the client accepts it. */
  prepared?: PreparedBody;
  /** A large JSON body serialised when it is sent, in steps that do not block the event loop; gzip as `prepared`. */
  deferred?: () => Promise<PreparedBody>;
  /** A body that is not JSON (metrics text, the dashboard page), produced when sent; with `contentType`. */
  text?: () => string | Promise<string>;
  contentType?: string;
  /** Takes the response over (server-sent events). */
  stream?: (request: IncomingMessage, response: ServerResponse) => void;
  headers?: Record<string, string>;
}

/** What the run list endpoints read: the history store (which may read its files), or anything with the same two queries. */
export interface RunReader {
  /** Newest first (by id), across schedules. */
  listRuns(query: RunQuery): RunRecord[] | Promise<RunRecord[]>;
  getRun(id: string): RunRecord | undefined | Promise<RunRecord | undefined>;
}

/** What starting a manual run answered (the daemon's StartResult). */
export interface TriggerResult {
  runId: string;
  /**
   * started: running now; waiting: queued behind a run (with replicas, on any of them), for the global
   * cap, or not decided by the store in time; skipped: not run (see reason).
   */
  outcome: 'started' | 'waiting' | 'skipped';
  reason?: string;
}

/** "Run now": the token a request must carry and the way to start a run. */
export interface TriggerOptions {
  /** The bearer token a request must carry. */
  token: string;
  /**
   * Start a manual run of `name` under its concurrency policy, once per `requestId` when one is given;
   * undefined when no such schedule is loaded.
   */
  start(name: string, requestId?: string): TriggerResult | Promise<TriggerResult> | undefined;
}

/** The masked definitions of the running schedules (not part of the status document). */
export interface DefinitionsSource {
  /** Every running schedule's, sorted by name. */
  all(): DefinitionsDocument;
  /** One running schedule's. */
  find(name: string): ScheduleDefinition | undefined;
}

/** Everything the routes answer from; only `view` is required. */
export interface StatusSources {
  /** The current status snapshot (possibly cached) and the bodies derived from it. */
  view: () => SnapshotView;
  /** Run history: /api/v1/runs… answer 404 without it. */
  history?: RunReader;
  /** The event streams of /api/v1/events. */
  events?: EventStreamHub;
  /** The registry behind /metrics. */
  metrics?: StatusMetrics;
  /** "Run now"; without it the trigger path allows no method. */
  trigger?: TriggerOptions;
  /** The dashboard page served on `/`. */
  dashboard?: () => string | Promise<string>;
  /** Running schedules' definitions: /api/v1/definitions answers 404 without them. */
  definitions?: DefinitionsSource;
  /**
   * Whether the daemon is ready, and why not, without building the status of every schedule: /readyz
   * answers from it when given (a probe then costs nothing at 10,000 schedules), else from the snapshot.
   */
  readiness?: () => Readiness;
}

/** The answer of /readyz. */
export interface Readiness {
  ready: boolean;
  reasons: string[];
}

/** What a route handler gets. */
export interface RouteContext {
  /** The status document (built once per request at most). */
  getSnapshot: () => StatusSnapshot;
  /** The snapshot with its cached bodies. */
  view: () => SnapshotView;
  sources: StatusSources;
  /** Values of `{name}` segments in the route's path. */
  params: Record<string, string>;
  url: URL;
  headers: IncomingHttpHeaders;
}

/** One entry of the route table. HEAD is answered wherever GET is. */
export interface StatusRoute {
  /** An absolute path; a segment written `{name}` matches any one segment. */
  path: string;
  methods: readonly ('GET' | 'POST')[];
  /** Added to the 405 answer of this path (e.g. how to enable a disabled write). */
  methodHint?: string;
  /** A promise for answers that need I/O first (the run history). */
  handle(context: RouteContext): RouteResponse | Promise<RouteResponse>;
}

/** The parts of a request routing looks at. */
export interface RouteRequest {
  method: string;
  /** The request target as received (`/status?x=1`). */
  url: string;
  /** The request announces a body (Content-Length > 0 or Transfer-Encoding). */
  hasBody: boolean;
  headers?: IncomingHttpHeaders;
}
