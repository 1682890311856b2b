import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { FireLoop, type DueFires } from '../../src/runtime/scheduler.js';
import type { Timers } from '../../src/runtime/timers.js';

/** Timers run only when the test says so; immediates are kept apart from timeouts. */
class FakeTimers implements Timers {
  timeouts = new Map<number, () => void>();
  immediates = new Map<number, () => void>();
  #next = 1;
  set(callback: () => void) {
    const id = this.#next++;
    this.timeouts.set(id, callback);
    return id;
  }
  every(): never {
    throw new Error('the fire loop never repeats a timer');
  }
  immediate(callback: () => void) {
    const id = this.#next++;
    this.immediates.set(id, callback);
    return id;
  }
  clear(handle: unknown) {
    this.timeouts.delete(handle as number);
    this.immediates.delete(handle as number);
  }
  /** One turn of the event loop: the immediates queued before it. */
  turn() {
    const queued = [...this.immediates];
    this.immediates.clear();
    for (const [, callback] of queued) callback();
  }
}

/** 1,000 schedules every 10 s, all due at the same instant. */
const setup = (costMs: number) => {
  const clock = new ManualClock('2026-01-01T00:00:09.000Z');
  const timers = new FakeTimers();
  const handed: DueFires[] = [];
  let elapsed = 0;
  const stopwatch = { elapsedMs: () => elapsed };
  const loop = new FireLoop({
    clock,
    timers,
    stopwatch,
    onDue: (d) => {
      handed.push(d);
      elapsed += costMs; // what starting the fire's process costs (after onDue, before the next turn)
    },
  });
  const period = 10_000;
  const next = (after: number) => Math.floor(after / period) * period + period;
  const count = () => ({ count: 0 });
  for (let i = 0; i < 1_000; i += 1)
    loop.set(`job-${String(i).padStart(4, '0')}`, next, count, clock.now().getTime());
  clock.tick(1_000); // 00:00:10.000: every schedule is due
  return { clock, timers, loop, handed };
};

describe('runtime/scheduler: a burst is handed out in slices', () => {
  it('hands out the first fire at once and sizes later slices to about 50 ms of work', () => {
    const { timers, loop, handed } = setup(5);
    loop.tick();
    expect(handed.map((d) => d.name)).toEqual(['job-0000']);
    expect(loop.pendingCount).toBe(999);
    const sizes: number[] = [];
    while (loop.pendingCount > 0) {
      const before = handed.length;
      timers.turn();
      sizes.push(handed.length - before);
    }
    // 5 ms a fire: ten fires a slice (50 ms), never more than twice the previous slice.
    expect(sizes.slice(0, 5)).toEqual([2, 4, 8, 10, 10]);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(999);
    expect(handed.every((d) => d.first.toISOString() === '2026-01-01T00:00:10.000Z')).toBe(true);
  });

  it.each([
    [0, [2, 4, 8, 16, 32, 32]],
    [1, [2, 4, 8, 16, 32, 32]],
    [16, [2, 3, 3, 3, 3, 3]],
    [60, [1, 1, 1, 1, 1, 1]],
  ])('at %i ms a fire, slices grow as %j', (costMs, expected) => {
    const { timers, loop, handed } = setup(costMs);
    loop.tick();
    const sizes: number[] = [];
    for (let i = 0; i < expected.length; i += 1) {
      const before = handed.length;
      timers.turn();
      sizes.push(handed.length - before);
    }
    expect(sizes).toEqual(expected);
  });

  it('keeps instant order when the next instant comes due during a burst', () => {
    const { clock, timers, loop, handed } = setup(16);
    loop.tick();
    for (let i = 0; i < 10; i += 1) timers.turn();
    clock.tick(10_000); // 00:00:20: due again while the 00:00:10 burst is still being handed out
    loop.tick();
    expect(handed).toHaveLength(30); // no fire of 00:00:20 jumps ahead
    while (loop.pendingCount > 0) timers.turn();
    const instants = handed.map((d) => d.first.getTime());
    expect(instants).toEqual([...instants].sort((a, b) => a - b));
    expect(handed).toHaveLength(2_000);
    expect(new Set(handed.map((d) => `${d.name} ${d.first.toISOString()}`)).size).toBe(2_000);
  });

  it('stops handing out on stop() and returns the rest of the burst', () => {
    const { timers, loop, handed } = setup(16);
    loop.tick();
    for (let i = 0; i < 5; i += 1) timers.turn();
    const rest = loop.stop();
    timers.turn();
    expect(handed).toHaveLength(15);
    expect(rest).toHaveLength(985);
    // Together, what was handed out and what is returned are every schedule once.
    expect(new Set([...handed, ...rest].map((d) => d.name)).size).toBe(1_000);
    expect(timers.immediates.size).toBe(0);
    expect(loop.pendingCount).toBe(0);
  });
});
