import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import {
  createSnapshotCache,
  prepareBody,
  prepareBodyInSteps,
  stringifyInSteps,
} from '../../src/status/snapshot-cache.js';
import type { StatusSnapshot } from '../../src/status/snapshot.js';

/** A build function that counts its calls; the "snapshot" carries the build number. */
function counter(): { build: () => StatusSnapshot; builds: () => number } {
  let builds = 0;
  return {
    build: () => {
      builds += 1;
      return {
        generatedAt: String(builds),
        schedules: [{ name: `s${builds}` }],
      } as unknown as StatusSnapshot;
    },
    builds: () => builds,
  };
}

describe('status/snapshot-cache', () => {
  it('builds for every call when refreshMs is 0', () => {
    const { build, builds } = counter();
    const cache = createSnapshotCache({ build, clock: new ManualClock('2026-03-10T12:00:00Z') });
    cache.current();
    cache.current();
    expect(builds()).toBe(2);
  });

  it.each([
    // steps: ms to move the clock before each current(), or 'change'; builds: the count after each current()
    { name: 'reused within refreshMs', steps: [0, 500, 499], builds: [1, 1, 1] },
    { name: 'rebuilt after refreshMs', steps: [0, 1000, 1], builds: [1, 2, 2] },
    {
      name: 'a change waits for minRebuildMs',
      steps: [0, 'change', 50, 49, 1],
      builds: [1, 1, 1, 2],
    },
    {
      name: 'a change after minRebuildMs rebuilds at once',
      steps: [0, 300, 'change', 0],
      builds: [1, 1, 2],
    },
    { name: 'a clock step backward rebuilds', steps: [0, -5], builds: [1, 2] },
  ] as { name: string; steps: (number | 'change')[]; builds: number[] }[])(
    '$name',
    ({ steps, builds: want }) => {
      const { build, builds } = counter();
      const clock = new ManualClock('2026-03-10T12:00:00Z');
      const cache = createSnapshotCache({ build, clock, refreshMs: 1000, minRebuildMs: 100 });
      const seen: number[] = [];
      for (const step of steps) {
        if (step === 'change') {
          cache.invalidate();
          continue;
        }
        clock.tick(step);
        cache.current();
        seen.push(builds());
      }
      expect(seen).toEqual(want);
    },
  );

  it('serialises a body once per view and finds schedules by name', () => {
    const { build } = counter();
    const cache = createSnapshotCache({
      build,
      clock: new ManualClock('2026-03-10T12:00:00Z'),
      refreshMs: 1000,
    });
    const view = cache.current();
    let serialised = 0;
    const first = view.prepare('x', (snapshot) => (serialised++, snapshot.schedules));
    const second = view.prepare('x', () => (serialised++, []));
    expect(first).toBe(second);
    expect(serialised).toBe(1);
    expect(first.json.toString()).toBe('[{"name":"s1"}]');
    expect(view.findSchedule('s1')).toEqual({ name: 's1' });
    expect(view.findSchedule('s2')).toBeUndefined();
  });

  it('gzips on demand, once', () => {
    const body = prepareBody({ text: 'cronops '.repeat(1000) });
    const zipped = body.gzip();
    expect(body.gzip()).toBe(zipped);
    expect(zipped.length).toBeLessThan(body.json.length / 10);
    expect(gunzipSync(zipped).equals(body.json)).toBe(true);
  });

  it.each([
    {
      name: 'an array of 120 items',
      value: Array.from({ length: 120 }, (_, i) => ({ i, s: `"${i}"\n` })),
    },
    { name: 'an empty array', value: [] },
    { name: 'undefined items', value: [1, undefined, () => 2] },
    {
      name: 'a status-like object',
      value: {
        statusFormat: 1,
        schedules: Array.from({ length: 75 }, (_, i) => ({ name: `s${i}` })),
        after: 'x',
      },
    },
    { name: 'an object without schedules', value: { a: [1, 2], b: null } },
    { name: 'a string', value: 'text' },
  ])("stringifyInSteps gives JSON.stringify's output for $name", async ({ value }) => {
    expect(await stringifyInSteps(value)).toBe(JSON.stringify(value));
    const body = await prepareBodyInSteps(value);
    expect(body.json.toString('utf8')).toBe(JSON.stringify(value));
    expect(gunzipSync(body.gzip()).equals(body.json)).toBe(true);
  });

  it("serves the previous body while a new view's body is prepared in the background", async () => {
    const { build } = counter();
    const clock = new ManualClock('2026-03-10T12:00:00Z');
    const cache = createSnapshotCache({ build, clock, refreshMs: 1000 });
    const first = cache.current().prepare('s', (snapshot) => snapshot.schedules);
    expect(first.json.toString()).toBe('[{"name":"s1"}]');
    clock.tick(1000);
    const view = cache.current();
    // The new view's body is not ready yet: the previous one is served meanwhile.
    expect(view.prepare('s', (snapshot) => snapshot.schedules)).toBe(first);
    await new Promise<void>((resolve) => {
      const poll = (): void => {
        if (view.prepare('s', (snapshot) => snapshot.schedules) !== first) resolve();
        else setImmediate(poll);
      };
      poll();
    });
    expect(view.prepare('s', (snapshot) => snapshot.schedules).json.toString()).toBe(
      '[{"name":"s2"}]',
    );
    // A body older than refreshMs is not served: after a quiet spell the next view serialises at once.
    clock.tick(5000);
    expect(
      cache
        .current()
        .prepare('s', (snapshot) => snapshot.schedules)
        .json.toString(),
    ).toBe('[{"name":"s3"}]');
  });
});
