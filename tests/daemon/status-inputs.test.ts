// The status input's schedules: sorted by name, and an entry reused exactly while nothing it shows changed.
import { describe, expect, it } from 'vitest';
import { ScheduleInputs, type ScheduleInputSources } from '../../src/daemon/status-inputs.js';
import type { HistorySummary, RunRecord } from '../../src/history/store.js';
import { createEmptySummary, summarizeRuns } from '../../src/history/summary.js';
import type { DesiredSchedule } from '../../src/reconcile/desired.js';
import { statusJob, statusRun, upcomingFrom } from './status-fixtures.js';

const NOW = new Date('2026-11-22T12:00:00.000Z');
const EMPTY = createEmptySummary();

/** Sources over plain maps the test changes; a summary is a new object whenever the runs changed. */
function makeSources() {
  const summaries = new Map<string, HistorySummary>();
  const runs = {
    get: (name: string) => summaries.get(name)?.runs,
    set: (name: string, list: RunRecord[]) => void summaries.set(name, summarizeRuns(list)),
  };
  const running = new Map<string, { runId: string; startedAt: Date; attempt: number }[]>();
  const waiting = new Map<string, number>();
  const fires = new Map<string, Date[]>();
  const clockWaits = new Map<string, Date>();
  const asked: string[] = [];
  const sources: ScheduleInputSources = {
    summary: (name) => summaries.get(name) ?? EMPTY,
    busy: () => new Set([...running.keys(), ...waiting.keys()]),
    running: (name) => {
      asked.push(`running ${name}`);
      return running.get(name) ?? [];
    },
    waiting: (name) => {
      asked.push(`waiting ${name}`);
      return waiting.get(name) ?? 0;
    },
    clockWait: (name) => clockWaits.get(name),
    upcoming: upcomingFrom(fires),
    describe: () => 'At 03:00',
  };
  return { sources, runs, running, waiting, fires, clockWaits, asked };
}

