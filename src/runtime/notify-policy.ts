// Which notify entries a finished run (or a missed fire) notifies: the pure decision behind `mode` and `repeatInterval`.
import { createHash } from 'node:crypto';

/** What a notification is about. */
export type NotifyEvent = 'failure' | 'success' | 'recovery' | 'missed';

/** A notify entry as the decision needs it (a `NotifySpec`). */
export interface NotifyPolicyEntry {
  on: readonly NotifyEvent[];
  /** `change`: only when the schedule's last final outcome changes (and every `repeatInterval`); `every`: each time. @default 'change' */
  mode?: 'change' | 'every';
  /** mode change: send again while the outcome stays the same once this many ms passed since the entry's last notification. */
  repeatInterval?: number;
  webhook?: { url: string };
  command?: readonly string[];
}

/** A run of the history as the decision reads it (a `RunRecord`). */
export interface NotifyPolicyRun {
  id: string;
  status: string;
  /** Per entry key: when that entry last sent a notification for the schedule (carried from final run to final run). */
  notified?: Readonly<Record<string, string>>;
}

/** What a finished run or missed fire is to notify, and what it carries for the next decision. */
export interface NotificationPlan {
  /** One send per entry and event, in entry order. `entry` indexes the schedule's notify list. */
  sends: { entry: number; event: NotifyEvent }[];
  /** To store on the run (`RunRecord.notified`): undefined when no entry ever notified. */
  notified?: Record<string, string>;
}

/** The outcomes a run can end with that say how the job is doing; `missed` is a fire that did not run. */
const RUN_OUTCOMES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'timedOut']);
const FAILING: ReadonlySet<string> = new Set(['failed', 'timedOut']);

/**
 * Decide which entries notify for a run that just ended with `status` (or a `missed` record), given the
 * schedule's history (`runs`, any order, the run itself included or not) and `now`.
 *
 * The events of the outcome: failed/timedOut → failure; succeeded → success, and recovery when the previous
 * run outcome was a failure; missed → missed. An entry in mode `every` sends each of its events. In mode
 * `change` (the default) it sends only when the outcome changed: failure when the previous run outcome
 * (succeeded, failed, timedOut) was not a failure, success when it was not a success, missed when the
 * previous final record (those and missed) was not missed; recovery is a change by definition. While the
 * outcome stays the same, an entry with `repeatInterval` sends again once that long has passed since its
 * last notification (or now, when none is on record). Interrupted, cancelled and skipped runs notify
 * nothing and change nothing.
 *
 * The previous outcomes and each entry's last notification come from the history, so a restart neither
 * re-alerts nor forgets a repeat: every final record carries `notified` forward.
 */
export function planNotifications(input: {
  status: string;
  runId: string;
  entries: readonly NotifyPolicyEntry[];
  runs: readonly NotifyPolicyRun[];
  now: Date;
}): NotificationPlan {
  const { status, entries, now } = input;
  const previousRun = findNewest(input.runs, input.runId, RUN_OUTCOMES);
  const previousFinal = findNewest(input.runs, input.runId, FINAL);
  const events = selectEvents(status, previousRun?.status);
  if (events.length === 0 && !FINAL.has(status)) return { sends: [] };
  const carried = previousFinal?.notified ?? {};
  const notified: Record<string, string> = {};
  const keys = entries.map(keyNotifyEntry);
  for (const key of keys) if (carried[key] !== undefined) notified[key] = carried[key];
  const sends: NotificationPlan['sends'] = [];
  entries.forEach((entry, index) => {
    const key = keys[index]!;
    for (const event of events) {
      if (!entry.on.includes(event)) continue;
      const send = decideNotify({
        event,
        mode: entry.mode ?? 'change',
        ...(entry.repeatInterval === undefined ? {} : { repeatInterval: entry.repeatInterval }),
        ...(previousRun === undefined ? {} : { previousRun: previousRun.status }),
        ...(previousFinal === undefined ? {} : { previousFinal: previousFinal.status }),
        ...(carried[key] === undefined ? {} : { lastNotifiedAt: carried[key] }),
        now,
      });
      if (!send) continue;
      sends.push({ entry: index, event });
      notified[key] = now.toISOString();
    }
  });
  return Object.keys(notified).length === 0 ? { sends } : { sends, notified };
}

const FINAL: ReadonlySet<string> = new Set([...RUN_OUTCOMES, 'missed']);

/** Whether one entry sends one event. */
export function decideNotify(input: {
  event: NotifyEvent;
  mode: 'change' | 'every';
  repeatInterval?: number;
  /** The status of the newest earlier run that succeeded, failed or timed out. */
  previousRun?: string;
  /** The status of the newest earlier record that succeeded, failed, timed out or was missed. */
  previousFinal?: string;
  /** ISO instant of the entry's last notification, from the history. */
  lastNotifiedAt?: string;
  now: Date;
}): boolean {
  if (input.mode === 'every') return true;
  const changed =
    input.event === 'recovery' ||
    (input.event === 'failure' && !FAILING.has(input.previousRun ?? '')) ||
    (input.event === 'success' && input.previousRun !== 'succeeded') ||
    (input.event === 'missed' && input.previousFinal !== 'missed');
  if (changed) return true;
  if (input.repeatInterval === undefined) return false;
  if (input.lastNotifiedAt === undefined) return true;
  return input.now.getTime() - Date.parse(input.lastNotifiedAt) >= input.repeatInterval;
}

/** The events a record with `status` is about, given the previous run outcome. */
function selectEvents(status: string, previousRun: string | undefined): NotifyEvent[] {
  if (FAILING.has(status)) return ['failure'];
  if (status === 'missed') return ['missed'];
  if (status !== 'succeeded') return [];
  return FAILING.has(previousRun ?? '') ? ['success', 'recovery'] : ['success'];
}

/** The newest run (by id: ULIDs sort by creation) other than `exceptId` whose status is in `statuses`. */
function findNewest(
  runs: readonly NotifyPolicyRun[],
  exceptId: string,
  statuses: ReadonlySet<string>,
): NotifyPolicyRun | undefined {
  let newest: NotifyPolicyRun | undefined;
  for (const run of runs) {
    if (run.id === exceptId || !statuses.has(run.status)) continue;
    if (newest === undefined || run.id > newest.id) newest = run;
  }
  return newest;
}

/**
 * A stable key for an entry: its events and target (webhook URL or command, as written), hashed so that no
 * token in a URL lands in the history. Reordering entries keeps each one's memory; changing one starts afresh.
 */
export function keyNotifyEntry(entry: NotifyPolicyEntry): string {
  const target = JSON.stringify({
    on: [...entry.on].sort(),
    webhook: entry.webhook?.url,
    command: entry.command,
  });
  return createHash('sha256').update(target).digest('hex').slice(0, 12);
}
