import { describe, expect, it } from 'vitest';
import { selectRuns } from '../../src/history/query.js';
import type { RunRecord } from '../../src/history/store.js';
import { parseRunListQuery, selectRunPage, type RunListRequest } from '../../src/status/api.js';
import type { RunReader } from '../../src/status/route-types.js';
import { buildApiRun } from '../../src/status/run-view.js';

function run(
  id: string,
  schedule: string,
  status: RunRecord['status'],
  scheduledAt: string,
): RunRecord {
  return {
    id,
    schedule,
    trigger: 'schedule',
    scheduledAt,
    status,
    attempts: [
      {
        attempt: 1,
        startedAt: scheduledAt,
        finishedAt: scheduledAt,
        exitCode: status === 'succeeded' ? 0 : 3,
        signal: null,
        outputTail: `output of ${id}\n`,
        pid: 4242,
        processStartTime: 99,
      },
    ],
    specHash: 'abc',
  };
}

/** Ten runs over two schedules, ids in time order. */
const RUNS: RunRecord[] = [
  run('01JP000000000000000000000A', 'backup', 'succeeded', '2026-03-10T01:00:00.000Z'),
  run('01JP000000000000000000000B', 'cache', 'failed', '2026-03-10T02:00:00.000Z'),
  run('01JP000000000000000000000C', 'backup', 'failed', '2026-03-10T03:00:00.000Z'),
  run('01JP000000000000000000000D', 'cache', 'succeeded', '2026-03-10T04:00:00.000Z'),
  run('01JP000000000000000000000E', 'backup', 'succeeded', '2026-03-10T05:00:00.000Z'),
  run('01JP000000000000000000000F', 'cache', 'succeeded', '2026-03-10T06:00:00.000Z'),
  run('01JP000000000000000000000G', 'old', 'succeeded', '2026-03-10T07:00:00.000Z'),
  run('01JP000000000000000000000H', 'backup', 'timedOut', '2026-03-10T08:00:00.000Z'),
  run('01JP000000000000000000000J', 'cache', 'failed', '2026-03-10T09:00:00.000Z'),
  run('01JP000000000000000000000K', 'backup', 'succeeded', '2026-03-10T10:00:00.000Z'),
];

const READER: RunReader = {
  listRuns: (query) => {
    const shards = new Map<string, RunRecord[]>();
    for (const record of RUNS)
      shards.set(record.schedule, [...(shards.get(record.schedule) ?? []), record]);
    return selectRuns(shards, query);
  },
  getRun: (id) => RUNS.find((record) => record.id === id),
};

const SCHEDULES = [
  { name: 'backup', labels: { team: 'data', tier: 'critical' } },
  { name: 'cache', labels: { team: 'web' } },
];

const BASE: RunListRequest = { status: [], schedules: [], labels: [], limit: 50 };

async function ids(
  request: Partial<RunListRequest>,
): Promise<{ ids: string[]; next: string | null }> {
  const page = await selectRunPage(READER, { ...BASE, ...request }, SCHEDULES);
  return {
    ids: page.runs.map((r) => r.id.slice(-1)),
    next: page.nextCursor && page.nextCursor.slice(-1),
  };
}

