// The events the daemon publishes: runs starting and finishing, reloads.
import type { ManifestIssue } from '../manifest/issue.js';
import type { RunEvent } from './run-records.js';

/** Events the daemon publishes (for the event stream and tests). */
export type DaemonEvent =
  | RunEvent
  | { type: 'config:reloaded'; trigger: string; ok: boolean; errors: number }
  | { type: 'config:error'; trigger: string; issues: readonly ManifestIssue[] };
