// Reuses one built status snapshot (and its serialised bodies) across requests, so a busy endpoint does not rebuild it per request.
import { promisify } from 'node:util';
import { gzip as gzipCallback, gzipSync, constants as zlibConstants } from 'node:zlib';
import type { Clock } from '../shared/clock.js';
import type { StatusSchedule, StatusSnapshot } from './snapshot.js';

const gzipAsync = promisify(gzipCallback);

/** On the request path: the fastest level (the JSON is repetitive, level 1 already shrinks it ~20×). */
const GZIP_FAST = { level: zlibConstants.Z_BEST_SPEED };
/** In the background, on the thread pool: the default level, ~25 % smaller than level 1, so fewer bytes per answer. */
const GZIP_BACKGROUND = { level: zlibConstants.Z_DEFAULT_COMPRESSION };

/** Array items serialised per turn of the event loop when a body is prepared in the background. */
const ITEMS_PER_STEP = 50;

/** A JSON body serialised once, with its gzip form. */
export interface PreparedBody {
  /** The JSON text as UTF-8. */
  json: Buffer;
  /** The same bytes gzip-compressed (computed at most once). */
  gzip(): Buffer;
}

/** One built snapshot and what is derived from it. */
export interface SnapshotView {
  snapshot: StatusSnapshot;
  /**
   * A body derived from this snapshot, serialised at most once per view. In a cache with
   * `refreshMs`, a new view's body is serialised in the background, in small steps, while the
   * previous view's body (at most `refreshMs` older) is served, so no request waits for a large
   * serialisation.
   */
  prepare(key: string, build: (snapshot: StatusSnapshot) => unknown): PreparedBody;
  /** The schedule entry named `name`, if the snapshot has it. */
  findSchedule(name: string): StatusSchedule | undefined;
}

export interface SnapshotCacheOptions {
  build: () => StatusSnapshot;
  /**
   * The same document as `build`, made over several turns of the event loop (freshInSteps). @default
   * build
   */
  buildInSteps?: () => Promise<StatusSnapshot>;
  clock: Clock;
  /**
   * A view is reused while it is younger than this and nothing changed since it was built.
   * 0 builds a fresh view for every call. @default 0
   */
  refreshMs?: number;
  /** After a change, a view younger than this is still reused (bounds rebuilds under a burst of changes). @default 100 */
  minRebuildMs?: number;
}

export interface SnapshotCache {
  /** The current view, rebuilt when too old or changed (a change waits for `minRebuildMs`). */
  current(): SnapshotView;
  /** A view that includes every change so far: rebuilt now if anything changed since the last build. */
  fresh(): SnapshotView;
  /**
   * As fresh(), but a rebuild goes through `buildInSteps`. The view it makes is kept unless something
   * changed while it was being built (then it is returned, and the next call builds again).
   */
  freshInSteps(): Promise<SnapshotView>;
  /** Something changed: the next `current()` rebuilds once the view is `minRebuildMs` old. */
  invalidate(): void;
}

/** Bodies ready to serve, by key, with the build time of the view they came from. */
type ReadyBodies = Map<string, { body: PreparedBody; builtAt: number }>;

/** Create a cache; with refreshMs 0 (the default) every call builds anew. */
export function createSnapshotCache(options: SnapshotCacheOptions): SnapshotCache {
  const refreshMs = options.refreshMs ?? 0;
  const minRebuildMs = Math.min(options.minRebuildMs ?? 100, refreshMs);
  const ready: ReadyBodies = new Map();
  let view: SnapshotView | undefined;
  let builtAt = 0;
  let dirty = false;
  /** Bumped by every change: a build in steps keeps its view only when none came meanwhile. */
  let changes = 0;
  const makeView = (snapshot: StatusSnapshot, now: number): SnapshotView =>
    createSnapshotView(
      snapshot,
      refreshMs > 0 ? { ready, builtAt: now, maxStaleMs: refreshMs } : undefined,
    );
  const rebuild = (now: number): SnapshotView => {
    // Cleared first: a change made while building marks the new view stale again.
    dirty = false;
    builtAt = now;
    view = makeView(options.build(), now);
    return view;
  };
  /** The view, when it may stand for a fresh one at `now`: young enough, and nothing changed since. */
  const reusableView = (now: number): SnapshotView | undefined => {
    const age = now - builtAt;
    return refreshMs > 0 && age >= 0 && !dirty && age < refreshMs ? view : undefined;
  };
  return {
    current() {
      const now = options.clock.now().getTime();
      const age = now - builtAt;
      const reuse =
        refreshMs > 0 && age >= 0 && (age < minRebuildMs || (!dirty && age < refreshMs));
      return reuse && view !== undefined ? view : rebuild(now);
    },
    fresh() {
      const now = options.clock.now().getTime();
      return reusableView(now) ?? rebuild(now);
    },
    async freshInSteps() {
      const now = options.clock.now().getTime();
      const reusable = reusableView(now);
      if (reusable !== undefined) return reusable;
      if (options.buildInSteps === undefined) return rebuild(now);
      const before = changes;
      const snapshot = await options.buildInSteps();
      const built = makeView(snapshot, now);
      // A synchronous build finished meanwhile is newer: it stays.
      if (changes === before && builtAt <= now) {
        dirty = false;
        builtAt = now;
        view = built;
      }
      return built;
    },
    invalidate() {
      dirty = true;
      changes += 1;
    },
  };
}

