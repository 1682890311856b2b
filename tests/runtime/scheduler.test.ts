import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { earlyWakeMs, FireLoop, type DueFires } from '../../src/runtime/scheduler.js';
import type { Timers } from '../../src/runtime/timers.js';

/** Timers that record what was asked and run only when the test says so. */
class FakeTimers implements Timers {
  pending: { id: number; ms: number; callback: () => void }[] = [];
  #next = 1;
  set(callback: () => void, ms: number) {
    const id = this.#next++;
    this.pending.push({ id, ms, callback });
    return id;
  }
  every(): never {
    throw new Error('the fire loop never repeats a timer');
  }
  immediate(callback: () => void) {
    return this.set(callback, 0);
  }
  clear(handle: unknown) {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }
  /** Run the one pending timer after moving the clock by its delay. */
  fire(clock: ManualClock) {
    const timer = this.pending.shift();
    if (!timer) throw new Error('no timer pending');
    clock.tick(timer.ms);
    timer.callback();
    return timer.ms;
  }
}

const every = (periodMs: number) => ({
  next: (after: number) => Math.floor(after / periodMs) * periodMs + periodMs,
  count: (after: number, until: number) => {
    const first = Math.floor(after / periodMs) * periodMs + periodMs;
    if (first > until) return { count: 0 };
    const last = Math.floor(until / periodMs) * periodMs;
    return { count: (last - first) / periodMs + 1, first, last };
  },
});

const setup = (start: string) => {
  const clock = new ManualClock(start);
  const timers = new FakeTimers();
  const due: DueFires[] = [];
  const loop = new FireLoop({ clock, timers, onDue: (d) => due.push(d) });
  const log = () => due.map((d) => `${d.name} ${d.first.toISOString()} x${d.count}`);
  return { clock, timers, loop, due, log };
};

