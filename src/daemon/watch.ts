// Watching the manifest directory: batches of changed names, handed over once the directory goes quiet.
import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { isManifestFileName } from '../manifest/file-names.js';
import { systemTimers, type TimerHandle, type Timers } from '../runtime/timers.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { watchPathPoints } from './watch-root.js';

/** auto: native events (inotify); poll: stat polling for file systems without them; off: SIGHUP only. */
export type WatchMode = 'auto' | 'poll' | 'off';

/**
 * One quiet batch of changes. The daemon looks at the files it names, or at every file when it asks for
 * a rescan.
 */
export interface WatchBatch {
  /** For the logs: `watch (3 events: a.yaml, b.yaml, ..data)`. */
  reason: string;
  /** Events merged into this batch. */
  events: number;
  /** The entries the events named, relative to the directory, sorted. */
  names: string[];
  /**
   * Every file may have changed: `..data` was swapped (a Kubernetes ConfigMap update), the directory
   * itself was replaced (a symlinked directory pointed elsewhere, as git-sync does), a directory entry
   * was added or removed, or the watcher reported an error (events may have been lost).
   */
  rescan: boolean;
}

export interface ConfigWatcher {
  close(): Promise<void>;
}

export interface WatchOptions {
  dir: string;
  mode: Exclude<WatchMode, 'off'>;
  logger: Logger;
  /** Called once per quiet batch of changes. */
  onChange: (batch: WatchBatch) => void;
  /**
   * Quiet time that ends a batch: chokidar passes the first `change` of a burst and drops the next ones
   * for 50 ms without a closing event, so a file written in two parts must be given time to settle.
   * @default 200
   */
  quietMs?: number;
  /** A steady trickle of events still applies after this long. @default 2000 */
  maxDelayMs?: number;
  /** Polling interval in poll mode. @default 500 */
  pollIntervalMs?: number;
  /**
   * How often the path is looked at, without an event, for whether it now leads to another directory. In
   * auto mode the entries that decide where it leads are watched, and this only catches what they do not
   * show (a directory further up renamed); in poll mode, or while one of them cannot be watched, it is at
   * most ROOT_POLL_MS. @default 60_000 in auto mode, 1000 in poll mode
   */
  rootCheckMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default systemTimers */
  timers?: Timers;
}

/** How often the path is looked at when no event can say that it changed. */
const ROOT_POLL_MS = 1000;
/** In auto mode, with every entry that decides where the path leads watched: a look now and then anyway. */
const ROOT_BACKSTOP_MS = 60_000;

/** The entry whose swap updates a Kubernetes ConfigMap volume. */
const CONFIGMAP_DATA = '..data';
/** Names listed in a batch's reason. */
const REASON_NAMES = 5;

/**
 * True for paths the watcher should not look at, given the watched directory's real path. Only the
 * manifests directly in it and `..data` are watched. Everything else is ignored: ConfigMap's timestamped
 * `..2026_…` directories and `..data_tmp`, `.git`, subdirectories, and editor litter (`.a.yaml.swp`,
 * `a.yaml~`, vim's `4913` probe, `a.yaml.tmp`). The root itself and paths above it are never ignored,
 * or chokidar would watch nothing.
 */
