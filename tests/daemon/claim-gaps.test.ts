import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ClaimGaps, type UnclaimedGap } from '../../src/daemon/claim-gaps.js';
import type { RunRecord } from '../../src/history/store.js';
import { job, settle } from './run-fixture.js';

const at = (second: number) => new Date(Date.UTC(2026, 2, 1, 12, 0, 0) + second * 1000);
const fire = (second: number) => ({
  job: job('a'),
  record: {
    id: `run-${second}`,
    schedule: 'a',
    trigger: 'schedule',
    scheduledAt: at(second).toISOString(),
    status: 'pending',
    attempts: [],
    specHash: 'h-a',
  } satisfies RunRecord,
});

/** ClaimGaps whose store answers as `answer` says, with its sleeps ended by hand (`wake`). */
function gaps(answer: { fail: boolean; own: string[] }) {
  const decided: UnclaimedGap[] = [];
  const interrupted: string[] = [];
  const asked: number[] = [];
  const sleeps: (() => void)[] = [];
  const claimGaps = new ClaimGaps({
    logger: pino({ enabled: false }),
    ownClaims: async (ids) => {
      asked.push(ids.length);
      if (answer.fail) throw new Error('ECONNREFUSED');
      return new Set(ids.filter((id) => answer.own.includes(id)));
    },
    decide: (gap) => decided.push(gap),
    interrupted: ({ record }) => interrupted.push(record.id),
    sleep: (_ms, signal) =>
      new Promise<void>((resolve) => {
        sleeps.push(resolve);
        signal?.addEventListener('abort', () => resolve());
      }),
  });
  const wake = async () => {
    sleeps.splice(0).forEach((resolve) => resolve());
    await settle();
  };
  return { claimGaps, decided, interrupted, asked, wake };
}

describe('daemon/claim-gaps', () => {
  it('a long outage keeps the bounds and the first 1,000 run ids; decided as one gap to its end', async () => {
    const answer = { fail: true, own: [] as string[] };
    const g = gaps(answer);
    for (let second = 0; second < 1500; second += 1) g.claimGaps.add(fire(second));
    expect(g.claimGaps.pending()).toEqual({ schedules: 1, fires: 1500 });
    // The store still fails: nothing decided, everything kept.
    await g.wake();
    expect(g.decided).toEqual([]);
    expect(g.claimGaps.pending()).toEqual({ schedules: 1, fires: 1500 });
    answer.fail = false;
    g.claimGaps.reachable();
    await g.wake();
    expect(g.asked.at(-1)).toBe(1000);
    expect(g.decided).toEqual([{ name: 'a', first: at(0), last: at(1499), fires: 1500 }]);
    expect(g.claimGaps.pending()).toEqual({ schedules: 0, fires: 0 });
  });

  it('a fire whose claim committed after all is interrupted and splits the gap around it', async () => {
    const g = gaps({ fail: false, own: ['run-3'] });
    for (let second = 0; second < 6; second += 1) g.claimGaps.add(fire(second));
    await g.wake();
    expect(g.interrupted).toEqual(['run-3']);
    expect(g.decided).toEqual([
      { name: 'a', first: at(0), last: at(2), fires: 3 },
      { name: 'a', first: at(4), last: at(5), fires: 2 },
    ]);
  });

  it('fires that fail while the store is asked form the next gap; a stop leaves the rest', async () => {
    const g = gaps({ fail: true, own: [] });
    g.claimGaps.add(fire(0));
    await g.wake();
    g.claimGaps.add(fire(1));
    expect(g.claimGaps.pending()).toEqual({ schedules: 1, fires: 2 });
    g.claimGaps.stop();
    expect(g.claimGaps.pending()).toEqual({ schedules: 0, fires: 0 });
    await g.wake();
    expect(g.decided).toEqual([]);
  });
});
