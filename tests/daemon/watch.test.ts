// The manifest directory watcher alone (real chokidar on real directories, a fake onChange).
import type { Stats } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isIgnoredPath,
  watchConfigDir,
  type ConfigWatcher,
  type WatchBatch,
  type WatchOptions,
} from '../../src/daemon/watch.js';
import type { TimerHandle, Timers } from '../../src/runtime/timers.js';
import { ManualClock } from '../../src/shared/clock.js';

const logger = pino({ level: 'silent' });
const roots: string[] = [];
const watchers: ConfigWatcher[] = [];

afterEach(async () => {
  for (const watcher of watchers.splice(0)) await watcher.close();
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function makeDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cronops-watch-'));
  roots.push(dir);
  return dir;
}

/** Batches as they arrive, and a bounded wait for the next one. */
async function watchBatches(dir: string, options: Partial<WatchOptions> = {}) {
  const received: WatchBatch[] = [];
  const waiting: ((batch: WatchBatch) => void)[] = [];
  const watcher = await watchConfigDir({
    dir,
    mode: 'auto',
    logger,
    ...options,
    onChange: (batch) => {
      const waiter = waiting.shift();
      if (waiter) waiter(batch);
      else received.push(batch);
    },
  });
  watchers.push(watcher);
  const next = (timeoutMs = 5_000): Promise<WatchBatch> => {
    const ready = received.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const waiter = (batch: WatchBatch): void => {
        clearTimeout(timer);
        resolve(batch);
      };
      const timer = setTimeout(() => {
        // Gone from the queue: a batch arriving later is kept for the next call.
        waiting.splice(waiting.indexOf(waiter), 1);
        reject(new Error(`no batch within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.push(waiter);
    });
  };
  return { next, watcher };
}

/**
 * Write a new manifest into `dir` until a batch names one (the directory may not be watched again yet when
 * the first is written): true once one is seen, false after about 5 s.
 */
async function writeUntilSeen(
  dir: string,
  next: (timeoutMs?: number) => Promise<WatchBatch>,
): Promise<boolean> {
  for (let i = 0; i < 10; i += 1) {
    const name = `probe-${i}.yaml`;
    await writeFile(join(dir, name), 'v: 1\n');
    const deadline = Date.now() + 500;
    for (;;) {
      const batch = await next(Math.max(1, deadline - Date.now())).catch(() => undefined);
      if (batch === undefined) break;
      if (batch.names.some((n) => n.startsWith('probe-'))) return true;
    }
  }
  return false;
}

const fileStats = { isDirectory: () => false } as Stats;
const dirStats = { isDirectory: () => true } as Stats;

describe('daemon/watch', () => {
  it.each([
    { path: '/cfg', stats: dirStats, ignored: false },
    { path: '/', stats: dirStats, ignored: false },
    { path: '/cfg/a.yaml', stats: fileStats, ignored: false },
    { path: '/cfg/a.yml', stats: undefined, ignored: false },
    { path: '/cfg/..data', stats: undefined, ignored: false },
    { path: '/cfg/..2026_11_22_12_00_00.1234', stats: dirStats, ignored: true },
    { path: '/cfg/..2026_11_22_12_00_00.1234/a.yaml', stats: fileStats, ignored: true },
    { path: '/cfg/..data/a.yaml', stats: fileStats, ignored: true },
    { path: '/cfg/..data_tmp', stats: undefined, ignored: true },
    { path: '/cfg/.git', stats: dirStats, ignored: true },
    { path: '/cfg/.a.yaml.swp', stats: fileStats, ignored: true },
    { path: '/cfg/a.yaml~', stats: fileStats, ignored: true },
    { path: '/cfg/4913', stats: undefined, ignored: true },
    { path: '/cfg/a.yaml.tmp', stats: fileStats, ignored: true },
    { path: '/cfg/README.md', stats: fileStats, ignored: true },
    { path: '/cfg/sub', stats: dirStats, ignored: true },
    { path: '/cfg/sub/a.yaml', stats: fileStats, ignored: true },
    { path: '/cfg/dir.yaml', stats: dirStats, ignored: true },
  ])('isIgnoredPath($path) is $ignored', ({ path, stats, ignored }) => {
    expect(isIgnoredPath('/cfg', path, stats)).toBe(ignored);
  });

  it('an editor save (temp file, then rename over the file) is one batch naming the file', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), 'v: 1\n');
    const { next } = await watchBatches(dir);
    await writeFile(join(dir, 'a.yaml.tmp1234'), 'v: 2\n');
    await rename(join(dir, 'a.yaml.tmp1234'), join(dir, 'a.yaml'));
    expect(await next()).toMatchObject({ names: ['a.yaml'], rescan: false });
  });

  it('vim litter (.swp, the 4913 probe, the ~ backup) is not even an event; the save is', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), 'v: 1\n');
    const { next } = await watchBatches(dir);
    await writeFile(join(dir, '.a.yaml.swp'), 'swap');
    await writeFile(join(dir, '4913'), '');
    await unlink(join(dir, '4913'));
    await rename(join(dir, 'a.yaml'), join(dir, 'a.yaml~'));
    await writeFile(join(dir, 'a.yaml'), 'v: 2\n');
    await unlink(join(dir, 'a.yaml~'));
    await unlink(join(dir, '.a.yaml.swp'));
    const batch = await next();
    expect(batch.names).toEqual(['a.yaml']);
    expect(batch.rescan).toBe(false);
  });

  it('a git checkout rewriting 50 files is one batch; .git and subdirectories are ignored', async () => {
    const dir = await makeDir();
    const files = Array.from({ length: 50 }, (_, i) => `f${String(i).padStart(2, '0')}.yaml`);
    for (const file of files) await writeFile(join(dir, file), 'v: 1\n');
    await mkdir(join(dir, '.git'));
    const { next } = await watchBatches(dir);
    await writeFile(join(dir, '.git', 'index.lock'), 'lock');
    await Promise.all(files.map((file) => writeFile(join(dir, file), 'v: 2\n')));
    await rename(join(dir, '.git', 'index.lock'), join(dir, '.git', 'index'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'x.yaml'), 'v: 1\n');
    const batch = await next();
    expect(batch.names).toEqual(files);
    expect(batch.events).toBe(50);
    // Nothing else follows: the next batch is the sentinel's alone.
    await writeFile(join(dir, 'sentinel.yaml'), 'v: 1\n');
    expect((await next()).names).toEqual(['sentinel.yaml']);
  });

  it.each([
    { variant: 'the old version directory deleted', keepOld: false },
    { variant: 'the old version directory kept (git-sync style)', keepOld: true },
  ])(
    'a ConfigMap ..data swap ($variant) is one batch that asks for a rescan',
    async ({ keepOld }) => {
      const dir = await makeDir();
      const v1 = '..2026_11_22_12_00_00.1234';
      const v2 = '..2026_11_22_12_05_00.5678';
      await mkdir(join(dir, v1));
      await writeFile(join(dir, v1, 'a.yaml'), 'v: 1\n');
      await symlink(v1, join(dir, '..data'));
      await symlink('..data/a.yaml', join(dir, 'a.yaml'));
      const { next } = await watchBatches(dir);
      await mkdir(join(dir, v2));
      await writeFile(join(dir, v2, 'a.yaml'), 'v: 2\n');
      await symlink(v2, join(dir, '..data_tmp'));
      await rename(join(dir, '..data_tmp'), join(dir, '..data'));
      if (!keepOld) await rm(join(dir, v1), { recursive: true });
      const batch = await next();
      expect(batch.rescan).toBe(true);
      expect(batch.names).toContain('..data');
      expect(batch.names.every((name) => name === '..data' || name === 'a.yaml')).toBe(true);
      await writeFile(join(dir, 'sentinel.yaml'), 'v: 1\n');
      expect(await next()).toMatchObject({ names: ['sentinel.yaml'], rescan: false });
    },
  );

  it('symlinks found by the first scan are not reported as changes', async () => {
    const dir = await makeDir();
    await mkdir(join(dir, '..2026_11_22_12_00_00.1234'));
    await writeFile(join(dir, '..2026_11_22_12_00_00.1234', 'a.yaml'), 'v: 1\n');
    await symlink('..2026_11_22_12_00_00.1234', join(dir, '..data'));
    await symlink('..data/a.yaml', join(dir, 'a.yaml'));
    const { next } = await watchBatches(dir);
    // Renamed into place whole: a plain write can be seen as add + change on a busy machine.
    await writeFile(join(dir, '.sentinel.yaml.tmp'), 'v: 1\n');
    await rename(join(dir, '.sentinel.yaml.tmp'), join(dir, 'sentinel.yaml'));
    expect(await next()).toMatchObject({ names: ['sentinel.yaml'], events: 1, rescan: false });
  });

  it('poll mode sees an edit', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), 'v: 1\n');
    const { next } = await watchBatches(dir, { mode: 'poll', pollIntervalMs: 50 });
    await writeFile(join(dir, 'a.yaml'), 'v: 22\n');
    expect((await next()).names).toEqual(['a.yaml']);
  });

  it('a symlinked directory pointed elsewhere (git-sync) is watched again and rescanned', async () => {
    const root = await makeDir();
    await mkdir(join(root, '.worktrees', 'one'), { recursive: true });
    await writeFile(join(root, '.worktrees', 'one', 'a.yaml'), 'v: 1\n');
    await symlink('.worktrees/one', join(root, 'current'));
    const dir = join(root, 'current');
    const { next } = await watchBatches(dir, { rootCheckMs: 50 });
    await writeFile(join(dir, 'a.yaml'), 'v: 2\n');
    expect((await next()).names).toEqual(['a.yaml']);
    await mkdir(join(root, '.worktrees', 'two'));
    await writeFile(join(root, '.worktrees', 'two', 'a.yaml'), 'v: 3\n');
    await symlink('.worktrees/two', join(root, 'current-tmp'));
    await rename(join(root, 'current-tmp'), join(root, 'current'));
    await rm(join(root, '.worktrees', 'one'), { recursive: true });
    let batch = await next();
    while (!batch.rescan) batch = await next();
    // The new directory is watched: an edit in it arrives.
    await writeFile(join(dir, 'b.yaml'), 'v: 1\n');
    batch = await next();
    while (!batch.names.includes('b.yaml')) batch = await next();
    expect(batch.names).toEqual(['b.yaml']);
  });

  it('without polling: a symlinked directory pointed elsewhere is seen through an event where the link lives', async () => {
    const root = await makeDir();
    await mkdir(join(root, '.worktrees', 'one'), { recursive: true });
    await symlink('.worktrees/one', join(root, 'current'));
    const dir = join(root, 'current');
    // An hour between looks: only the event on `root` can make this one.
    const { next } = await watchBatches(dir, { rootCheckMs: 3_600_000 });
    await mkdir(join(root, '.worktrees', 'two'));
    await writeFile(join(root, '.worktrees', 'two', 'a.yaml'), 'v: 1\n');
    await symlink('.worktrees/two', join(root, 'current-tmp'));
    await rename(join(root, 'current-tmp'), join(root, 'current'));
    expect(await next()).toMatchObject({
      rescan: true,
      reason: 'watch (1 event: directory replaced)',
    });
    // The new target's own directory is watched too: deleted and created again, it is seen.
    await rm(join(root, '.worktrees', 'two'), { recursive: true });
    await mkdir(join(root, '.worktrees', 'two'));
    expect(await writeUntilSeen(dir, next)).toBe(true);
  });

  it('without polling: the directory deleted and created again is watched again', async () => {
    const root = await makeDir();
    const dir = join(root, 'schedules.d');
    await mkdir(dir);
    const { next } = await watchBatches(dir, { rootCheckMs: 3_600_000 });
    await rm(dir, { recursive: true });
    await mkdir(dir);
    expect(await writeUntilSeen(dir, next)).toBe(true);
  });

  it('a batch ends after quietMs without events, and at most maxDelayMs after its first event', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), 'v: 1\n');
    await writeFile(join(dir, 'b.yaml'), 'v: 1\n');
    const clock = new ManualClock('2026-11-22T12:00:00.000Z');
    const timers = new FakeTimers();
    const batches: WatchBatch[] = [];
    const watcher = await watchConfigDir({
      dir,
      mode: 'auto',
      logger,
      onChange: (batch) => batches.push(batch),
      quietMs: 200,
      maxDelayMs: 2000,
      rootCheckMs: 3_600_000,
      clock,
      timers,
    });
    watchers.push(watcher);
    const first = timers.nextSet((ms) => ms !== 3_600_000);
    await writeFile(join(dir, 'a.yaml'), 'v: 2\n');
    expect((await first).ms).toBe(200);
    clock.tick(1900);
    const second = timers.nextSet((ms) => ms !== 3_600_000);
    await writeFile(join(dir, 'b.yaml'), 'v: 2\n');
    const capped = await second;
    expect(capped.ms).toBe(100);
    expect(batches).toEqual([]);
    capped.callback();
    expect(batches).toEqual([
      {
        reason: 'watch (2 events: a.yaml, b.yaml)',
        events: 2,
        names: ['a.yaml', 'b.yaml'],
        rescan: false,
      },
    ]);
  });
});

/** Timers that never fire on their own: the test reads the delays asked for and runs callbacks itself. */
class FakeTimers implements Timers {
  #waiters: {
    accept: (ms: number) => boolean;
    resolve: (set: { ms: number; callback: () => void }) => void;
  }[] = [];

  set(callback: () => void, ms: number): TimerHandle {
    const index = this.#waiters.findIndex((w) => w.accept(ms));
    if (index >= 0) {
      const [waiter] = this.#waiters.splice(index, 1);
      waiter?.resolve({ ms, callback });
    }
    return { ms };
  }

  every(): never {
    throw new Error('the watcher never repeats a timer');
  }

  clear(): void {}

  immediate(callback: () => void): TimerHandle {
    return this.set(callback, 0);
  }

  /** The next `set` whose delay `accept` takes. */
  nextSet(accept: (ms: number) => boolean): Promise<{ ms: number; callback: () => void }> {
    return new Promise((resolve) => this.#waiters.push({ accept, resolve }));
  }
}
