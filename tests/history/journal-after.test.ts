import { describe, expect, it } from 'vitest';
import { compactIntents, type FireIntent } from '../../src/history/journal.js';

const CUTOFF = Date.parse('2026-03-08T02:00:00.000Z');

const intent = (
  runId: string,
  schedule: string,
  at: string,
  extra: Partial<FireIntent> = {},
): FireIntent => ({
  runId,
  schedule,
  scheduledAt: at,
  trigger: 'after',
  specHash: 'h',
  upstream: { schedule: 'up', runId: 'U1', status: 'succeeded' },
  ...extra,
});

describe('history/journal (after fires)', () => {
  it.each([
    [
      'an old after fire still awaiting its start stays',
      [intent('D1', 'down', '2026-03-08T01:00:00.000Z', { awaitingStart: true })],
      [],
      ['D1'],
    ],
    [
      'an after fire that started goes once old (its start entry too), and never becomes a watermark',
      [
        intent('D1', 'down', '2026-03-08T01:00:00.000Z', { awaitingStart: true }),
        intent('D1', 'down', '2026-03-08T01:00:00.000Z'),
      ],
      ['D1'],
      [],
    ],
    [
      'an after fire that ended without starting (recorded skipped) goes',
      [intent('D1', 'down', '2026-03-08T01:00:00.000Z', { awaitingStart: true })],
      ['D1'],
      [],
    ],
    [
      'a recent start entry stays; the mark of a fire that started goes',
      [
        intent('D1', 'down', '2026-03-08T02:00:01.000Z', { awaitingStart: true }),
        intent('D1', 'down', '2026-03-08T02:00:01.000Z'),
      ],
      ['D1'],
      ['D1'],
    ],
  ])('%s', (_what, intents, recorded, kept) => {
    const result = compactIntents(intents, CUTOFF, (i) => recorded.includes(i.runId));
    expect(result.map((i) => i.runId)).toEqual(kept);
    expect(result.some((i) => i.settled)).toBe(false);
  });
});
