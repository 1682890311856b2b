import { describe, expect, it } from 'vitest';
import { matchesRunQuery, selectRuns } from '../../src/history/query.js';
import type { RunQuery, RunRecord, RunStatus } from '../../src/history/store.js';

function buildRun(id: string, schedule: string, status: RunStatus, scheduledAt: string): RunRecord {
  return { id, schedule, trigger: 'schedule', scheduledAt, status, attempts: [], specHash: 'h1' };
}

// Ids sort by creation; each shard is oldest first, as the store keeps them.
const SHARDS = new Map<string, RunRecord[]>([
  [
    'backup',
    [
      buildRun('01A', 'backup', 'succeeded', '2026-03-01T02:30:00.000Z'),
      buildRun('01C', 'backup', 'failed', '2026-03-02T02:30:00.000Z'),
      buildRun('01E', 'backup', 'succeeded', '2026-03-03T02:30:00.000Z'),
    ],
  ],
  [
    'sync',
    [
      buildRun('01B', 'sync', 'timedOut', '2026-03-01T12:00:00.000Z'),
      buildRun('01D', 'sync', 'succeeded', '2026-03-02T12:00:00.000Z'),
      buildRun('01F', 'sync', 'running', '2026-03-03T12:00:00.000Z'),
    ],
  ],
  ['empty', []],
]);

describe('history/query', () => {
  it.each<{ name: string; query: RunQuery; ids: string[] }>([
    {
      name: 'everything, newest first across schedules',
      query: {},
      ids: ['01F', '01E', '01D', '01C', '01B', '01A'],
    },
    { name: 'one schedule', query: { schedule: 'sync' }, ids: ['01F', '01D', '01B'] },
    { name: 'an unknown schedule', query: { schedule: 'nope' }, ids: [] },
    {
      name: 'a list of schedules',
      query: { schedules: ['sync', 'nope', 'empty'], limit: 2 },
      ids: ['01F', '01D'],
    },
    {
      name: 'schedule and schedules both apply',
      query: { schedule: 'sync', schedules: ['backup'] },
      ids: [],
    },
    { name: 'an empty list of schedules', query: { schedules: [] }, ids: [] },
    { name: 'one status', query: { status: ['succeeded'] }, ids: ['01E', '01D', '01A'] },
    { name: 'several statuses', query: { status: ['failed', 'timedOut'] }, ids: ['01C', '01B'] },
    {
      name: 'an empty status list filters nothing',
      query: { status: [], limit: 2 },
      ids: ['01F', '01E'],
    },
    {
      name: 'since is inclusive',
      query: { since: new Date('2026-03-02T12:00:00.000Z') },
      ids: ['01F', '01E', '01D'],
    },
    {
      name: 'until is exclusive',
      query: { until: new Date('2026-03-02T12:00:00.000Z') },
      ids: ['01C', '01B', '01A'],
    },
    {
      name: 'a window',
      query: {
        since: new Date('2026-03-01T12:00:00.000Z'),
        until: new Date('2026-03-03T00:00:00.000Z'),
      },
      ids: ['01D', '01C', '01B'],
    },
    { name: 'limit keeps the newest', query: { limit: 2 }, ids: ['01F', '01E'] },
    { name: 'limit 0', query: { limit: 0 }, ids: [] },
    { name: 'cursor: ids before', query: { before: '01D' }, ids: ['01C', '01B', '01A'] },
    { name: 'cursor with limit', query: { before: '01E', limit: 2 }, ids: ['01D', '01C'] },
    {
      name: 'everything combined',
      query: {
        schedule: 'backup',
        status: ['succeeded'],
        since: new Date('2026-03-01T00:00:00.000Z'),
        before: '01E',
      },
      ids: ['01A'],
    },
  ])('$name', ({ query, ids }) => {
    expect(selectRuns(SHARDS, query).map((run) => run.id)).toEqual(ids);
  });

  it('pages through everything with the cursor, without repeats or gaps', () => {
    const seen: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = selectRuns(SHARDS, { limit: 4, ...(before === undefined ? {} : { before }) });
      if (page.length === 0) break;
      seen.push(...page.map((run) => run.id));
      before = page[page.length - 1]!.id;
    }
    expect(seen).toEqual(['01F', '01E', '01D', '01C', '01B', '01A']);
  });

  it.each<{ status: RunStatus; scheduledAt: string; query: RunQuery; matches: boolean }>([
    { status: 'failed', scheduledAt: '2026-03-01T00:00:00.000Z', query: {}, matches: true },
    {
      status: 'failed',
      scheduledAt: '2026-03-01T00:00:00.000Z',
      query: { status: ['succeeded'] },
      matches: false,
    },
    {
      status: 'failed',
      scheduledAt: '2026-03-01T00:00:00.000Z',
      query: { since: new Date('2026-03-01T00:00:00.001Z') },
      matches: false,
    },
    {
      status: 'failed',
      scheduledAt: '2026-03-01T00:00:00.000Z',
      query: { until: new Date('2026-03-01T00:00:00.001Z') },
      matches: true,
    },
  ])(
    'matchesRunQuery($status, $scheduledAt) is $matches',
    ({ status, scheduledAt, query, matches }) => {
      expect(matchesRunQuery(buildRun('01A', 'backup', status, scheduledAt), query)).toBe(matches);
    },
  );
});
