// Watching the manifest directory: batches of changed names, handed over once the directory goes quiet.
import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { isManifestFileName } from '../manifest/file-names.js';
import { systemTimers, type TimerHandle, type Timers } from '../runtime/timers.js';
import { systemClock, type Clock } from '../shared/clock.js';

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
  /** How often to check whether the directory path now leads to another directory. @default 1000 */
  rootCheckMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default systemTimers */
  timers?: Timers;
}

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
 * themselves); the directory is watched by its real path, which is checked every `rootCheckMs` so that a
 * symlinked directory that is pointed elsewhere is watched again.
 */
export async function watchConfigDir(options: WatchOptions): Promise<ConfigWatcher> {
  const { dir, logger } = options;
  const quietMs = options.quietMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const rootCheckMs = options.rootCheckMs ?? 1000;
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

  let root = await identify(dir);
  let watcher = await start(root.path);
  let rootMissing = false;

  /** A symlinked directory pointed elsewhere (git-sync), or the directory deleted and created again. */
  const checkRoot = async (): Promise<void> => {
    let now: DirIdentity;
    try {
      now = await identify(dir);
    } catch (err) {
      if (!rootMissing)
        logger.warn({ err, dir }, 'the manifest directory is gone; keeping the running schedules');
      rootMissing = true;
      return;
    }
    rootMissing = false;
    if (closed || (now.path === root.path && now.id === root.id)) return;
    logger.info(
      { dir, from: root.path, to: now.path },
      'the manifest directory was replaced; watching the new one',
    );
    await watcher.close();
    root = now;
    watcher = await start(root.path);
    if (closed) {
      await watcher.close();
      return;
    }
    note(undefined, true, 'directory replaced');
  };
  const scheduleRootCheck = (): void => {
    rootTimer = timers.set(() => {
      checkRoot()
        .catch((err: unknown) =>
          logger.error({ err, dir }, 'checking the manifest directory failed'),
        )
        .finally(() => {
          if (!closed) scheduleRootCheck();
        });
    }, rootCheckMs);
  };
  scheduleRootCheck();

  return {
    close: async () => {
      closed = true;
      if (quietTimer !== undefined) timers.clear(quietTimer);
      if (rootTimer !== undefined) timers.clear(rootTimer);
      await watcher.close();
    },
  };
}

interface DirIdentity {
  /** The real path chokidar watches: it does not look into a symlinked directory itself. */
  path: string;
  /** Device and inode: a directory deleted and created again under the same path is another one. */
  id: string;
}

async function identify(dir: string): Promise<DirIdentity> {
  const path = await realpath(dir);
  const info = await stat(path);
  return { path, id: `${info.dev}:${info.ino}` };
}
