import { describe, expect, it } from 'vitest';
import type { LoadedSchedule } from '../../src/manifest/load.js';
import { toDesiredSchedule } from '../../src/reconcile/desired.js';

const loaded = {
  name: 'backup',
  file: '/etc/cronops/backup.yaml',
  line: 1,
  metadata: { name: 'backup', labels: {} },
  spec: { schedule: '@daily' },
  compiled: { kind: 'cron', source: '@daily' },
} as unknown as LoadedSchedule;

describe('reconcile/desired', () => {
  it.each([
    [false, undefined],
    [true, undefined],
    [true, 'upstream "extract" is not loaded'],
  ])('is the loaded schedule with its hash (degraded %s, afterBlocked %s)', (degraded, blocked) => {
    const desired = toDesiredSchedule(loaded, 'h1', degraded, blocked);
    expect(desired).toEqual({
      ...loaded,
      hash: 'h1',
      degraded,
      ...(blocked !== undefined && { afterBlocked: blocked }),
    });
    expect(Object.keys(desired)).toEqual([
      'name',
      'file',
      'line',
      'metadata',
      'spec',
      'compiled',
      'hash',
      'degraded',
      ...(blocked !== undefined ? ['afterBlocked'] : []),
    ]);
    expect(desired.spec).toBe(loaded.spec);
  });
});