describe('runtime/scheduler', () => {
  it.each([
    [10, 0],
    [50, 0],
    [1_000, 5],
    [60_000, 123],
  ])('wakes %i ms early by %i ms', (delay, early) => {
    expect(earlyWakeMs(delay)).toBe(early);
  });

  it('wakes early, finishes with a short timer and polls, and hands out the instant once', () => {
    const { clock, timers, loop, log } = setup('2026-01-01T00:00:00.000Z');
    const m = every(20_000);
    loop.set('s20', m.next, m.count, clock.now().getTime());
    expect(timers.pending.map((t) => t.ms)).toEqual([20_000 - 43]);
    timers.fire(clock); // woken early: not yet due, a short timer follows
    expect(log()).toEqual([]);
    expect(timers.pending.map((t) => t.ms)).toEqual([41]);
    timers.fire(clock); // 2 ms before the instant: polled with immediates
    expect(timers.pending.map((t) => t.ms)).toEqual([0]);
    timers.fire(clock);
    expect(log()).toEqual([]);
    expect(timers.pending.map((t) => t.ms)).toEqual([0]);
    clock.tick(1);
    timers.fire(clock);
    expect(log()).toEqual([]);
    clock.tick(1);
    timers.fire(clock);
    expect(log()).toEqual(['s20 2026-01-01T00:00:20.000Z x1']);
    expect(loop.nextAt('s20')?.toISOString()).toBe('2026-01-01T00:00:40.000Z');
  });

  it('caps a long wait so a clock step is noticed', () => {
    const { clock, timers, loop } = setup('2026-01-01T00:00:00.000Z');
    const h = every(3_600_000);
    loop.set('hourly', h.next, h.count, clock.now().getTime());
    expect(timers.pending.map((t) => t.ms)).toEqual([30_000]);
    timers.fire(clock);
    expect(timers.pending.map((t) => t.ms)).toEqual([30_000]);
  });

  it('starts from a first instant the caller knows without looking for it; one not after afterMs is looked for', () => {
    const { clock, loop } = setup('2026-01-01T00:00:00.000Z');
    const now = clock.now().getTime();
    const a = every(3_000);
    const asked: number[] = [];
    const next = (after: number) => {
      asked.push(after);
      return a.next(after);
    };
    loop.set('known', next, a.count, now, now + 3_000);
    expect(asked).toEqual([]);
    expect(loop.nextAt('known')?.toISOString()).toBe('2026-01-01T00:00:03.000Z');
    loop.set('stale', next, a.count, now, now);
    expect(asked).toEqual([now]);
    expect(loop.nextAt('stale')?.toISOString()).toBe('2026-01-01T00:00:03.000Z');
  });

  it('hands out due schedules in instant order and skips deleted ones', () => {
    const { clock, timers, loop, log } = setup('2026-01-01T00:00:00.000Z');
    const now = clock.now().getTime();
    const a = every(3_000);
    const b = every(2_000);
    loop.set('a', a.next, a.count, now);
    loop.set('b', b.next, b.count, now);
    loop.set('gone', b.next, b.count, now);
    loop.delete('gone');
    clock.tick(3_000);
    loop.tick();
    expect(log()).toEqual(['b 2026-01-01T00:00:02.000Z x1']); // the first at once…
    const slice = timers.pending.find((t) => t.ms === 0);
    slice!.callback(); // …the rest on the next turn of the event loop
    expect(log()).toEqual(['b 2026-01-01T00:00:02.000Z x1', 'a 2026-01-01T00:00:03.000Z x1']);
  });

  it('a clock step forward is one hand-out with the count, not one per instant', () => {
    const { clock, loop, log } = setup('2026-01-01T00:00:00.000Z');
    const s = every(1_000);
    loop.set('every-second', s.next, s.count, clock.now().getTime());
    clock.tick(86_400_000);
    loop.tick();
    expect(log()).toEqual(['every-second 2026-01-01T00:00:01.000Z x86400']);
    expect(loop.nextAt('every-second')?.toISOString()).toBe('2026-01-02T00:00:01.000Z');
  });

  it('a clock step backward never hands out an instant twice', () => {
    const { clock, loop, log } = setup('2026-01-01T00:00:00.500Z');
    const s = every(1_000);
    loop.set('s', s.next, s.count, clock.now().getTime());
    clock.tick(600);
    loop.tick();
    clock.tick(-60_000);
    loop.tick();
    clock.tick(60_000);
    loop.tick();
    expect(log()).toEqual(['s 2026-01-01T00:00:01.000Z x1']);
  });

  it('replacing a schedule keeps one entry and uses the new definition', () => {
    const { clock, loop, log } = setup('2026-01-01T00:00:00.000Z');
    const slow = every(60_000);
    const fast = every(1_000);
    loop.set('x', slow.next, slow.count, clock.now().getTime());
    loop.set('x', fast.next, fast.count, clock.now().getTime());
    expect(loop.size).toBe(1);
    clock.tick(1_000);
    loop.tick();
    expect(log()).toEqual(['x 2026-01-01T00:00:01.000Z x1']);
  });

  it('stop() clears the timer and hands out nothing more', () => {
    const { clock, timers, loop, log } = setup('2026-01-01T00:00:00.000Z');
    const s = every(1_000);
    loop.set('s', s.next, s.count, clock.now().getTime());
    loop.stop();
    expect(timers.pending).toEqual([]);
    clock.tick(5_000);
    loop.tick();
    expect(log()).toEqual([]);
  });

  it('prepares instants shortly before they come due, once, in instant order', () => {
    const clock = new ManualClock('2026-01-01T00:00:00.000Z');
    const timers = new FakeTimers();
    const calls: string[] = [];
    const loop = new FireLoop({
      clock,
      timers,
      prepareLeadMs: 50,
      onPrepare: (items) =>
        calls.push(`prepare ${items.map((i) => `${i.name}@${i.at.toISOString()}`).join(' ')}`),
      onDue: (d) => calls.push(`due ${d.name}@${d.first.toISOString()}`),
    });
    const s = every(1_000);
    const now = clock.now().getTime();
    loop.set('b', s.next, s.count, now);
    loop.set('a', s.next, s.count, now);
    expect(timers.pending.map((t) => t.ms)).toEqual([950 - 5]); // lead, then woken early
    timers.fire(clock);
    timers.fire(clock); // the short rest of the lead
    expect(calls).toEqual(['prepare b@2026-01-01T00:00:01.000Z a@2026-01-01T00:00:01.000Z']);
    expect(timers.pending.map((t) => t.ms)).toEqual([48]); // to 2 ms before the instant…
    timers.fire(clock);
    expect(timers.pending.map((t) => t.ms)).toEqual([0]); // …then polled up to it
    clock.tick(2);
    timers.fire(clock);
    expect(calls.slice(1)).toEqual(['due b@2026-01-01T00:00:01.000Z']); // the first at once
    timers.fire(clock); // the rest of the wake-up's fires on the next turn
    expect(calls.slice(1)).toEqual([
      'due b@2026-01-01T00:00:01.000Z',
      'due a@2026-01-01T00:00:01.000Z',
    ]);
    expect(timers.pending.map((t) => t.ms)).toEqual([950 - 5]);
  });

  it('sizes the lead by how many schedules are due at the instant', () => {
    const clock = new ManualClock('2026-01-01T00:00:00.000Z');
    const timers = new FakeTimers();
    const sizes: number[] = [];
    const calls: string[] = [];
    const loop = new FireLoop({
      clock,
      timers,
      prepareLeadMs: (batchSize) => {
        sizes.push(batchSize);
        return batchSize === 1 ? 50 : 400;
      },
      onPrepare: (items) => calls.push(`prepare ${items.map((i) => i.name).join(' ')}`),
      onDue: (d) => calls.push(`due ${d.name}`),
    });
    const s = every(1_000);
    const now = clock.now().getTime();
    loop.set('a', s.next, s.count, now);
    expect(timers.pending.map((t) => t.ms)).toEqual([950 - 5]); // one due: 50 ms ahead
    loop.set('b', s.next, s.count, now);
    loop.set('c', s.next, s.count, now);
    expect(timers.pending.map((t) => t.ms)).toEqual([600 - 5]); // three due: 400 ms ahead
    expect(sizes).toEqual([1, 2, 3]);
    timers.fire(clock);
    timers.fire(clock);
    expect(calls).toEqual(['prepare a b c']);
  });

  it('tells the earliest instant scheduled', () => {
    const { clock, loop } = setup('2026-01-01T00:00:00.000Z');
    expect(loop.earliestAt()).toBeUndefined();
    const a = every(3_000);
    const b = every(2_000);
    loop.set('a', a.next, a.count, clock.now().getTime());
    loop.set('b', b.next, b.count, clock.now().getTime());
    expect(loop.earliestAt()).toBe(Date.parse('2026-01-01T00:00:02.000Z'));
    loop.delete('b');
    expect(loop.earliestAt()).toBe(Date.parse('2026-01-01T00:00:03.000Z'));
  });
});
