// Which directories are watched for the manifest directory's path to lead elsewhere (real directories).
import { mkdir, mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findWatchPoints } from '../../src/daemon/watch-root.js';

const roots: string[] = [];

afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** A fresh directory (by its real path) with `layout` made in it: a name ending in `/` is a directory, `a -> b` a symlink. */
async function makeTree(layout: string[]): Promise<string> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'cronops-watch-root-')));
  roots.push(root);
  for (const entry of layout) {
    const [path = '', target] = entry.split(' -> ');
    if (target === undefined) await mkdir(join(root, path), { recursive: true });
    else await symlink(target, join(root, path));
  }
  return root;
}

/** The points as sorted `dir: names`, with the tree's root written `R`. */
function listed(points: Map<string, Set<string>>, root: string): string[] {
  return [...points]
    .filter(([parent]) => parent === root || parent.startsWith(`${root}/`))
    .map(([parent, names]) => `${parent.replace(root, 'R')}: ${[...names].sort().join(', ')}`)
    .sort();
}

describe('daemon/watch-root', () => {
  it.each([
    { layout: ['cfg/'], dir: 'cfg', points: ['R: cfg'] },
    {
      layout: ['.worktrees/one/schedules.d/', 'current -> .worktrees/one'],
      dir: 'current/schedules.d',
      points: ['R/.worktrees/one: schedules.d', 'R: current'],
    },
    {
      layout: ['.worktrees/one/', 'current -> .worktrees/one'],
      dir: 'current',
      points: ['R/.worktrees: one', 'R: current'],
    },
    {
      layout: ['a/b/', 'a/link -> ../x', 'x -> a/b'],
      dir: 'a/link',
      points: ['R/a: b, link', 'R: x'],
    },
    { layout: ['a/'], dir: 'a/missing/schedules.d', points: ['R/a: missing'] },
  ])(
    '$dir in $layout is watched where its entries live: $points',
    async ({ layout, dir, points }) => {
      const root = await makeTree(layout);
      expect(listed(await findWatchPoints(join(root, dir)), root)).toEqual(points);
    },
  );
});
