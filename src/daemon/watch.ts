// Watching the manifest directory: any change only means "look again", after the directory goes quiet.
import { basename, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { isManifestFileName } from '../manifest/load.js';

/** auto: native events (inotify); poll: stat polling for file systems without them; off: SIGHUP only. */
export type WatchMode = 'auto' | 'poll' | 'off';

export interface ConfigWatcher {
  close(): Promise<void>;
}

export interface WatchOptions {
  dir: string;
  mode: Exclude<WatchMode, 'off'>;
  logger: Logger;
  /** Called once per quiet batch of changes with a short reason for the logs. */
  onChange: (reason: string) => void;
  /**
   * Quiet time that ends a batch: chokidar passes the first `change` of a burst and drops the next ones
   * for 50 ms, so a file written in two parts must be given time to settle. @default 250
   */
  quietMs?: number;
  /** A steady trickle of events still applies after this long. @default 2000 */
  maxDelayMs?: number;
  /** Polling interval in poll mode. @default 500 */
  pollIntervalMs?: number;
}

/**
 * True for paths the watcher should not even look at. Kubernetes ConfigMap volumes keep the real files
 * in a timestamped `..2026_…` directory behind a `..data` symlink: only `..data` is watched (its swap is
 * the one event that matters), the rest of the dot entries are ignored, and so are editor leftovers.
 */
export function isIgnoredPath(dir: string, path: string, isFile: boolean | undefined): boolean {
  const rel = relative(dir, path);
  if (rel === '') return false;
  if (rel.split(sep).length > 1) return true; // nothing below the top level
  const name = basename(path);
  if (name === '..data') return false;
  if (name.startsWith('.')) return true;
  if (isFile === true) return !isManifestFileName(name);
  return false;
}

export async function watchConfigDir(options: WatchOptions): Promise<ConfigWatcher> {
  const quietMs = options.quietMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  let quietTimer: NodeJS.Timeout | undefined;
  let batchStarted: number | undefined;
  let events = 0;
  const flush = (): void => {
    if (quietTimer) clearTimeout(quietTimer);
    quietTimer = undefined;
    batchStarted = undefined;
    const count = events;
    events = 0;
    options.onChange(`watch (${count} event${count === 1 ? '' : 's'})`);
  };
  const onEvent = (event: string, path: string): void => {
    options.logger.debug({ event, path }, 'manifest directory changed');
    events += 1;
    const now = Date.now();
    batchStarted ??= now;
    if (quietTimer) clearTimeout(quietTimer);
    const wait = Math.min(quietMs, Math.max(0, batchStarted + maxDelayMs - now));
    quietTimer = setTimeout(flush, wait);
  };
  const watcher: FSWatcher = watch(options.dir, {
    ignoreInitial: true,
    followSymlinks: false,
    depth: 0,
    usePolling: options.mode === 'poll',
    interval: options.pollIntervalMs ?? 500,
    binaryInterval: options.pollIntervalMs ?? 500,
    ignored: (path, stats) => isIgnoredPath(options.dir, path, stats ? stats.isFile() || stats.isSymbolicLink() : undefined),
  });
  watcher.on('all', onEvent);
  watcher.on('error', (err) => options.logger.error({ err, dir: options.dir }, 'watching the manifest directory failed'));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    close: async () => {
      if (quietTimer) clearTimeout(quietTimer);
      await watcher.close();
    },
  };
}