export function isIgnoredPath(root: string, path: string, stats?: Stats): boolean {
  const rel = relativeTo(root, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`)) return false;
  if (rel.includes(sep)) return true;
  if (rel === CONFIGMAP_DATA) return false;
  if (!isManifestFileName(rel)) return true;
  return stats?.isDirectory() === true;
}

/** `relative(root, path)`, without resolving both for the usual path inside the root (chokidar asks for every entry). */
function relativeTo(root: string, path: string): string {
  return path.length > root.length + 1 && path.startsWith(root) && path[root.length] === sep
    ? path.slice(root.length + 1)
    : relative(root, path);
}

/**
 * Watch `dir` and call `onChange` once per batch: events are collected until the directory has been
 * quiet for `quietMs` (at most `maxDelayMs` after the first), so a `git checkout` of 50 files or a
 * ConfigMap swap is one reload. Symlinks are not followed (a ConfigMap's files are reported once, as
 * themselves); the directory is watched by its real path, which is looked at again when an entry that
 * decides where the path leads changes (watch-root.ts; polled in poll mode), so that a symlinked directory
 * that is pointed elsewhere is watched again. Nothing wakes the daemon while nothing changes.
 */
export async function watchConfigDir(options: WatchOptions): Promise<ConfigWatcher> {
  const { dir, logger } = options;
  const quietMs = options.quietMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const rootCheckMs =
    options.rootCheckMs ?? (options.mode === 'poll' ? ROOT_POLL_MS : ROOT_BACKSTOP_MS);
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;

  let closed = false;
  let quietTimer: TimerHandle | undefined;
  let rootTimer: TimerHandle | undefined;
  let batchStartedMs: number | undefined;
  let events = 0;
  let rescan = false;
  /** Why every file is to be looked at, for the reason of a batch that names no file. */
  let rescanWhy = '';
  const names = new Set<string>();

  const flush = (): void => {
    quietTimer = undefined;
    batchStartedMs = undefined;
    const batch: WatchBatch = { reason: '', events, names: [...names].sort(), rescan };
    const why = rescanWhy;
    events = 0;
    rescan = false;
    rescanWhy = '';
    names.clear();
    const listed = batch.names.slice(0, REASON_NAMES).join(', ');
    const more =
      batch.names.length > REASON_NAMES ? `, +${batch.names.length - REASON_NAMES} more` : '';
    const what = batch.rescan && batch.names.length === 0 ? why : `${listed}${more}`;
    batch.reason = `watch (${batch.events} event${batch.events === 1 ? '' : 's'}${what ? `: ${what}` : ''})`;
    if (!closed) options.onChange(batch);
  };

  /** Count one event and (re)start the quiet timer, never beyond maxDelayMs after the batch began. */
  const note = (name: string | undefined, everything: boolean, why = ''): void => {
    events += 1;
    if (name !== undefined) names.add(name);
    if (everything) rescan = true;
    if (why) rescanWhy = why;
    const nowMs = clock.now().getTime();
    batchStartedMs ??= nowMs;
    if (quietTimer !== undefined) timers.clear(quietTimer);
    const wait = Math.min(quietMs, Math.max(0, batchStartedMs + maxDelayMs - nowMs));
    quietTimer = timers.set(flush, wait);
  };

  const start = async (root: string): Promise<FSWatcher> => {
    let ready = false;
    // Loaded here, after the daemon has started: start-up does not wait for chokidar's modules.
    const { watch } = await import('chokidar');
    const watcher = watch(root, {
      ignoreInitial: true,
      followSymlinks: false,
      depth: 0,
      usePolling: options.mode === 'poll',
      interval: options.pollIntervalMs ?? 500,
      binaryInterval: options.pollIntervalMs ?? 500,
      ignored: (path: string, stats?: Stats) => isIgnoredPath(root, path, stats),
    });
    watcher.on('all', (event: string, path: string) => {
      // Symlinks are reported as added during the initial scan even with ignoreInitial.
      if (!ready) return;
      const rel = relativeTo(root, path);
      logger.debug({ event, path }, 'manifest directory changed');
      if (rel === '' || rel.startsWith('..' + sep) || rel === '..')
        note(undefined, true, 'directory replaced');
      else note(rel, rel === CONFIGMAP_DATA || event === 'addDir' || event === 'unlinkDir');
    });
    watcher.on('error', (err: unknown) => {
      logger.error({ err, dir }, 'watching the manifest directory failed');
      // Events may have been lost: look at every file.
      if (ready) note(undefined, true, 'watcher error');
    });
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    ready = true;
    return watcher;
  };

  /** Set up: events look at the path from here on (before, one only asks for a look once set up). */
  let setUp = false;
  /** Looks at the path one at a time; one asked for meanwhile follows. */
  let checking = false;
  let checkAgain = false;
  /** Auto mode: the entries that decide where the path leads, watched; a change there looks at the path. */
  const points =
    options.mode === 'auto'
      ? watchPathPoints(dir, {
          onChange: () => {
            if (setUp) requestRootCheck();
            else checkAgain = true;
          },
          onError: (err) => {
            logger.debug({ err, dir }, 'watching the path of the manifest directory failed');
            // Polled until the next look watches every entry again.
            pointsWatched = false;
            if (setUp && !checking) scheduleRootCheck();
          },
        })
      : undefined;
  let pointsWatched = (await points?.refresh()) ?? false;
  // Watched first, then looked at: a change made from here on sends an event.
  let root = await identify(dir);
  let watcher = await start(root.path);
  let rootMissing = false;

  /** A symlinked directory pointed elsewhere (git-sync), or the directory deleted and created again. */
  const checkRoot = async (): Promise<boolean> => {
    let now: DirIdentity;
    try {
      now = await identify(dir);
    } catch (err) {
      if (!rootMissing)
        logger.warn({ err, dir }, 'the manifest directory is gone; keeping the running schedules');
      rootMissing = true;
      return false;
    }
    rootMissing = false;
    if (closed || (now.path === root.path && now.id === root.id)) return false;
    logger.info(
      { dir, from: root.path, to: now.path },
      'the manifest directory was replaced; watching the new one',
    );
    await watcher.close();
    root = now;
    watcher = await start(root.path);
    if (closed) {
      await watcher.close();
      return true;
    }
    note(undefined, true, 'directory replaced');
    return true;
  };
  const lookAtRoot = async (): Promise<void> => {
    // The path leads elsewhere now: its entries are found and watched again, and it is looked at once more.
    for (let round = 0; round < 3 && !closed; round += 1) {
      checkAgain = false;
      if (points) pointsWatched = await points.refresh();
      if (!(await checkRoot()) && !checkAgain) return;
    }
  };
  const requestRootCheck = (): void => {
    if (closed) return;
    if (checking) {
      checkAgain = true;
      return;
    }
    checking = true;
    lookAtRoot()
      .catch((err: unknown) => logger.error({ err, dir }, 'checking the manifest directory failed'))
      .finally(() => {
        checking = false;
        if (closed) return;
        if (checkAgain) requestRootCheck();
        else scheduleRootCheck();
      });
  };
  const scheduleRootCheck = (): void => {
    if (rootTimer !== undefined) timers.clear(rootTimer);
    const everyMs = points && pointsWatched ? rootCheckMs : Math.min(rootCheckMs, ROOT_POLL_MS);
    rootTimer = timers.set(requestRootCheck, everyMs);
  };
  setUp = true;
  if (checkAgain) requestRootCheck();
  else scheduleRootCheck();

  return {
    close: async () => {
      closed = true;
      if (quietTimer !== undefined) timers.clear(quietTimer);
      if (rootTimer !== undefined) timers.clear(rootTimer);
      points?.close();
      await watcher.close();
    },
  };
}

interface DirIdentity {
  /** The real path chokidar watches: it does not look into a symlinked directory itself. */
  path: string;
  /**
   * Device, inode and birth time: a directory deleted and created again under the same path is another
   * one, even when the file system hands it the freed inode again (ext4 does at once).
   */
  id: string;
}

async function identify(dir: string): Promise<DirIdentity> {
  const path = await realpath(dir);
  const info = await stat(path);
  return { path, id: `${info.dev}:${info.ino}:${info.birthtimeMs}` };
}
