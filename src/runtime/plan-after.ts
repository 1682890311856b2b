// Which downstream runs the end of a run starts (`spec.after`), and which are recorded skipped instead.
import type { AfterSpec, AfterWhen } from '../manifest/schema.js';

/** The final statuses of a run that had started; anything else (skipped, missed, pending) starts nothing. */
export type FinalStatus = 'succeeded' | 'failed' | 'timedOut' | 'cancelled' | 'interrupted';

/** What each `when` accepts, after the upstream's retries. */
const ACCEPTS: Readonly<Record<AfterWhen, ReadonlySet<string>>> = {
  succeeded: new Set(['succeeded']),
  failed: new Set(['failed', 'timedOut']),
  finished: new Set(['succeeded', 'failed', 'timedOut', 'cancelled', 'interrupted']),
};

/** Whether a run that ended as `status` starts a downstream listed with `when`. */
export function matchesWhen(when: AfterWhen, status: string): boolean {
  return ACCEPTS[when].has(status);
}

/** The run that ended. */
export interface EndedRun {
  schedule: string;
  runId: string;
  /** Its final status, after its retries. */
  status: string;
  /** When it was scheduled (its chain's logical time when it is a chain's first run). */
  scheduledAt: string;
  /** Set when an `after` started it: the chain it belongs to, and the chain's logical time. */
  chainId?: string;
  logicalTime?: string;
}

/** What the planner needs to know about a schedule that may run after others. */
export interface AfterCandidate {
  name: string;
  after?: readonly AfterSpec[];
  suspend: boolean;
  activeFrom?: string;
  activeUntil?: string;
  /** Set when its `after` links are broken (see DesiredSchedule.afterBlocked). */
  afterBlocked?: string;
}

/** One downstream the ended run concerns. */
export interface AfterFire {
  schedule: string;
  /** fire: start it (subject to its concurrency policy and the cap); skip: record it skipped. */
  action: 'fire' | 'skip';
  /** Why it is skipped. */
  reason?: string;
  /** The link it inherits. */
  upstream: { schedule: string; runId: string; status: string };
  /** The chain root's run id. */
  chainId: string;
  /** The chain root's scheduledAt. */
  logicalTime: string;
}

/**
 * Decide what the end of `ended` starts, at `now`: every candidate listing its schedule with a `when` its
 * final status matches, in name order. A suspended upstream starts nothing; a suspended downstream, one
 * outside its active window or one whose links are broken is recorded skipped with the reason. Pure.
 */
export function planAfterFires(input: {
  ended: EndedRun;
  /** Whether the upstream is suspended now. */
  upstreamSuspended: boolean;
  candidates: Iterable<AfterCandidate>;
  now: Date;
}): AfterFire[] {
  const { ended, now } = input;
  if (input.upstreamSuspended) return [];
  const link = {
    upstream: { schedule: ended.schedule, runId: ended.runId, status: ended.status },
    chainId: ended.chainId ?? ended.runId,
    logicalTime: ended.logicalTime ?? ended.scheduledAt,
  };
  const fires: AfterFire[] = [];
  for (const candidate of input.candidates) {
    const entry = candidate.after?.find((item) => item.schedule === ended.schedule);
    if (entry === undefined || !matchesWhen(entry.when, ended.status)) continue;
    const reason = explainSkip(candidate, now);
    fires.push(
      reason === undefined
        ? { schedule: candidate.name, action: 'fire', ...link }
        : { schedule: candidate.name, action: 'skip', reason, ...link },
    );
  }
  return fires.sort((a, b) => (a.schedule < b.schedule ? -1 : a.schedule > b.schedule ? 1 : 0));
}

function explainSkip(candidate: AfterCandidate, now: Date): string | undefined {
  if (candidate.afterBlocked !== undefined)
    return `its after links are broken (${candidate.afterBlocked}); it runs by after only once its file is fixed`;
  if (candidate.suspend) return 'the schedule is suspended';
  const at = now.toISOString();
  if (candidate.activeFrom !== undefined && at < candidate.activeFrom)
    return `outside its active window: it is active from ${candidate.activeFrom}`;
  if (candidate.activeUntil !== undefined && at > candidate.activeUntil)
    return `outside its active window: it was active until ${candidate.activeUntil}`;
  return undefined;
}

/**
 * Whether a downstream fire made durable at `triggeredAt` (its upstream's end) may still start at `now`
 * after a restart: within its startingDeadline, else it is recorded missed.
 */
export function isWithinDeadline(
  triggeredAt: string,
  startingDeadlineMs: number,
  now: Date,
): boolean {
  return now.getTime() - Date.parse(triggeredAt) <= startingDeadlineMs;
}