describe('daemon/status-inputs', () => {
  it('builds an entry again when a schedule starts or stops waiting out a clock step back', () => {
    const { sources, clockWaits } = makeSources();
    const jobs = new Map([['a', statusJob('a')]]);
    const inputs = new ScheduleInputs();
    const first = inputs.build(jobs, sources, NOW);
    expect(first[0]?.clockWaitUntil).toBeUndefined();
    clockWaits.set('a', new Date('2026-03-02T03:00:00Z'));
    const waiting = inputs.build(jobs, sources, NOW);
    expect(waiting[0]).not.toBe(first[0]);
    expect(waiting[0]?.clockWaitUntil).toEqual(new Date('2026-03-02T03:00:00Z'));
    clockWaits.delete('a');
    expect(inputs.build(jobs, sources, NOW)[0]?.clockWaitUntil).toBeUndefined();
  });

  it('gives the entries sorted by name, and the same entry objects while nothing changed', () => {
    const { sources, asked } = makeSources();
    const jobs = new Map([
      ['b', statusJob('b')],
      ['a', statusJob('a')],
    ]);
    const inputs = new ScheduleInputs();
    const first = inputs.build(jobs, sources, NOW);
    expect(first.map((entry) => entry.name)).toEqual(['a', 'b']);
    expect(first[0]).toMatchObject({
      name: 'a',
      file: '/d/a.yaml',
      humanSchedule: 'At 03:00',
      specHash: 'h1',
      running: [],
      queued: 0,
      runs: [],
    });
    const second = inputs.build(jobs, sources, NOW);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).toBe(first[1]);
    // Schedules with nothing running or waiting are not asked about either.
    expect(asked).toEqual([]);
  });

  it.each([
    {
      change: 'the job replaced (a reload)',
      apply: (_: ReturnType<typeof makeSources>, jobs: Map<string, DesiredSchedule>) =>
        void jobs.set('a', statusJob('a', 'h2')),
    },
    {
      change: 'a run recorded',
      apply: (s: ReturnType<typeof makeSources>) =>
        s.runs.set('a', [...(s.runs.get('a') ?? []), statusRun('02')]),
    },
    {
      change: 'the newest record replaced (a run finished)',
      apply: (s: ReturnType<typeof makeSources>) => s.runs.set('a', [statusRun('01', 'failed')]),
    },
    {
      change: 'the next instants moved on',
      apply: (s: ReturnType<typeof makeSources>) =>
        void s.fires.set('a', [new Date('2026-11-24T03:00:00.000Z')]),
    },
    {
      change: 'a fire waiting',
      apply: (s: ReturnType<typeof makeSources>) => void s.waiting.set('a', 1),
    },
  ])('builds an entry again when $change', ({ apply }) => {
    const s = makeSources();
    s.runs.set('a', [statusRun('01', 'running')]);
    const jobs = new Map([
      ['a', statusJob('a')],
      ['b', statusJob('b')],
    ]);
    const inputs = new ScheduleInputs();
    const before = inputs.build(jobs, s.sources, NOW);
    apply(s, jobs);
    const after = inputs.build(jobs, s.sources, NOW);
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).toBe(before[1]);
  });

  it('builds the entry of a running schedule every time, and follows names added and removed', () => {
    const s = makeSources();
    s.running.set('a', [{ runId: 'r1', startedAt: NOW, attempt: 1 }]);
    const jobs = new Map([['a', statusJob('a')]]);
    const inputs = new ScheduleInputs();
    const first = inputs.build(jobs, s.sources, NOW);
    const second = inputs.build(jobs, s.sources, NOW);
    expect(second[0]).not.toBe(first[0]);
    expect(second[0]?.running).toEqual([{ runId: 'r1', startedAt: NOW, attempt: 1 }]);
    expect(s.asked).toEqual(['running a', 'waiting a', 'running a', 'waiting a']);
    s.running.clear();
    jobs.set('0-first', statusJob('0-first'));
    const third = inputs.build(jobs, s.sources, NOW);
    expect(third.map((entry) => entry.name)).toEqual(['0-first', 'a']);
    jobs.delete('a');
    jobs.set('b', statusJob('b', 'h1', { suspend: true }));
    const fourth = inputs.build(jobs, s.sources, NOW);
    expect(fourth.map((entry) => entry.name)).toEqual(['0-first', 'b']);
    expect(fourth[0]).toBe(third[0]);
    expect(fourth[1]).toMatchObject({ suspended: true, nextFires: [] });
  });

  it('with a names version, looks the names over only when the version changed', () => {
    const s = makeSources();
    /** A map that counts the lookups of its names. */
    class CountingMap extends Map<string, DesiredSchedule> {
      lookups = 0;
      override has(name: string): boolean {
        this.lookups += 1;
        return super.has(name);
      }
    }
    const jobs = new CountingMap([
      ['b', statusJob('b')],
      ['a', statusJob('a')],
    ]);
    const inputs = new ScheduleInputs();
    const first = inputs.order(jobs, 1);
    expect(first).toEqual(['a', 'b']);
    jobs.lookups = 0;
    expect(inputs.order(jobs, 1)).toBe(first);
    expect(inputs.build(jobs, s.sources, NOW, 1).map((entry) => entry.name)).toEqual(['a', 'b']);
    expect(jobs.lookups).toBe(0);
    // The same names at a new version: looked over once, the same order kept.
    expect(inputs.order(jobs, 2)).toBe(first);
    expect(jobs.lookups).toBe(2);
    jobs.set('0', statusJob('0'));
    expect(inputs.order(jobs, 3)).toEqual(['0', 'a', 'b']);
    // Without a version every call looks.
    jobs.lookups = 0;
    inputs.order(jobs);
    inputs.order(jobs);
    expect(jobs.lookups).toBe(6);
  });
});
