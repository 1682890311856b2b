import { describe, expect, it } from 'vitest';
import {
  isWithinDeadline,
  matchesWhen,
  planAfterFires,
  type AfterCandidate,
  type EndedRun,
} from '../../src/runtime/plan-after.js';

const NOW = new Date('2026-03-08T02:41:07.000Z');

const ended = (status: string, extra: Partial<EndedRun> = {}): EndedRun => ({
  schedule: 'extract',
  runId: '01JEXTRACT',
  status,
  scheduledAt: '2026-03-08T01:30:00.000Z',
  ...extra,
});

const after = (
  name: string,
  when: 'succeeded' | 'failed' | 'finished',
  extra: Partial<AfterCandidate> = {},
): AfterCandidate => ({
  name,
  after: [{ schedule: 'extract', when }],
  suspend: false,
  ...extra,
});

const CANDIDATES = [
  after('on-success', 'succeeded'),
  after('on-failure', 'failed'),
  after('on-end', 'finished'),
];

const link = {
  upstream: { schedule: 'extract', runId: '01JEXTRACT' },
  chainId: '01JEXTRACT',
  logicalTime: '2026-03-08T01:30:00.000Z',
};

describe('runtime/plan-after', () => {
  it.each([
    ['succeeded', 'succeeded', true],
    ['succeeded', 'failed', false],
    ['failed', 'failed', true],
    ['failed', 'timedOut', true],
    ['failed', 'cancelled', false],
    ['failed', 'interrupted', false],
    ['finished', 'succeeded', true],
    ['finished', 'failed', true],
    ['finished', 'timedOut', true],
    ['finished', 'cancelled', true],
    ['finished', 'interrupted', true],
    ['finished', 'skipped', false],
    ['finished', 'missed', false],
    ['finished', 'pending', false],
    ['finished', 'running', false],
  ] as const)('when %s, a run that ended %s starts it: %s', (when, status, expected) => {
    expect(matchesWhen(when, status)).toBe(expected);
  });

  it.each([
    ['succeeded', ['on-end', 'on-success']],
    ['failed', ['on-end', 'on-failure']],
    ['timedOut', ['on-end', 'on-failure']],
    ['cancelled', ['on-end']],
    ['interrupted', ['on-end']],
    ['skipped', []],
    ['missed', []],
  ])('an upstream run that ended %s fires %j', (status, names) => {
    const fires = planAfterFires({
      ended: ended(status),
      upstreamSuspended: false,
      candidates: CANDIDATES,
      now: NOW,
    });
    expect(fires).toEqual(
      names.map((schedule) => ({
        schedule,
        action: 'fire',
        ...link,
        upstream: { ...link.upstream, status },
      })),
    );
  });

  it('passes the chain on: a downstream of a downstream keeps the root id and logical time', () => {
    const fires = planAfterFires({
      ended: ended('succeeded', {
        runId: '01JSTEP2',
        scheduledAt: '2026-03-08T02:10:00.000Z',
        chainId: '01JROOT',
        logicalTime: '2026-03-07T23:30:00.000Z',
      }),
      upstreamSuspended: false,
      candidates: [after('step-3', 'succeeded')],
      now: NOW,
    });
    expect(fires).toEqual([
      {
        schedule: 'step-3',
        action: 'fire',
        upstream: { schedule: 'extract', runId: '01JSTEP2', status: 'succeeded' },
        chainId: '01JROOT',
        logicalTime: '2026-03-07T23:30:00.000Z',
      },
    ]);
  });

  it('starts nothing after a suspended upstream', () => {
    expect(
      planAfterFires({
        ended: ended('succeeded'),
        upstreamSuspended: true,
        candidates: CANDIDATES,
        now: NOW,
      }),
    ).toEqual([]);
  });

  it('ignores schedules that are not after the upstream, or after it for another outcome', () => {
    const other: AfterCandidate = {
      name: 'other',
      after: [{ schedule: 'load', when: 'finished' }],
      suspend: false,
    };
    const plain: AfterCandidate = { name: 'plain', suspend: false };
    expect(
      planAfterFires({
        ended: ended('failed'),
        upstreamSuspended: false,
        candidates: [other, plain, after('x', 'succeeded')],
        now: NOW,
      }),
    ).toEqual([]);
  });

  it.each([
    ['suspended', { suspend: true }, 'the schedule is suspended'],
    [
      'before its window',
      { activeFrom: '2026-04-01T00:00:00.000Z' },
      'outside its active window: it is active from 2026-04-01T00:00:00.000Z',
    ],
    [
      'after its window',
      { activeUntil: '2026-03-01T00:00:00.000Z' },
      'outside its active window: it was active until 2026-03-01T00:00:00.000Z',
    ],
    [
      'cut off from its upstream',
      { afterBlocked: 'unknown schedule "x"' },
      'its after links are broken (unknown schedule "x"); it runs by after only once its file is fixed',
    ],
  ])('records a downstream %s as skipped with the reason', (_what, extra, reason) => {
    expect(
      planAfterFires({
        ended: ended('succeeded'),
        upstreamSuspended: false,
        candidates: [after('d', 'succeeded', extra)],
        now: NOW,
      }),
    ).toEqual([
      {
        schedule: 'd',
        action: 'skip',
        reason,
        ...link,
        upstream: { ...link.upstream, status: 'succeeded' },
      },
    ]);
  });

  it('fires inside the active window', () => {
    const inside = after('d', 'succeeded', {
      activeFrom: '2026-03-08T00:00:00.000Z',
      activeUntil: '2026-03-09T00:00:00.000Z',
    });
    expect(
      planAfterFires({
        ended: ended('succeeded'),
        upstreamSuspended: false,
        candidates: [inside],
        now: NOW,
      })[0]?.action,
    ).toBe('fire');
  });

  it.each([
    ['2026-03-08T02:41:07.000Z', 1_000, true],
    ['2026-03-08T02:41:06.000Z', 1_000, true],
    ['2026-03-08T02:41:05.999Z', 1_000, false],
    ['2026-03-08T01:41:07.000Z', 3_600_000, true],
    ['2026-03-08T01:41:06.000Z', 3_600_000, false],
  ])(
    'a fire made durable at %s with a deadline of %i ms may start at 02:41:07: %s',
    (at, deadline, expected) => {
      expect(isWithinDeadline(at, deadline, NOW)).toBe(expected);
    },
  );
});
