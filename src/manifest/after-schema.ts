// `spec.after`: the schedules whose runs start this one, and which of their final statuses do.
import { z } from 'zod';
import { AFTER_WHEN } from './after.js';
import { describeValue } from './issue-messages.js';

export { AFTER_WHEN, describeAfter, type AfterSpec, type AfterWhen } from './after.js';

/** The same pattern as `metadata.name`; repeated here so this module stays a leaf of schema.ts. */
const UPSTREAM_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const afterEntrySchema = z
  .strictObject({
    schedule: z
      .string()
      .regex(UPSTREAM_NAME_PATTERN, {
        error: (iss) =>
          `expected the metadata.name of another schedule (lowercase letters, digits and "-"), got ${describeValue(iss.input)}`,
      })
      .meta({ description: "The upstream schedule's metadata.name." }),
    when: z.enum(AFTER_WHEN).default('succeeded').meta({
      description:
        "Which final outcome of the upstream's run (after its retries) starts this schedule: succeeded (default), failed (failed or timed out), finished (any end of a run that started).",
    }),
  })
  .meta({ description: 'Run after each run of this schedule that ends as `when` says.' });

/** `spec.after`: at least one upstream, each named once. */
export const afterListSchema = z
  .array(afterEntrySchema)
  .min(1, {
    error: 'expected at least one upstream, like [{ schedule: extract }]; remove "after" instead',
  })
  .check(
    z.superRefine((entries, ctx) => {
      const seen = new Map<string, number>();
      entries.forEach((entry, index) => {
        const first = seen.get(entry.schedule);
        if (first === undefined) {
          seen.set(entry.schedule, index);
          return;
        }
        ctx.addIssue({
          code: 'custom',
          path: [index, 'schedule'],
          input: entry.schedule,
          message: `"${entry.schedule}" is already listed at after[${first}]; list an upstream once (when: finished covers both outcomes)`,
        });
      });
    }),
  )
  .meta({
    description:
      'Run this schedule after other schedules: once for every run of a listed schedule that ends with a matching final status. A list means "after any of these". With "after", "schedule" is optional.',
  });
