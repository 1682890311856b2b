// The status built a few entries per turn of the event loop: the same document as built at once.
import { describe, expect, it } from 'vitest';
import { mergeNames, type ScheduleInputSources } from '../../src/daemon/status-inputs.js';
import { StatusBuilder, type StatusBuilderOptions } from '../../src/daemon/status-steps.js';
import type { HistorySummary } from '../../src/history/store.js';
import { createEmptySummary, summarizeRuns } from '../../src/history/summary.js';
import type { DesiredSchedule } from '../../src/reconcile/desired.js';
import type { StatusInput } from '../../src/status/snapshot.js';
import { statusJob, statusRun, upcomingFrom } from './status-fixtures.js';

const NOW = new Date('2026-11-22T12:00:00.000Z');
const EMPTY = createEmptySummary();

const FRAME: Omit<StatusInput, 'schedules' | 'now'> = {
  daemon: {
    version: '0.0.0',
    pid: 1,
    startedAt: new Date('2026-11-22T11:00:00.000Z'),
    configDir: '/d',
    stateDir: '/s',
    watchMode: 'off',
    listen: null,
    maxConcurrentRuns: null,
    shuttingDown: false,
  },
  files: [],
  history: { writable: true, pendingWrites: 0, corrupt: [] },
};

/** `count` schedules, every third with runs, every seventh running, every eleventh with a fire waiting. */
function makeState(count: number) {
  const jobs = new Map<string, DesiredSchedule>();
  const summaries = new Map<string, HistorySummary>();
  const running = new Map<string, { runId: string; startedAt: Date; attempt: number }[]>();
  const waiting = new Map<string, number>();
  for (let index = 0; index < count; index += 1) {
    // Not in name order: the builder sorts.
    const name = `job-${String((index * 37) % count).padStart(4, '0')}`;
    jobs.set(name, statusJob(name));
    if (index % 3 === 0)
      summaries.set(name, summarizeRuns([statusRun(`r${index}`, 'succeeded', name)]));
    if (index % 7 === 0)
      running.set(name, [
        { runId: `x${index}`, startedAt: new Date(NOW.getTime() - 5000), attempt: 1 },
      ]);
    if (index % 11 === 0) waiting.set(name, 1);
  }
  const fires = new Map<string, Date[]>();
  const sources: ScheduleInputSources = {
    summary: (name) => summaries.get(name) ?? EMPTY,
    busy: () => new Set([...running.keys(), ...waiting.keys()]),
    running: (name) => running.get(name) ?? [],
    waiting: (name) => waiting.get(name) ?? 0,
    clockWait: () => undefined,
    upcoming: upcomingFrom(fires),
    describe: () => 'At 03:00',
  };
  return { jobs, sources, summaries };
}

/** A builder whose stopwatch moves 1 ms per reading: with sliceMs 0 every check gives the turn back. */
function makeBuilder(
  state: ReturnType<typeof makeState>,
  extra: Partial<StatusBuilderOptions> = {},
): { builder: StatusBuilder; namesVersion: { value: number } } {
  let elapsed = 0;
  const namesVersion = { value: 0 };
  const builder = new StatusBuilder({
    jobs: state.jobs,
    sources: state.sources,
    stopwatch: { elapsedMs: () => (elapsed += 1) },
    namesVersion: () => namesVersion.value,
    frame: (now) => ({ ...FRAME, now }),
    now: () => NOW,
    sliceMs: 0,
    ...extra,
  });
  return { builder, namesVersion };
}

describe('daemon/status-steps', () => {
  it.each([0, 1, 63, 64, 65, 500])(
    'builds the same document in steps as at once (%i schedules)',
    async (count) => {
      const state = makeState(count);
      const { builder: atOnce } = makeBuilder(state);
      const { builder: inSteps } = makeBuilder(state);
      const expected = atOnce.snapshot();
      expect(await inSteps.snapshotInSteps()).toEqual(expected);
      // Twice: the second time from the memo, still the same.
      state.summaries.set('job-0001', summarizeRuns([statusRun('new', 'failed', 'job-0001')]));
      expect(await inSteps.snapshotInSteps()).toEqual(atOnce.snapshot());
    },
  );

  it('gives the turn back between slices, and starts again when names are added meanwhile', async () => {
    const state = makeState(300);
    let turns = 0;
    let added = false;
    const { builder, namesVersion } = makeBuilder(state, {
      yieldTurn: async () => {
        turns += 1;
        if (turns === 2 && !added) {
          added = true;
          state.jobs.set('aaa-new', statusJob('aaa-new'));
          namesVersion.value += 1;
        }
      },
    });
    const snapshot = await builder.snapshotInSteps();
    expect(turns).toBeGreaterThan(4);
    expect(snapshot.schedules.map((s) => s.name)).toEqual([...state.jobs.keys()].sort());
    expect(snapshot.schedules[0]?.name).toBe('aaa-new');
  });

  it.each([
    { previous: [], names: ['b', 'a'], merged: ['a', 'b'] },
    { previous: ['a', 'c'], names: ['c', 'a', 'b'], merged: ['a', 'b', 'c'] },
    { previous: ['a', 'b', 'c'], names: ['c', 'a'], merged: ['a', 'c'] },
    { previous: ['b', 'd'], names: ['e', 'a', 'd', 'c'], merged: ['a', 'c', 'd', 'e'] },
    { previous: ['a'], names: [], merged: [] },
  ])('mergeNames $previous with $names', ({ previous, names, merged }) => {
    expect(mergeNames(previous, new Map(names.map((name) => [name, 1])))).toEqual(merged);
  });
});
