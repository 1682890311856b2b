// The claim head start: how far ahead of an instant a replica claims it, from the measured latency of
// claim statements of about that batch's size. Pure; the ledger keeps the observations.

/** One claim statement: how many fires it carried and how long its round trip took. */
export interface ClaimObservation {
  batchSize: number;
  latencyMs: number;
}

export interface ClaimLeadOptions {
  /** Added to the bucket's p99 (event-loop delay, a slower statement than any seen). @default 100 */
  marginMs?: number;
  /** The shortest head start. @default 50 */
  minMs?: number;
  /** The database refuses a claim further ahead than this; the head start stays `marginMs` inside it. @default 2000 */
  maxLeadMs?: number;
  /** A bucket with fewer observations than this is not trusted on its own. @default 5 */
  minSamples?: number;
  /** The head start before anything was measured (and the floor while only smaller batches were). @default 250 */
  defaultMs?: number;
}

/**
 * Batch sizes are grouped by order of magnitude (1, 2–10, 11–100, 101–1,000, more): the claim statement's
 * cost grows with the rows it inserts, and a bucket needs enough samples for its p99 to mean something.
 */
export function selectBatchBucket(batchSize: number): number {
  if (batchSize <= 1) return 0;
  return Math.min(4, Math.ceil(Math.log10(batchSize) - 1e-9));
}

/** The p99 of some latencies (the nearest rank), or undefined when there are none. */
export function selectP99(latencies: readonly number[]): number | undefined {
  if (latencies.length === 0) return undefined;
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
}

/**
 * How many milliseconds ahead of an instant to claim a batch of `batchSize` fires: the p99 of the claim
 * latency observed for batches of that size's bucket, plus `marginMs`, clamped to
 * [`minMs`, `maxLeadMs` − `marginMs`].
 *
 * - A bucket with fewer than `minSamples` observations borrows the smallest larger bucket that has
 *   enough (a larger batch is never faster); without one, `defaultMs`, raised to what a smaller bucket
 *   with enough samples calls for (a larger batch is never faster either way).
 */
export function computeClaimLead(
  observations: readonly ClaimObservation[],
  batchSize: number,
  options: ClaimLeadOptions = {},
): number {
  const { marginMs = 100, minMs = 50, maxLeadMs = 2000, minSamples = 5, defaultMs = 250 } = options;
  const buckets: number[][] = [[], [], [], [], []];
  for (const { batchSize: size, latencyMs } of observations) {
    if (Number.isFinite(latencyMs)) buckets[selectBatchBucket(size)]!.push(latencyMs);
  }
  const p99Of = (bucket: number): number | undefined => {
    const latencies = buckets[bucket]!;
    return latencies.length >= minSamples ? selectP99(latencies) : undefined;
  };
  const own = selectBatchBucket(batchSize);
  let p99: number | undefined;
  for (let bucket = own; bucket < buckets.length && p99 === undefined; bucket += 1) {
    p99 = p99Of(bucket);
  }
  let lead: number;
  if (p99 !== undefined) lead = p99 + marginMs;
  else {
    lead = defaultMs;
    for (let bucket = own - 1; bucket >= 0; bucket -= 1) {
      const smaller = p99Of(bucket);
      if (smaller !== undefined) {
        lead = Math.max(lead, smaller + marginMs);
        break;
      }
    }
  }
  const ceiling = Math.max(minMs, maxLeadMs - marginMs);
  return Math.round(Math.min(ceiling, Math.max(minMs, lead)));
}
