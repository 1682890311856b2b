import { describe, expect, it } from 'vitest';
import type { RunRecord, RunStatus } from '../../src/history/store.js';
import {
  addToSummary,
  createEmptySummary,
  exceedsRetention,
  summarizeRuns,
} from '../../src/history/summary.js';

const runId = (n: number): string => `01JA${String(n).padStart(22, '0')}`;

function buildRun(n: number, status: RunStatus): RunRecord {
  return {
    id: runId(n),
    schedule: 'backup',
    trigger: 'schedule',
    scheduledAt: `2026-03-08T02:${String(n % 60).padStart(2, '0')}:00.000Z`,
    status,
    attempts: [{ attempt: 1, startedAt: '2026-03-08T02:30:00.100Z', outputTail: `tail ${n}` }],
    specHash: 'h1',
  };
}

/** Runs 1…n with the given statuses, oldest first. */
const buildRuns = (statuses: RunStatus[]): RunRecord[] =>
  statuses.map((status, index) => buildRun(index + 1, status));

const kept = (runs: readonly RunRecord[]): string[] =>
  runs.map((run) => `${Number(run.id.slice(4))}:${run.status}`);

describe('history/summary', () => {
  it.each<{ name: string; statuses: RunStatus[]; want: string[] }>([
    { name: 'no runs', statuses: [], want: [] },
    { name: 'one run', statuses: ['succeeded'], want: ['1:succeeded'] },
    {
      name: 'successes only: the oldest and the newest two',
      statuses: Array<RunStatus>(10).fill('succeeded'),
      want: ['1:succeeded', '9:succeeded', '10:succeeded'],
    },
    {
      name: 'the newest two of each status, and every running run',
      statuses: [
        'running',
        'failed',
        'failed',
        'failed',
        'succeeded',
        'skipped',
        'succeeded',
        'succeeded',
        'running',
        'skipped',
        'skipped',
      ],
      want: [
        '1:running',
        '3:failed',
        '4:failed',
        '7:succeeded',
        '8:succeeded',
        '9:running',
        '10:skipped',
        '11:skipped',
      ],
    },
  ])('summarizeRuns keeps $name', ({ statuses, want }) => {
    const summary = summarizeRuns(buildRuns(statuses));
    expect(kept(summary.runs)).toEqual(want);
    expect(summary.total).toBe(statuses.length);
  });

  it('counts every status, names the oldest and newest ids, and drops output tails', () => {
    const summary = summarizeRuns(buildRuns(['failed', 'succeeded', 'succeeded', 'missed']));
    expect(summary).toMatchObject({
      total: 4,
      counts: { failed: 1, succeeded: 2, missed: 1, running: 0, pending: 0 },
      oldestId: runId(1),
      newestId: runId(4),
    });
    expect(summary.runs.every((run) => run.attempts.every((a) => a.outputTail === undefined))).toBe(
      true,
    );
  });

  it('shares nothing mutable with the runs it was built from', () => {
    const runs = buildRuns(['succeeded']);
    const summary = summarizeRuns(runs);
    runs[0]!.attempts[0]!.exitCode = 9;
    expect(summary.runs[0]?.attempts[0]?.exitCode).toBeUndefined();
  });

  it('addToSummary, run after run, gives what summarizeRuns gives for all of them', () => {
    const statuses: RunStatus[] = [
      'succeeded',
      'failed',
      'succeeded',
      'skipped',
      'timedOut',
      'succeeded',
      'missed',
      'failed',
      'succeeded',
      'interrupted',
    ];
    const runs = buildRuns(statuses);
    let summary = createEmptySummary();
    for (const run of runs) summary = addToSummary(summary, run);
    expect(summary).toEqual(summarizeRuns(runs));
  });

  it('addToSummary replaces a run it holds: running, then finished', () => {
    const runs = buildRuns(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const running = buildRun(5, 'running');
    let summary = addToSummary(summarizeRuns(runs), running);
    expect(summary.counts).toMatchObject({ running: 1, succeeded: 4 });
    summary = addToSummary(summary, { ...running, status: 'failed' });
    expect(summary).toEqual(summarizeRuns([...runs, { ...running, status: 'failed' }]));
  });

  it.each([
    { counts: ['succeeded', 'succeeded', 'failed'], limits: [2, 1], exceeds: false },
    { counts: ['succeeded', 'succeeded', 'succeeded'], limits: [2, 1], exceeds: true },
    { counts: ['failed', 'skipped', 'running', 'pending'], limits: [2, 1], exceeds: true },
    { counts: ['failed', 'running', 'pending'], limits: [2, 1], exceeds: false },
  ] as { counts: RunStatus[]; limits: [number, number]; exceeds: boolean }[])(
    'exceedsRetention($counts, $limits) is $exceeds',
    ({ counts, limits, exceeds }) => {
      expect(
        exceedsRetention(summarizeRuns(buildRuns(counts)), {
          successfulRunsLimit: limits[0],
          failedRunsLimit: limits[1],
        }),
      ).toBe(exceeds);
    },
  );
});
