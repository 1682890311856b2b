import { describe, expect, it } from 'vitest';
import { computeConfigDigest } from '../../src/daemon/config-digest.js';
import type { DesiredSchedule, DesiredState } from '../../src/reconcile/desired.js';

const jobs = (entries: [string, string][]): DesiredState =>
  new Map(entries.map(([name, hash]) => [name, { hash } as DesiredSchedule]));

describe('daemon/config-digest', () => {
  it('is the same for the same schedules and versions, whatever the order', () => {
    expect(
      computeConfigDigest(
        jobs([
          ['a', 'h1'],
          ['b', 'h2'],
        ]),
      ),
    ).toBe(
      computeConfigDigest(
        jobs([
          ['b', 'h2'],
          ['a', 'h1'],
        ]),
      ),
    );
    expect(computeConfigDigest(jobs([]))).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each<[string, [string, string][]]>([
    [
      'a version changed',
      [
        ['a', 'h1'],
        ['b', 'h3'],
      ],
    ],
    ['a schedule removed', [['a', 'h1']]],
    [
      'a schedule renamed',
      [
        ['a', 'h1'],
        ['c', 'h2'],
      ],
    ],
  ])('changes when %s', (_, other) => {
    expect(computeConfigDigest(jobs(other))).not.toBe(
      computeConfigDigest(
        jobs([
          ['a', 'h1'],
          ['b', 'h2'],
        ]),
      ),
    );
  });
});
