// Deciding, for one schedule, every CronJob field that maps, what cannot map (errors) and what only approximates (warnings).
import { retryDelayMs } from '../daemon/backoff.js';
import type { LoadedSchedule } from '../manifest/load.js';
import type { PathSegment } from '../manifest/yaml.js';
import { mapCronSchedule } from './cron-schedule.js';
import { describeDstOverlap, type DstWindow } from './dst-warning.js';

/** The longest CronJob name: the controller appends 11 characters and a Job name is at most 63. */
export const CRONJOB_NAME_MAX_LENGTH = 52;
/** The controller looks for due CronJobs about every 10 s, so a shorter deadline is not kept. */
export const MIN_STARTING_DEADLINE_SECONDS = 10;
/** Room in activeDeadlineSeconds for `cronops exec` itself: loading, notifications, recording. */
export const EXEC_OVERHEAD_SECONDS = 60;

/** Something about one field of a schedule, to be reported at that field's position. */
export interface FieldNote {
  path: PathSegment[];
  text: string;
}

/** The CronJob settings that map from a schedule. */
export interface CronJobPlan {
  name: string;
  schedule: string;
  timeZone: string;
  concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace';
  startingDeadlineSeconds: number;
  suspend: boolean;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
  activeDeadlineSeconds: number;
  terminationGracePeriodSeconds: number;
}

/** A schedule's plan and its warnings, or every reason it cannot be a CronJob. */
export type CronJobDecision =
  { ok: true; plan: CronJobPlan; warnings: FieldNote[] } | { ok: false; errors: FieldNote[] };

