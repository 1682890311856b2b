import { describe, expect, it } from 'vitest';
import {
  computeClaimLead,
  selectBatchBucket,
  selectP99,
  type ClaimObservation,
} from '../../../src/store/pg/claim-lead.js';

/** `count` statements of `batchSize` fires, latencies from `from` stepping by `step`. */
const seen = (batchSize: number, count: number, from: number, step = 0): ClaimObservation[] =>
  Array.from({ length: count }, (_, i) => ({ batchSize, latencyMs: from + i * step }));

describe('store/pg/claim-lead', () => {
  it.each([
    [1, 0],
    [2, 1],
    [10, 1],
    [11, 2],
    [100, 2],
    [101, 3],
    [1000, 3],
    [1001, 4],
    [50_000, 4],
  ])('puts a batch of %i in bucket %i', (size, bucket) => {
    expect(selectBatchBucket(size)).toBe(bucket);
  });

  it.each([
    [[], undefined],
    [[7], 7],
    [[3, 1, 2], 3],
    [Array.from({ length: 100 }, (_, i) => i + 1), 99],
    [Array.from({ length: 200 }, (_, i) => i + 1), 198],
  ])('p99 of %j is %s', (latencies, p99) => {
    expect(selectP99(latencies)).toBe(p99);
  });

  it.each<[string, ClaimObservation[], number, number]>([
    ['nothing measured yet: the default', [], 1, 250],
    ['too few samples in the bucket: the default', seen(1, 4, 500), 1, 250],
    ['fast single claims: p99 + margin, above the floor', seen(1, 100, 2), 1, 102],
    ['p99 of 100 statements of 1 to 100 ms', seen(1, 100, 1, 1), 1, 199],
    ['a slow bucket does not slow a fast one', [...seen(1, 20, 5), ...seen(1000, 20, 400)], 1, 105],
    ['a large batch uses its own bucket', [...seen(1, 20, 5), ...seen(1000, 20, 400)], 1000, 500],
    ['an unmeasured size borrows the next larger bucket', seen(1000, 20, 300), 50, 400],
    ['else the default, raised to a smaller bucket', seen(10, 20, 600), 1000, 700],
    ['else the default when smaller buckets are fast', seen(10, 20, 20), 1000, 250],
    ['clamped below the database limit minus the margin', seen(100, 20, 3000), 100, 1900],
    ['never below the floor', seen(1, 20, 0), 1, 100],
  ])('%s', (_, observations, batchSize, lead) => {
    expect(computeClaimLead(observations, batchSize)).toBe(lead);
  });

  it.each<[string, Parameters<typeof computeClaimLead>[2], number]>([
    ['a smaller margin and floor', { marginMs: 10, minMs: 10 }, 30],
    ['a higher floor', { marginMs: 10, minMs: 80 }, 80],
    ['a smaller database limit', { maxLeadMs: 500, marginMs: 100 }, 120],
  ])('options: %s', (_, options, lead) => {
    expect(computeClaimLead(seen(1, 20, 20), 1, options)).toBe(lead);
  });

  it('a limit below the margin still leaves the floor', () => {
    expect(computeClaimLead(seen(1, 20, 900), 1, { maxLeadMs: 100, marginMs: 100 })).toBe(50);
  });
});
