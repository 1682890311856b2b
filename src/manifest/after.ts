// `spec.after` as the rest of cronops sees it: the upstreams of a schedule and how a list of them reads (the schema is after-schema.ts).

/** Which final statuses of an upstream run start the downstream. */
export const AFTER_WHEN = ['succeeded', 'failed', 'finished'] as const;

export type AfterWhen = (typeof AFTER_WHEN)[number];

/** One upstream of a schedule: run after each run of `schedule` that ends as `when` says. */
export interface AfterSpec {
  /** The upstream schedule's `metadata.name`. */
  schedule: string;
  /** succeeded; failed (failed or timed out); finished (any end of a run that started). */
  when: AfterWhen;
}

/** How an `after` list reads in the status and the CLI: "after extract (succeeded), load (failed)". */
export function describeAfter(after: readonly AfterSpec[]): string {
  return `after ${after.map((entry) => `${entry.schedule} (${entry.when})`).join(', ')}`;
}
