import { describe, expect, it } from 'vitest';
import { WriteSlots } from '../../src/history/write-slots.js';

describe('history/write-slots', () => {
  it('lets at most max writes in; durable ones go first, each kind in the order it asked', async () => {
    const slots = new WriteSlots(2);
    expect(slots.acquire(false)).toBeUndefined();
    expect(slots.acquire(false)).toBeUndefined();
    const order: string[] = [];
    const wait = (name: string, durable: boolean) =>
      void slots.acquire(durable)?.then(() => order.push(name));
    wait('b1', false);
    wait('b2', false);
    wait('d1', true);
    wait('d2', true);
    for (let i = 0; i < 4; i += 1) {
      slots.release();
      await Promise.resolve();
    }
    expect(order).toEqual(['d1', 'd2', 'b1', 'b2']);
    // Every slot handed over and released: free again.
    slots.release();
    slots.release();
    expect(slots.acquire(false)).toBeUndefined();
  });

  it('hands 100,000 queued writes over one by one without losing any', async () => {
    const slots = new WriteSlots(1);
    expect(slots.acquire(false)).toBeUndefined();
    let started = 0;
    const waiting = Array.from({ length: 100_000 }, (_, i) =>
      slots.acquire(i % 10 === 0)!.then(() => (started += 1)),
    );
    for (let i = 0; i < 100_000; i += 1) slots.release();
    await Promise.all(waiting);
    expect(started).toBe(100_000);
  });
});
