import { describe, expect, it } from 'vitest';
import { selectRuns } from '../../src/history/query.js';
import type { RunRecord } from '../../src/history/store.js';

const run = (id: string, schedule: string, chainId?: string): RunRecord => ({
  id,
  schedule,
  trigger: chainId === undefined ? 'schedule' : 'after',
  scheduledAt: '2026-03-08T01:30:00.000Z',
  status: 'succeeded',
  attempts: [],
  specHash: 'h',
  ...(chainId !== undefined && { chainId }),
});

const SHARDS = new Map<string, RunRecord[]>([
  ['extract', [run('01A', 'extract'), run('01D', 'extract')]],
  ['transform', [run('01B', 'transform', '01A'), run('01E', 'transform', '01D')]],
  ['load', [run('01C', 'load', '01A')]],
]);

describe('history/query (chain)', () => {
  it.each([
    ['01A', ['01C', '01B', '01A']],
    ['01D', ['01E', '01D']],
    ['01Z', []],
  ])('chain %s lists its first run and every run it led to, newest first', (chain, ids) => {
    expect(selectRuns(SHARDS, { chain }).map((r) => r.id)).toEqual(ids);
  });
});
