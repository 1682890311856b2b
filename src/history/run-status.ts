// Run statuses: no Node imports, so the dashboard's browser bundle shares the list.

/** Where a run is in its life, or how it ended. */
export type RunStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timedOut'
  | 'skipped'
  | 'missed'
  | 'interrupted'
  | 'cancelled';

/** Every RunStatus, in the order they are listed in SPEC 4. */
export const RUN_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'timedOut',
  'skipped',
  'missed',
  'interrupted',
  'cancelled',
] as const satisfies readonly RunStatus[];