/**
 * A view over one snapshot; bodies are serialised lazily and kept. With `background`, a body
 * not yet serialised is prepared in steps while the newest ready one (shared by the views of
 * one cache) is served, if it is at most `maxStaleMs` older.
 */
export function createSnapshotView(
  snapshot: StatusSnapshot,
  background?: { ready: ReadyBodies; builtAt: number; maxStaleMs: number },
): SnapshotView {
  const bodies = new Map<string, PreparedBody>();
  const pending = new Set<string>();
  let byName: Map<string, StatusSchedule> | undefined;
  return {
    snapshot,
    prepare(key, build) {
      const done = bodies.get(key);
      if (done !== undefined) return done;
      const stale = background?.ready.get(key);
      if (
        background !== undefined &&
        stale !== undefined &&
        background.builtAt - stale.builtAt <= background.maxStaleMs
      ) {
        if (!pending.has(key)) {
          pending.add(key);
          void prepareBodyInSteps(build(snapshot)).then(
            (body) => {
              bodies.set(key, body);
              const newest = background.ready.get(key);
              if (newest === undefined || newest.builtAt <= background.builtAt) {
                background.ready.set(key, { body, builtAt: background.builtAt });
              }
            },
            () => pending.delete(key),
          );
        }
        return stale.body;
      }
      const body = prepareBody(build(snapshot));
      bodies.set(key, body);
      background?.ready.set(key, { body, builtAt: background.builtAt });
      return body;
    },
    findSchedule(name) {
      byName ??= new Map(snapshot.schedules.map((schedule) => [schedule.name, schedule]));
      return byName.get(name);
    },
  };
}

/** Serialise a value at once; compress it only when asked. */
export function prepareBody(value: unknown): PreparedBody {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  let gzip: Buffer | undefined;
  return { json, gzip: () => (gzip ??= gzipSync(json, GZIP_FAST)) };
}

/**
 * Serialise a value a few array items per turn of the event loop, then compress it on the
 * thread pool: the same bytes as `prepareBody`, without blocking the loop for long.
 */
export async function prepareBodyInSteps(value: unknown): Promise<PreparedBody> {
  const json = Buffer.from(await stringifyInSteps(value), 'utf8');
  const zipped = await gzipAsync(json, GZIP_BACKGROUND);
  return { json, gzip: () => zipped };
}

const PLACEHOLDER = '\u0000cronops-array\u0000';

/**
 * JSON.stringify, yielding to the event loop between batches of the items of a top-level
 * array, or of the `schedules` array of an object (the status document). Same output.
 */
export async function stringifyInSteps(value: unknown): Promise<string> {
  if (Array.isArray(value)) return stringifyArrayInSteps(value);
  if (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { schedules?: unknown }).schedules)
  ) {
    const items = (value as { schedules: unknown[] }).schedules;
    // Spreading keeps the key order; the placeholder marks where the array goes.
    const outer = JSON.stringify({ ...value, schedules: PLACEHOLDER });
    const inner = await stringifyArrayInSteps(items);
    const marker = JSON.stringify(PLACEHOLDER);
    const at = outer.indexOf(marker);
    return `${outer.slice(0, at)}${inner}${outer.slice(at + marker.length)}`;
  }
  return JSON.stringify(value);
}

async function stringifyArrayInSteps(items: readonly unknown[]): Promise<string> {
  const parts: string[] = [];
  for (let start = 0; start < items.length; start += ITEMS_PER_STEP) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    // Array items JSON.stringify cannot represent become null, as in an array.
    parts.push(
      items
        .slice(start, start + ITEMS_PER_STEP)
        .map((item) => JSON.stringify(item) ?? 'null')
        .join(','),
    );
  }
  return `[${parts.join(',')}]`;
}
