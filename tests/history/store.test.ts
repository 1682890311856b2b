import { describe, expect, it } from 'vitest';
import { checkShardFile, resolveShardPath, selectShardName } from '../../src/history/store.js';
import { SchedulerError } from '../../src/shared/errors.js';

const RUN = {
  id: '01B',
  schedule: 'backup',
  trigger: 'schedule',
  scheduledAt: '2026-03-08T02:30:00.000Z',
  status: 'succeeded',
  attempts: [],
  specHash: 'h1',
};

describe('history/store', () => {
  it.each([
    ['backup.json', 'backup'],
    ['nightly-db-backup.json', 'nightly-db-backup'],
    ['backup.json.corrupt-20260308T070000.000Z', undefined],
    ['.backup.json.123.4.tmp', undefined],
    ['Backup.json', undefined],
    ['-x.json', undefined],
    ['notes.txt', undefined],
  ])('selectShardName(%j) is %j', (file, name) => {
    expect(selectShardName(file)).toBe(name);
  });

  it('resolves a shard path inside the history directory', () => {
    expect(resolveShardPath('/var/lib/cronops', 'backup')).toBe(
      '/var/lib/cronops/history/backup.json',
    );
  });

  it.each(['../etc/passwd', 'a/b', '', 'UPPER', 'x'.repeat(64)])(
    'refuses the schedule name %j',
    (name) => {
      expect(() => resolveShardPath('/state', name)).toThrow(SchedulerError);
    },
  );

  it('accepts a shard and sorts its runs by id', () => {
    const shard = checkShardFile(
      {
        version: 1,
        schedule: 'backup',
        lastScheduledAt: '2026-03-08T02:30:00.000Z',
        runs: [RUN, { ...RUN, id: '01A' }],
      },
      'backup',
      'backup.json',
    );
    expect(shard.lastScheduledAt).toBe('2026-03-08T02:30:00.000Z');
    expect(shard.runs.map((run) => run.id)).toEqual(['01A', '01B']);
  });

  it.each<{ name: string; data: unknown; message: string }>([
    { name: 'an array', data: [], message: 'backup.json: expected a JSON object' },
    { name: 'null', data: null, message: 'backup.json: expected a JSON object' },
    {
      name: 'another version',
      data: { version: 2, runs: [] },
      message: 'backup.json: expected version 1, got 2',
    },
    {
      name: 'runs not an array',
      data: { version: 1, runs: {} },
      message: 'backup.json: expected "runs" to be an array',
    },
    {
      name: 'a run without id',
      data: { version: 1, runs: [{ ...RUN, id: 7 }] },
      message: 'backup.json: runs[0]: expected a string "id"',
    },
    {
      name: 'an unknown status',
      data: { version: 1, runs: [{ ...RUN, status: 'done' }] },
      message: 'backup.json: runs[0]: unknown status "done"',
    },
    {
      name: 'a bad lastScheduledAt',
      data: { version: 1, runs: [], lastScheduledAt: 5 },
      message: 'backup.json: expected "lastScheduledAt" to be a string',
    },
  ])('rejects $name', ({ data, message }) => {
    expect(() => checkShardFile(data, 'backup', 'backup.json')).toThrow(message);
  });
});
