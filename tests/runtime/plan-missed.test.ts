import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/cron/compile.js';
import { narrowGap } from '../../src/runtime/plan-missed.js';

function compiled(expression: string) {
  const result = compileSchedule(expression);
  if (!result.ok) throw new Error(`bad test schedule ${expression}`);
  return result.schedule;
}

const d = (iso: string) => new Date(iso);

describe('runtime/plan-missed', () => {
  it.each([
    {
      rule: 'nothing held: the gap as it is',
      schedule: '*/1 * * * * *',
      gap: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:09Z', 10],
      held: [],
      rest: ['2026-03-01T12:00:00.000Z', '2026-03-01T12:00:09.000Z', 10],
    },
    {
      rule: 'held instants at both ends move the ends inwards',
      schedule: '*/1 * * * * *',
      gap: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:09Z', 10],
      held: [
        ['2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z'],
        ['2026-03-01T12:00:01Z', '2026-03-01T12:00:01Z'],
        ['2026-03-01T12:00:09Z', '2026-03-01T12:00:09Z'],
      ],
      rest: ['2026-03-01T12:00:02.000Z', '2026-03-01T12:00:08.000Z', 7],
    },
    {
      rule: 'a held instant inside keeps the ends and is not counted',
      schedule: '*/1 * * * * *',
      gap: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:09Z', 10],
      held: [['2026-03-01T12:00:05Z', '2026-03-01T12:00:05Z']],
      rest: ['2026-03-01T12:00:00.000Z', '2026-03-01T12:00:09.000Z', 9],
    },
    {
      rule: 'another replica’s missed record overlapping the start, and one held instant at the end',
      schedule: '0 * * * *',
      gap: ['2026-03-01T00:00:00Z', '2026-03-01T23:00:00Z', 24],
      held: [
        ['2026-02-28T20:00:00Z', '2026-03-01T05:00:00Z'],
        ['2026-03-01T23:00:00Z', '2026-03-01T23:00:00Z'],
      ],
      rest: ['2026-03-01T06:00:00.000Z', '2026-03-01T22:00:00.000Z', 17],
    },
    {
      rule: 'overlapping held ranges are counted once',
      schedule: '*/1 * * * * *',
      gap: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:09Z', 10],
      held: [
        ['2026-03-01T12:00:00Z', '2026-03-01T12:00:04Z'],
        ['2026-03-01T12:00:03Z', '2026-03-01T12:00:03Z'],
        ['2026-03-01T12:00:02Z', '2026-03-01T12:00:06Z'],
      ],
      rest: ['2026-03-01T12:00:07.000Z', '2026-03-01T12:00:09.000Z', 3],
    },
    {
      rule: 'a held instant that is not one of the schedule’s is not counted',
      schedule: '*/10 * * * * *',
      gap: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:50Z', 6],
      held: [['2026-03-01T12:00:05Z', '2026-03-01T12:00:05Z']],
      rest: ['2026-03-01T12:00:00.000Z', '2026-03-01T12:00:50.000Z', 6],
    },
    {
      rule: 'everything held: nothing to record',
      schedule: '*/1 * * * * *',
      gap: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:09Z', 10],
      held: [['2026-03-01T11:00:00Z', '2026-03-01T12:00:09Z']],
      rest: undefined,
    },
    {
      rule: 'a year-long every-second gap with a held hour in the middle stays cheap',
      schedule: '*/1 * * * * *',
      gap: ['2025-03-01T00:00:00Z', '2026-03-01T00:00:00Z', 31_536_001],
      held: [['2025-09-01T00:00:00Z', '2025-09-01T00:59:59Z']],
      rest: ['2025-03-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', 31_532_401],
    },
  ])('$rule', ({ schedule, gap, held, rest }) => {
    const narrowed = narrowGap(
      compiled(schedule),
      'UTC',
      { first: d(gap[0] as string), last: d(gap[1] as string), count: gap[2] as number },
      held.map(([from, to]) => ({ from: d(from!), to: d(to!) })),
    );
    expect(
      narrowed && [narrowed.first.toISOString(), narrowed.last.toISOString(), narrowed.count],
    ).toEqual(rest);
  });
});
