import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/cron/compile.js';
import {
  CATCH_UP_LIMIT,
  isFireable,
  planDueFires,
  type FirePolicy,
} from '../../src/runtime/plan-fires.js';

function compiled(expression: string) {
  const result = compileSchedule(expression);
  if (!result.ok) throw new Error(`bad test schedule ${expression}`);
  return result.schedule;
}

const HOUR = 3_600_000;
const policy = (over: Partial<FirePolicy> = {}): FirePolicy => ({
  timezone: 'UTC',
  catchUp: 'latest',
  startingDeadline: HOUR,
  concurrencyPolicy: 'Forbid',
  suspend: false,
  ...over,
});
const d = (iso: string) => new Date(iso);

/** The plan in words, so a table row reads as the rule it checks. */
function describePlan(plan: ReturnType<typeof planDueFires>) {
  return {
    watermark: plan.watermark.toISOString(),
    fire: plan.fire?.toISOString(),
    catchUp:
      plan.catchUp.length <= 3
        ? plan.catchUp.map((at) => at.toISOString())
        : [
            `${plan.catchUp.length} from ${plan.catchUp[0]!.toISOString()} to ${plan.catchUp.at(-1)!.toISOString()}`,
          ],
    missed: plan.missed && {
      count: plan.missed.count,
      first: plan.missed.first.toISOString(),
      last: plan.missed.last.toISOString(),
      reason: plan.missed.reason,
    },
    ignored: plan.ignored,
    lateClaimed: plan.lateClaimed?.map((at) => at.toISOString()),
  };
}

