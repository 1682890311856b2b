// Where the manifest directory's path can be re-pointed: the directories whose entries decide where it leads,
// watched (inotify) so that a swapped symlink or a replaced directory is looked at without polling the path.
import { watch, type FSWatcher } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, parse, resolve, sep } from 'node:path';

/** Directories to watch, each with the entries in it that lead to the manifest directory. */
export type WatchPoints = Map<string, Set<string>>;

/** Symlinks followed before giving up, as the kernel does (ELOOP). */
const MAX_LINKS = 40;

/**
 * The directories whose entries decide where `dir` leads, found the way realpath resolves it: the one
 * holding each symlink followed on the way (git-sync re-points `current` there), and the one holding the
 * directory itself (deleted and created again). When an entry on the way is missing, the directory that
 * would hold it (its creation is what to look for). Renaming a directory further up is not covered here.
 */
export async function findWatchPoints(dir: string): Promise<WatchPoints> {
  const points: WatchPoints = new Map();
  const add = (parent: string, name: string): void => {
    const names = points.get(parent) ?? new Set<string>();
    names.add(name);
    points.set(parent, names);
  };
  let rest = resolve(dir).split(sep);
  let current = parse(resolve(dir)).root;
  let links = 0;
  while (rest.length > 0) {
    const [name = '', ...after] = rest;
    rest = after;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      current = dirname(current);
      continue;
    }
    const path = join(current, name);
    let target: string | undefined;
    try {
      target = (await lstat(path)).isSymbolicLink() ? await readlink(path) : undefined;
    } catch {
      add(current, name);
      return points;
    }
    if (target === undefined) {
      current = path;
      continue;
    }
    add(current, name);
    links += 1;
    if (links > MAX_LINKS) return points;
    rest = [...target.split(sep), ...rest];
    if (isAbsolute(target)) current = parse(target).root;
  }
  if (dirname(current) !== current) add(dirname(current), basename(current));
  return points;
}

/** fs.watch on each point; `refresh` finds the points again and watches them anew. */
export interface PathWatch {
  /** Find the points and watch them; resolves false when one of them could not be watched. */
  refresh(): Promise<boolean>;
  close(): void;
}

/**
 * Watch the points of `dir`: `onChange` is called when an entry that leads to it is created, deleted or
 * renamed (or a watched directory itself is), and whenever the kernel names no entry. Events for the other
 * entries of those directories are dropped at once. `onError`: a watch failed after it was set up (events
 * may be missed until the next refresh).
 */
export function watchPathPoints(
  dir: string,
  handlers: { onChange: () => void; onError: (err: unknown) => void },
): PathWatch {
  let watchers: FSWatcher[] = [];
  let closed = false;
  const unwatch = (): void => {
    for (const watcher of watchers) watcher.close();
    watchers = [];
  };
  return {
    refresh: async () => {
      const points = await findWatchPoints(dir);
      unwatch();
      if (closed) return true;
      let ok = true;
      for (const [parent, names] of points) {
        const self = basename(parent);
        try {
          const watcher = watch(parent, { persistent: false }, (_event, filename) => {
            if (filename === null || names.has(filename) || filename === self) handlers.onChange();
          });
          watcher.on('error', handlers.onError);
          watchers.push(watcher);
        } catch {
          ok = false;
        }
      }
      return ok;
    },
    close: () => {
      closed = true;
      unwatch();
    },
  };
}