describe('status/api', () => {
  describe('parseRunListQuery', () => {
    it.each([
      { query: '', request: BASE },
      {
        query: 'status=failed,timedOut&status=failed',
        request: { ...BASE, status: ['failed', 'timedOut'] },
      },
      {
        query: 'schedule=backup,cache&label=team%3Ddata&label=tier=critical',
        request: {
          ...BASE,
          schedules: ['backup', 'cache'],
          labels: [
            { key: 'team', value: 'data' },
            { key: 'tier', value: 'critical' },
          ],
        },
      },
      {
        query:
          'since=2026-03-10T00:00:00Z&until=2026-03-11T02:00:00%2B02:00&limit=500&cursor=01JP000000000000000000000E',
        request: {
          ...BASE,
          since: new Date('2026-03-10T00:00:00.000Z'),
          until: new Date('2026-03-11T00:00:00.000Z'),
          limit: 500,
          cursor: '01JP000000000000000000000E',
        },
      },
      {
        query: 'since=2026-03-10',
        request: { ...BASE, since: new Date('2026-03-10T00:00:00.000Z') },
      },
    ])('?$query', ({ query, request }) => {
      expect(parseRunListQuery(new URLSearchParams(query), { perSchedule: false })).toEqual({
        ok: true,
        request,
      });
    });

    it.each([
      {
        query: 'status=broken',
        parameter: 'status',
        message:
          'status: unknown status "broken" (expected a comma-separated list of pending, running, succeeded, failed, timedOut, skipped, missed, interrupted, cancelled)',
      },
      {
        query: 'label=team',
        parameter: 'label',
        message: 'label: expected key=value like "team=data", got "team"',
      },
      {
        query: 'label==x',
        parameter: 'label',
        message: 'label: expected key=value like "team=data", got "=x"',
      },
      {
        query: 'since=yesterday',
        parameter: 'since',
        message: 'since: expected an ISO 8601 instant like "2026-03-10T00:00:00Z", got "yesterday"',
      },
      {
        query: 'until=2026-13-45T00:00:00Z',
        parameter: 'until',
        message:
          'until: expected an ISO 8601 instant like "2026-03-10T00:00:00Z", got "2026-13-45T00:00:00Z"',
      },
      {
        query: 'limit=0',
        parameter: 'limit',
        message: 'limit: expected a whole number from 1 to 500, got "0"',
      },
      {
        query: 'limit=501',
        parameter: 'limit',
        message: 'limit: expected a whole number from 1 to 500, got "501"',
      },
      {
        query: 'limit=ten',
        parameter: 'limit',
        message: 'limit: expected a whole number from 1 to 500, got "ten"',
      },
      {
        query: 'cursor=abc',
        parameter: 'cursor',
        message: 'cursor: expected the nextCursor of a previous page, got "abc"',
      },
      {
        query: 'satus=failed',
        parameter: 'satus',
        message:
          'unknown parameter "satus" (expected status, schedule, label, chain, since, until, limit, cursor)',
      },
      {
        query: 'chain=nope',
        parameter: 'chain',
        message: 'chain: expected the id of a chain\'s first run, got "nope"',
      },
    ])('refuses ?$query', ({ query, parameter, message }) => {
      expect(parseRunListQuery(new URLSearchParams(query), { perSchedule: false })).toEqual({
        ok: false,
        problem: { parameter, message },
      });
    });

    it("does not take schedule or label on a schedule's own run list", () => {
      expect(parseRunListQuery(new URLSearchParams('label=a=b'), { perSchedule: true })).toEqual({
        ok: false,
        problem: {
          parameter: 'label',
          message: 'unknown parameter "label" (expected status, since, until, limit, cursor)',
        },
      });
    });
  });

  describe('selectRunPage', () => {
    it.each([
      {
        name: 'everything, newest first',
        request: {},
        ids: ['K', 'J', 'H', 'G', 'F', 'E', 'D', 'C', 'B', 'A'],
        next: null,
      },
      { name: 'a page of 3', request: { limit: 3 }, ids: ['K', 'J', 'H'], next: 'H' },
      {
        name: 'the page after H',
        request: { limit: 3, cursor: '01JP000000000000000000000H' },
        ids: ['G', 'F', 'E'],
        next: 'E',
      },
      {
        name: 'the last page',
        request: { limit: 3, cursor: '01JP000000000000000000000D' },
        ids: ['C', 'B', 'A'],
        next: null,
      },
      {
        name: 'statuses',
        request: { status: ['failed', 'timedOut'] as RunRecord['status'][] },
        ids: ['J', 'H', 'C', 'B'],
        next: null,
      },
      {
        name: 'one schedule',
        request: { schedules: ['cache'], limit: 2 },
        ids: ['J', 'F'],
        next: 'F',
      },
      {
        name: 'two schedules',
        request: { schedules: ['cache', 'old'], limit: 3 },
        ids: ['J', 'G', 'F'],
        next: 'F',
      },
      {
        name: 'label team=data',
        request: { labels: [{ key: 'team', value: 'data' }] },
        ids: ['K', 'H', 'E', 'C', 'A'],
        next: null,
      },
      {
        name: 'two labels (both must match)',
        request: {
          labels: [
            { key: 'team', value: 'web' },
            { key: 'tier', value: 'critical' },
          ],
        },
        ids: [],
        next: null,
      },
      {
        name: 'label and schedule',
        request: {
          labels: [{ key: 'team', value: 'web' }],
          schedules: ['backup', 'cache'],
          status: ['succeeded'] as RunRecord['status'][],
        },
        ids: ['F', 'D'],
        next: null,
      },
      {
        name: 'since and until (scheduledAt, until exclusive)',
        request: {
          since: new Date('2026-03-10T03:00:00Z'),
          until: new Date('2026-03-10T06:00:00Z'),
        },
        ids: ['E', 'D', 'C'],
        next: null,
      },
      { name: 'unknown schedule', request: { schedules: ['nope'] }, ids: [], next: null },
    ])('$name', async ({ request, ids: want, next }) => {
      expect(await ids(request)).toEqual({ ids: want, next });
    });

    it('pages through every run exactly once', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages += 1) {
        const page = await selectRunPage(
          READER,
          { ...BASE, limit: 4, ...(cursor ? { cursor } : {}) },
          SCHEDULES,
        );
        seen.push(...page.runs.map((r) => r.id));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(RUNS.map((r) => r.id).reverse());
    });

    it('leaves output tails out of listed runs', async () => {
      const page = await selectRunPage(READER, { ...BASE, limit: 1 }, SCHEDULES);
      expect(page.runs[0]?.attempts[0]).toEqual({
        attempt: 1,
        startedAt: '2026-03-10T10:00:00.000Z',
        finishedAt: '2026-03-10T10:00:00.000Z',
        exitCode: 0,
        signal: null,
        error: null,
        pid: 4242,
      });
    });
  });

  describe('buildApiRun', () => {
    it('copies named fields, absent ones as null, and output tails on request', () => {
      const record: RunRecord = {
        ...RUNS[1]!,
        reason: 'exited with code 3',
        missed: undefined as never,
      };
      delete (record as { missed?: unknown }).missed;
      (record as unknown as Record<string, unknown>)['internal'] = 'not for clients';
      expect(buildApiRun(record, { outputTails: true })).toEqual({
        id: '01JP000000000000000000000B',
        schedule: 'cache',
        trigger: 'schedule',
        status: 'failed',
        scheduledAt: '2026-03-10T02:00:00.000Z',
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        reason: 'exited with code 3',
        specHash: 'abc',
        missed: null,
        attempts: [
          {
            attempt: 1,
            startedAt: '2026-03-10T02:00:00.000Z',
            finishedAt: '2026-03-10T02:00:00.000Z',
            exitCode: 3,
            signal: null,
            error: null,
            pid: 4242,
            outputTail: 'output of 01JP000000000000000000000B\n',
          },
        ],
      });
    });
  });
});