describe('runtime/plan-fires', () => {
  it.each([
    {
      rule: 'a single instant on time starts as a regular fire',
      schedule: '*/1 * * * * *',
      policy: policy(),
      due: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z', 1],
      trigger: 'schedule' as const,
      now: '2026-03-01T12:00:00.004Z',
      plan: {
        watermark: '2026-03-01T12:00:00.000Z',
        fire: '2026-03-01T12:00:00.000Z',
        catchUp: [],
      },
    },
    {
      rule: 'a single instant past startingDeadline is missed',
      schedule: '0 * * * *',
      policy: policy({ startingDeadline: 10_000 }),
      due: ['2026-03-01T11:00:00Z', '2026-03-01T11:00:00Z', 1],
      trigger: 'schedule' as const,
      now: '2026-03-01T12:00:00Z',
      plan: {
        watermark: '2026-03-01T11:00:00.000Z',
        catchUp: [],
        missed: {
          count: 1,
          first: '2026-03-01T11:00:00.000Z',
          last: '2026-03-01T11:00:00.000Z',
          reason:
            'the fire at 2026-03-01T11:00:00.000Z came due while the daemon could not start it and is past startingDeadline (10000 ms)',
        },
      },
    },
    {
      rule: 'catchUp latest within the deadline queues the newest, the rest are missed',
      schedule: '*/1 * * * * *',
      policy: policy(),
      due: ['2026-03-01T11:00:01Z', '2026-03-01T12:00:00Z', 3600],
      trigger: 'catchup' as const,
      now: '2026-03-01T12:00:00.500Z',
      plan: {
        watermark: '2026-03-01T12:00:00.000Z',
        catchUp: ['2026-03-01T12:00:00.000Z'],
        missed: {
          count: 3599,
          first: '2026-03-01T11:00:01.000Z',
          last: '2026-03-01T11:59:59.000Z',
          reason:
            '3599 fires from 2026-03-01T11:00:01.000Z to 2026-03-01T11:59:59.000Z were passed over: catchUp latest starts only the newest fire of a gap',
        },
      },
    },
    {
      rule: 'catchUp latest beyond the deadline queues nothing',
      schedule: '0 */6 * * *',
      policy: policy({ startingDeadline: HOUR }),
      due: ['2026-03-01T00:00:00Z', '2026-03-01T06:00:00Z', 2],
      trigger: 'catchup' as const,
      now: '2026-03-01T08:00:00Z',
      plan: {
        watermark: '2026-03-01T06:00:00.000Z',
        catchUp: [],
        missed: {
          count: 2,
          first: '2026-03-01T00:00:00.000Z',
          last: '2026-03-01T06:00:00.000Z',
          reason:
            '2 fires from 2026-03-01T00:00:00.000Z to 2026-03-01T06:00:00.000Z came due while the daemon could not start them and are past startingDeadline (3600000 ms)',
        },
      },
    },
    {
      rule: 'catchUp none queues nothing, within the deadline too',
      schedule: '*/10 * * * *',
      policy: policy({ catchUp: 'none' }),
      due: ['2026-03-01T11:40:00Z', '2026-03-01T12:00:00Z', 3],
      trigger: 'catchup' as const,
      now: '2026-03-01T12:00:30Z',
      plan: {
        watermark: '2026-03-01T12:00:00.000Z',
        catchUp: [],
        missed: {
          count: 3,
          first: '2026-03-01T11:40:00.000Z',
          last: '2026-03-01T12:00:00.000Z',
          reason:
            '3 fires from 2026-03-01T11:40:00.000Z to 2026-03-01T12:00:00.000Z were passed over: catchUp none starts no fire of a gap',
        },
      },
    },
    {
      rule: 'catchUp none beyond the deadline says so',
      schedule: '0 0 * * *',
      policy: policy({ catchUp: 'none' }),
      due: ['2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z', 2],
      trigger: 'catchup' as const,
      now: '2026-03-02T05:00:00Z',
      plan: {
        watermark: '2026-03-02T00:00:00.000Z',
        catchUp: [],
        missed: {
          count: 2,
          first: '2026-03-01T00:00:00.000Z',
          last: '2026-03-02T00:00:00.000Z',
          reason:
            '2 fires from 2026-03-01T00:00:00.000Z to 2026-03-02T00:00:00.000Z came due while the daemon could not start them and are past startingDeadline (3600000 ms)',
        },
      },
    },
    {
      rule: 'catchUp all queues each instant within the deadline, in order; older ones are missed',
      schedule: '*/10 * * * *',
      policy: policy({ catchUp: 'all', startingDeadline: 25 * 60_000 }),
      due: ['2026-03-01T11:00:00Z', '2026-03-01T12:00:00Z', 7],
      trigger: 'catchup' as const,
      now: '2026-03-01T12:00:30Z',
      plan: {
        watermark: '2026-03-01T12:00:00.000Z',
        catchUp: [
          '2026-03-01T11:40:00.000Z',
          '2026-03-01T11:50:00.000Z',
          '2026-03-01T12:00:00.000Z',
        ],
        missed: {
          count: 4,
          first: '2026-03-01T11:00:00.000Z',
          last: '2026-03-01T11:30:00.000Z',
          reason:
            '4 fires from 2026-03-01T11:00:00.000Z to 2026-03-01T11:30:00.000Z came due while the daemon could not start them and are past startingDeadline (1500000 ms)',
        },
      },
    },
    {
      rule: `catchUp all queues at most the newest ${CATCH_UP_LIMIT} instants of a 10-minute gap`,
      schedule: '*/1 * * * * *',
      policy: policy({ catchUp: 'all', concurrencyPolicy: 'Allow' }),
      due: ['2026-03-01T11:50:01Z', '2026-03-01T12:00:00Z', 600],
      trigger: 'schedule' as const,
      now: '2026-03-01T12:00:00.010Z',
      plan: {
        watermark: '2026-03-01T12:00:00.000Z',
        catchUp: ['100 from 2026-03-01T11:58:21.000Z to 2026-03-01T12:00:00.000Z'],
        missed: {
          count: 500,
          first: '2026-03-01T11:50:01.000Z',
          last: '2026-03-01T11:58:20.000Z',
          reason:
            '500 fires from 2026-03-01T11:50:01.000Z to 2026-03-01T11:58:20.000Z were passed over: catchUp all starts at most the newest 100 fires of a gap',
        },
      },
    },
    {
      rule: 'catchUp all of an @every schedule across a year is bounded too',
      schedule: '@every 1s',
      policy: policy({ catchUp: 'all', startingDeadline: 2 * 365 * 24 * HOUR }),
      due: ['2026-03-01T00:00:01Z', '2027-03-01T00:00:00Z', 31_536_000],
      trigger: 'catchup' as const,
      now: '2027-03-01T00:00:00.100Z',
      plan: {
        watermark: '2027-03-01T00:00:00.000Z',
        catchUp: ['100 from 2027-02-28T23:58:21.000Z to 2027-03-01T00:00:00.000Z'],
        missed: {
          count: 31_535_900,
          first: '2026-03-01T00:00:01.000Z',
          last: '2027-02-28T23:58:20.000Z',
          reason:
            '31535900 fires from 2026-03-01T00:00:01.000Z to 2027-02-28T23:58:20.000Z were passed over: catchUp all starts at most the newest 100 fires of a gap',
        },
      },
    },
    {
      rule: 'a suspended schedule moves its watermark and does nothing else',
      schedule: '*/1 * * * * *',
      policy: policy({ suspend: true }),
      due: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z', 1],
      trigger: 'schedule' as const,
      now: '2026-03-01T12:00:00Z',
      plan: { watermark: '2026-03-01T12:00:00.000Z', catchUp: [], ignored: 'suspended' },
    },
    {
      rule: 'instants after activeUntil are ignored',
      schedule: '*/1 * * * * *',
      policy: policy({ activeUntil: '2026-03-01T11:00:00Z' }),
      due: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z', 1],
      trigger: 'schedule' as const,
      now: '2026-03-01T12:00:00Z',
      plan: { watermark: '2026-03-01T12:00:00.000Z', catchUp: [], ignored: 'inactive' },
    },
    {
      rule: 'a gap is clipped to activeFrom: only instants inside the window count',
      schedule: '*/10 * * * *',
      policy: policy({ catchUp: 'none', activeFrom: '2026-03-01T11:45:00Z' }),
      due: ['2026-03-01T11:00:00Z', '2026-03-01T12:00:00Z', 7],
      trigger: 'catchup' as const,
      now: '2026-03-01T12:00:30Z',
      plan: {
        watermark: '2026-03-01T12:00:00.000Z',
        catchUp: [],
        missed: {
          count: 2,
          first: '2026-03-01T11:50:00.000Z',
          last: '2026-03-01T12:00:00.000Z',
          reason:
            '2 fires from 2026-03-01T11:50:00.000Z to 2026-03-01T12:00:00.000Z were passed over: catchUp none starts no fire of a gap',
        },
      },
    },
    {
      rule: 'a late wake-up with a claimed instant: it starts (catch-up) beside the newest; the rest is missed',
      schedule: '*/1 * * * * *',
      policy: policy(),
      due: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:02Z', 3],
      claimed: ['2026-03-01T12:00:00Z'],
      trigger: 'schedule' as const,
      now: '2026-03-01T12:00:02.500Z',
      plan: {
        watermark: '2026-03-01T12:00:02.000Z',
        catchUp: ['2026-03-01T12:00:00.000Z', '2026-03-01T12:00:02.000Z'],
        missed: {
          count: 1,
          first: '2026-03-01T12:00:01.000Z',
          last: '2026-03-01T12:00:01.000Z',
          reason:
            'the fire at 2026-03-01T12:00:01.000Z was passed over: catchUp latest starts only the newest fire of a gap',
        },
      },
    },
    {
      rule: 'a claimed instant past startingDeadline is recorded on its own, outside the missed gap',
      schedule: '*/1 * * * * *',
      policy: policy({ startingDeadline: 1000 }),
      due: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:05Z', 6],
      claimed: ['2026-03-01T12:00:00Z'],
      trigger: 'schedule' as const,
      now: '2026-03-01T12:00:05.200Z',
      plan: {
        watermark: '2026-03-01T12:00:05.000Z',
        catchUp: ['2026-03-01T12:00:05.000Z'],
        lateClaimed: ['2026-03-01T12:00:00.000Z'],
        missed: {
          count: 4,
          first: '2026-03-01T12:00:01.000Z',
          last: '2026-03-01T12:00:04.000Z',
          reason:
            '4 fires from 2026-03-01T12:00:01.000Z to 2026-03-01T12:00:04.000Z were passed over: catchUp latest starts only the newest fire of a gap',
        },
      },
    },
    {
      rule: 'a single claimed instant past startingDeadline is not missed: it is recorded on its own',
      schedule: '0 * * * *',
      policy: policy({ startingDeadline: 10_000 }),
      due: ['2026-03-01T11:00:00Z', '2026-03-01T11:00:00Z', 1],
      claimed: ['2026-03-01T11:00:00Z'],
      trigger: 'schedule' as const,
      now: '2026-03-01T12:00:00Z',
      plan: {
        watermark: '2026-03-01T11:00:00.000Z',
        catchUp: [],
        lateClaimed: ['2026-03-01T11:00:00.000Z'],
      },
    },
    {
      rule: 'catchUp none still starts a claimed instant within startingDeadline',
      schedule: '*/1 * * * * *',
      policy: policy({ catchUp: 'none' }),
      due: ['2026-03-01T12:00:00Z', '2026-03-01T12:00:03Z', 4],
      claimed: ['2026-03-01T12:00:01Z'],
      trigger: 'schedule' as const,
      now: '2026-03-01T12:00:03.100Z',
      plan: {
        watermark: '2026-03-01T12:00:03.000Z',
        catchUp: ['2026-03-01T12:00:01.000Z'],
        missed: {
          count: 3,
          first: '2026-03-01T12:00:00.000Z',
          last: '2026-03-01T12:00:03.000Z',
          reason:
            '3 fires from 2026-03-01T12:00:00.000Z to 2026-03-01T12:00:03.000Z were passed over: catchUp none starts no fire of a gap',
        },
      },
    },
  ])('$rule', ({ schedule, policy: p, due, trigger, now, plan, ...row }) => {
    const [first, last, count] = due as [string, string, number];
    const claimed = 'claimed' in row ? (row.claimed as string[]).map(d) : undefined;
    expect(
      describePlan(
        planDueFires({
          compiled: compiled(schedule),
          policy: p,
          due: { first: d(first), last: d(last), count },
          trigger,
          now: d(now),
          ...(claimed ? { claimed } : {}),
        }),
      ),
    ).toEqual({
      fire: undefined,
      missed: undefined,
      ignored: undefined,
      lateClaimed: undefined,
      ...plan,
    });
  });
  it.each([
    { at: '2026-03-01T12:00:00Z', p: policy(), fireable: true },
    { at: '2026-03-01T12:00:00Z', p: policy({ suspend: true }), fireable: false },
    {
      at: '2026-03-01T12:00:00Z',
      p: policy({ activeFrom: '2026-03-01T12:00:01Z' }),
      fireable: false,
    },
    {
      at: '2026-03-01T12:00:00Z',
      p: policy({ activeFrom: '2026-03-01T12:00:00Z' }),
      fireable: true,
    },
    {
      at: '2026-03-01T12:00:00Z',
      p: policy({ activeUntil: '2026-03-01T11:59:59Z' }),
      fireable: false,
    },
  ])(
    'isFireable($at) with $p.activeFrom/$p.activeUntil suspend=$p.suspend: $fireable',
    ({ at, p, fireable }) => {
      expect(isFireable(p, d(at))).toBe(fireable);
    },
  );
});
