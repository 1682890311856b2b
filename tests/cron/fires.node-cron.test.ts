import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTask } from 'node-cron';
import { compileSchedule } from '../../src/cron/compile.js';
import { nextFires } from '../../src/cron/fires.js';

/** A small seeded generator, so every run checks the same instants. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FROM = Date.parse('2020-01-01T00:00:00Z');
const TO = Date.parse('2035-12-31T00:00:00Z');
const random = createRandom(20_260_308);
/** Whole seconds: node-cron's getNextRuns starts from `now` truncated to the second. */
const INSTANTS = Array.from(
  { length: 200 },
  () => Math.floor((FROM + random() * (TO - FROM)) / 1000) * 1000,
);

// In UTC there is no DST, and with at least one day field "*" the Vixie rule is AND, which is
// what node-cron does: here both must give the same instants. node-cron walks day by day, so
// the sparse leap-day expression is checked from fewer instants to keep the test quick.
const CASES = [
  { expression: '*/7 * * * *', instants: 200 },
  { expression: '5,35 1-5 * 1,7 0', instants: 200 },
  { expression: '15 4 * * MON-FRI', instants: 200 },
  { expression: '0 0 L * *', instants: 200 },
  { expression: '0 12 LW * *', instants: 200 },
  { expression: '30 9 15W * *', instants: 200 },
  { expression: '0 0 L-3 * *', instants: 200 },
  { expression: '0 0 * * 5L', instants: 200 },
  { expression: '0 8 * * 1#2', instants: 200 },
  { expression: '0 0 29 2 *', instants: 40 },
  { expression: '0 0 1 */3 *', instants: 200 },
  { expression: '*/20 * * * * *', instants: 200 },
  { expression: '0 22-2 * * *', instants: 200 },
  { expression: '@weekly', instants: 200 },
];
const FIRES_PER_INSTANT = 3;

/** node-cron's own next runs after `now`, with Date pinned so getNextRuns starts there. */
function nextRunsOfNodeCron(expression: string, now: number, count: number): string[] {
  vi.setSystemTime(now);
  const task = createTask(expression, () => undefined, { timezone: 'UTC' });
  try {
    return task.getNextRuns(count).map((d) => d.toISOString());
  } finally {
    void task.destroy();
  }
}

describe('cron/fires', () => {
  describe('agrees with node-cron in UTC where the rules coincide', () => {
    // The only fake: Date, at the node-cron boundary, because getNextRuns reads `new Date()`.
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it.each(CASES)(
      `$expression, ${FIRES_PER_INSTANT} fires after each of $instants random instants`,
      ({ expression, instants }) => {
        const compiled = compileSchedule(expression);
        if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
        const sample = INSTANTS.slice(0, instants);
        const ours = sample.map((t) =>
          nextFires(compiled.schedule, 'UTC', new Date(t), FIRES_PER_INSTANT).map((d) =>
            d.toISOString(),
          ),
        );
        const theirs = sample.map((t) => nextRunsOfNodeCron(expression, t, FIRES_PER_INSTANT));
        expect(ours).toEqual(theirs);
      },
      60_000,
    );
  });
});