/** What the decision needs besides the schedule. */
export interface PlanContext {
  now: Date;
  namePrefix: string;
  /** The daylight-saving transitions of a zone in the year after `now`. */
  dstWindows(timeZone: string): readonly DstWindow[];
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Decide every field of one schedule's CronJob. Pure: `now` and the DST windows come from the caller. */
export function planCronJob(schedule: LoadedSchedule, context: PlanContext): CronJobDecision {
  const { spec } = schedule;
  const errors: FieldNote[] = [];
  const warnings: FieldNote[] = [];
  const name = `${context.namePrefix}${schedule.name}`;
  if (name.length > CRONJOB_NAME_MAX_LENGTH) {
    errors.push({
      path: ['metadata', 'name'],
      text: `the name "${name}" is ${name.length} characters; a CronJob name is at most ${CRONJOB_NAME_MAX_LENGTH} (the controller adds 11 to name its Jobs)`,
    });
  }
  for (const [key, value] of Object.entries(schedule.metadata.labels)) {
    const problem = checkLabel(key, value);
    if (problem !== undefined) errors.push({ path: ['metadata', 'labels', key], text: problem });
  }
  const mapped = mapCronSchedule(schedule.compiled, spec.timezone);
  if (!mapped.ok) errors.push({ path: ['spec', 'schedule'], text: mapped.reason });
  else for (const text of mapped.warnings) warnings.push({ path: ['spec', 'schedule'], text });
  if (spec.concurrencyPolicy === 'Queue') {
    errors.push({
      path: ['spec', 'concurrencyPolicy'],
      text: 'concurrencyPolicy Queue has no CronJob equivalent (Allow, Forbid or Replace)',
    });
  }
  if (spec.catchUp === 'all') {
    errors.push({
      path: ['spec', 'catchUp'],
      text: 'catchUp: all has no CronJob equivalent: the controller starts at most the latest missed time',
    });
  }
  // `spec.after` (pipelines) is not a clock schedule: the controller cannot start a Job when another ends.
  const after = (spec as unknown as Record<string, unknown>)['after'];
  if (after !== undefined) {
    errors.push({
      path: ['spec', 'after'],
      text: 'an after chain has no CronJob equivalent: a CronJob starts by the clock, not when another Job ends',
    });
  }
  const now = context.now.toISOString();
  if (spec.activeFrom !== undefined && spec.activeFrom > now) {
    errors.push({
      path: ['spec', 'activeFrom'],
      text: `the active window starts at ${spec.activeFrom}, still to come; a CronJob has no start time (render it again once the window has started)`,
    });
  }
  const ended = spec.activeUntil !== undefined && spec.activeUntil <= now;
  if (ended) {
    warnings.push({
      path: ['spec', 'activeUntil'],
      text: `the active window ended at ${spec.activeUntil}: rendered with suspend: true`,
    });
  } else if (spec.activeUntil !== undefined) {
    warnings.push({
      path: ['spec', 'activeUntil'],
      text: `a CronJob has no end time: it keeps firing after activeUntil ${spec.activeUntil} until rendered again (then it is suspended)`,
    });
  }
  let startingDeadlineSeconds = Math.ceil(spec.startingDeadline / 1000);
  if (spec.catchUp === 'none') {
    startingDeadlineSeconds = MIN_STARTING_DEADLINE_SECONDS;
    warnings.push({
      path: ['spec', 'catchUp'],
      text: `catchUp: none becomes startingDeadlineSeconds: ${MIN_STARTING_DEADLINE_SECONDS}: a fire missed by less than ${MIN_STARTING_DEADLINE_SECONDS} s still starts`,
    });
  } else if (startingDeadlineSeconds < MIN_STARTING_DEADLINE_SECONDS) {
    warnings.push({
      path: ['spec', 'startingDeadline'],
      text: `startingDeadline ${startingDeadlineSeconds}s becomes startingDeadlineSeconds: ${MIN_STARTING_DEADLINE_SECONDS} (the controller checks about every 10 s): a fire up to ${MIN_STARTING_DEADLINE_SECONDS} s late still starts`,
    });
    startingDeadlineSeconds = MIN_STARTING_DEADLINE_SECONDS;
  }
  if (spec.jitter > 0) {
    warnings.push({
      path: ['spec', 'jitter'],
      text: `jitter ${spec.jitter / 1000}s is not applied: the Job starts when the controller starts it, with no added random delay`,
    });
  }
  if (spec.notify.some((entry) => entry.on.includes('missed'))) {
    warnings.push({
      path: ['spec', 'notify'],
      text: 'notify on "missed" is never sent: only a running scheduler sees a missed fire, and the pod of a missed fire never starts',
    });
  }
  if (mapped.ok) {
    const dst = describeDstOverlap(
      schedule.compiled,
      mapped.timeZone,
      context.dstWindows(mapped.timeZone),
    );
    if (dst !== undefined) warnings.push({ path: ['spec', 'schedule'], text: dst });
  }
  if (errors.length > 0 || !mapped.ok || spec.concurrencyPolicy === 'Queue')
    return { ok: false, errors };
  return {
    ok: true,
    warnings,
    plan: {
      name,
      schedule: mapped.schedule,
      timeZone: mapped.timeZone,
      concurrencyPolicy: spec.concurrencyPolicy,
      startingDeadlineSeconds,
      suspend: spec.suspend || ended,
      successfulJobsHistoryLimit: spec.history.successfulRunsLimit,
      failedJobsHistoryLimit: spec.history.failedRunsLimit,
      activeDeadlineSeconds: computeActiveDeadlineSeconds(schedule),
      terminationGracePeriodSeconds: Math.ceil(spec.killGracePeriod / 1000),
    },
  };
}

/**
 * The longest a whole run may take, in seconds: every attempt's timeout and kill grace period,
 * the backoff delays between attempts, and EXEC_OVERHEAD_SECONDS. Kubernetes applies
 * activeDeadlineSeconds to the whole Job; `cronops exec` enforces the per-attempt timeout itself.
 */
export function computeActiveDeadlineSeconds(schedule: Pick<LoadedSchedule, 'spec'>): number {
  const { timeout, killGracePeriod, retries } = schedule.spec;
  const attempts = retries.limit + 1;
  let totalMs = attempts * (timeout + killGracePeriod);
  for (let attempt = 2; attempt <= attempts; attempt++) totalMs += retryDelayMs(retries, attempt);
  return Math.ceil(totalMs / 1000) + EXEC_OVERHEAD_SECONDS;
}

function checkLabel(key: string, value: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  const keyOk =
    LABEL_NAME.test(name) &&
    (prefix === undefined || (prefix.length <= 253 && LABEL_PREFIX.test(prefix)));
  if (!keyOk)
    return `the label key "${key}" is not a Kubernetes label key (at most 63 letters, digits, "-", "_", "." with an optional DNS prefix and "/")`;
  if (!LABEL_VALUE.test(value))
    return `the label value "${value}" of "${key}" is not a Kubernetes label value (at most 63 letters, digits, "-", "_", "."; starting and ending with a letter or digit)`;
  return undefined;
}
