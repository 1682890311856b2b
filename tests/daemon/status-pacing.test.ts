import { describe, expect, it } from 'vitest';
import { planQuietMs, planStatusDeferMs } from '../../src/daemon/status-pacing.js';

const at = (iso: string): number => Date.parse(iso);
const NOW = '2026-03-01T12:00:00.000Z';

describe('daemon/status-pacing', () => {
  it.each([
    ['nothing scheduled', undefined, false, 0, 0],
    ['next fire far ahead', '2026-03-01T12:00:01.000Z', false, 0, 0],
    ['next fire in 149 ms: until 20 ms after it', '2026-03-01T12:00:00.149Z', false, 169, 169],
    ['next fire in 150 ms: not yet', '2026-03-01T12:00:00.150Z', false, 0, 0],
    ['a fire 19 ms ago: 1 ms more', '2026-03-01T11:59:59.981Z', false, 1, 1],
    ['a fire 20 ms ago: over', '2026-03-01T11:59:59.980Z', false, 0, 0],
    ['a burst handed out: the status waits 5 s', '2026-03-01T12:01:00.000Z', true, 5_000, 0],
    ['a burst handed out and a fire due: 5 s', '2026-03-01T12:00:00.100Z', true, 5_000, 120],
  ])('%s', (_, next, handingOut, status, quiet) => {
    const state = {
      nextFireMs: next === undefined ? undefined : at(next),
      nowMs: at(NOW),
      handingOut,
    };
    expect(planStatusDeferMs(state)).toBe(status);
    expect(planQuietMs(state)).toBe(quiet);
  });
});
