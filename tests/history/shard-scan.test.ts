import { describe, expect, it } from 'vitest';
import { scanOlderShard } from '../../src/history/shard-scan.js';

const run = (id: string, status: string, tail = 'ok\n'): object => ({
  id,
  schedule: 'backup',
  status,
  attempts: [{ attempt: 1, outputTail: tail }],
  upstream: { schedule: 'a', runId: 'ZZZ', status: 'succeeded' },
});
const file = (document: object): Buffer => Buffer.from(JSON.stringify(document));

describe('history/shard-scan', () => {
  it('finds the watermark, the id range and active runs without parsing', () => {
    const content = file({
      version: 1,
      schedule: 'backup',
      lastScheduledAt: '2026-03-08T06:00:00.000Z',
      runs: [run('01A', 'failed'), run('01B', 'succeeded'), run('01C', 'running')],
    });
    expect(scanOlderShard(content)).toEqual({
      bytes: content.length,
      lastScheduledAt: '2026-03-08T06:00:00.000Z',
      oldestId: '01A',
      newestId: '01C',
      mayBeActive: true,
    });
  });

  it('a status written inside a string (an output tail) is not an active run', () => {
    const tail = '{"id":"00","status":"running"}\n';
    const scan = scanOlderShard(
      file({ version: 1, schedule: 'backup', runs: [run('01A', 'failed', tail)] }),
    );
    expect(scan).toMatchObject({ oldestId: '01A', newestId: '01A', mayBeActive: false });
    expect(scan).not.toHaveProperty('lastScheduledAt');
  });

  it('an empty shard has no id range; trailing whitespace is fine', () => {
    const content = Buffer.from('{"version":1,"schedule":"backup","runs":[]}\n');
    expect(scanOlderShard(content)).toEqual({ bytes: content.length, mayBeActive: false });
  });

  it.each([
    ['empty', ''],
    ['truncated', '{"version":1,"schedule":"backup","runs":[{"id":"01A","status":"succ'],
    ['another version', '{"version":2,"runs":[]}'],
    ['hand-formatted', '{\n  "version": 1,\n  "runs": []\n}\n'],
    ['not a document', '[1,2,3]'],
    [
      'the current format (a head line, appended entries)',
      '{"version":1,"schedule":"backup","lastScheduledAt":"a","summary":{},\n"runs":[]}\n{"lastScheduledAt":"b"}\n',
    ],
    ['no runs', '{"version":1,"schedule":"backup"}'],
    ['a watermark that is not a string', '{"version":1,"lastScheduledAt":null,"runs":[]}'],
  ])('%s: undefined (read whole)', (_name, text) => {
    expect(scanOlderShard(Buffer.from(text))).toBeUndefined();
  });
});
