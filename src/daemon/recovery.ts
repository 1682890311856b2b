// Crash recovery: fires the ledger holds but the history does not, runs left running, and their orphans.
import type { Logger } from 'pino';
import { compactIntents, type FireIntent } from '../history/journal.js';
import type { HistoryStore, RunRecord } from '../history/store.js';
import { reapOrphans } from '../runtime/process-group.js';
import type { Clock } from '../shared/clock.js';
import type { FireLedger } from './fire-ledger.js';

/** Marks a run recovered from the ledger alone: the daemon stopped within moments of its instant. */
const JOURNAL_ONLY = 'recovered from the fire journal';

/** How long leftover process groups get between SIGTERM and SIGKILL. */
const ORPHAN_GRACE_MS = 5_000;

/**
 * Fires the ledger holds but the history does not: the daemon stopped around their instant. They are
 * recorded `pending` (and become `interrupted` below) and move the watermark, so that they never run twice.
 * A downstream fire of `after` made durable at its upstream's end but never started is returned instead,
 * to be started (or recorded missed) once the schedules are loaded; and the upstream's final status it
 * carries is restored when the history lost it.
 */
export async function recoverLedger(
  history: HistoryStore,
  ledger: FireLedger,
): Promise<{ resumable: FireIntent[] }> {
  const intents = await ledger.readPending();
  const started = new Set(
    intents.filter((i) => i.trigger === 'after' && !i.awaitingStart).map((i) => i.runId),
  );
  const resumable: FireIntent[] = [];
  for (const intent of intents) {
    // `after` fires are not on the schedule's clock: they never move its watermark.
    if (intent.trigger !== 'manual' && intent.trigger !== 'after') {
      const watermark = history.lastScheduledAt(intent.schedule);
      if (watermark === undefined || watermark < intent.scheduledAt) {
        void history.setLastScheduledAt(intent.schedule, intent.scheduledAt);
      }
    }
    if (intent.upstream !== undefined) await restoreUpstream(history, intent);
    if (intent.awaitingStart) {
      if (started.has(intent.runId)) continue;
      const run = await history.getRun(intent.runId, { schedule: intent.schedule });
      if (run === undefined || (run.status === 'pending' && run.attempts.length === 0))
        resumable.push(intent);
      continue;
    }
    if (intent.settled || (await history.hasRun(intent.schedule, intent.runId))) continue;
    void history.recordRun({
      id: intent.runId,
      schedule: intent.schedule,
      trigger: intent.trigger,
      scheduledAt: intent.scheduledAt,
      status: 'pending',
      reason: JOURNAL_ONLY,
      attempts: [],
      specHash: intent.specHash,
      ...(intent.upstream !== undefined && { upstream: intent.upstream }),
      ...(intent.chainId !== undefined && { chainId: intent.chainId }),
      ...(intent.logicalTime !== undefined && { logicalTime: intent.logicalTime }),
    });
  }
  return { resumable };
}

/** The upstream's final record did not reach the history before a crash: the downstream's intent has it. */
async function restoreUpstream(history: HistoryStore, intent: FireIntent): Promise<void> {
  const link = intent.upstream;
  if (link === undefined) return;
  const run = await history.getRun(link.runId, { schedule: link.schedule });
  if (run === undefined || (run.status !== 'running' && run.status !== 'pending')) return;
  await history.recordRun({
    ...run,
    status: link.status as RunRecord['status'],
    finishedAt: intent.scheduledAt,
    ...(run.startedAt
      ? { durationMs: Date.parse(intent.scheduledAt) - Date.parse(run.startedAt) }
      : {}),
    reason: `${run.reason ? `${run.reason}; ` : ''}final status recovered from the fire journal (the daemon stopped right after the run ended)`,
  });
}

/**
 * Runs a crash left `running` or `pending` are recorded `interrupted` at once. Their leftover processes
 * are terminated in the background, beside scheduling (no fire waits for them): the returned promise
 * settles when that is done, and each record then names how many processes were terminated.
 */
export async function recoverInterrupted(deps: {
  history: HistoryStore;
  clock: Clock;
  logger: Logger;
  ledger?: FireLedger;
  /** Runs left `pending` that are started again (durable `after` fires): not interrupted. */
  resuming?: ReadonlySet<string>;
}): Promise<{ reaped: Promise<void>; interrupted: RunRecord[] }> {
  const { history, clock, logger } = deps;
  // The summaries' counts leave out every shard without such runs: only crashed schedules are read.
  const found = (await history.listRuns({ status: ['running', 'pending'] })).filter(
    (run) => deps.resuming?.has(run.id) !== true,
  );
  // With replicas sharing the history, only the runs of replicas that are gone are leftovers.
  const leftovers = (await deps.ledger?.selectLeftovers?.(found)) ?? found;
  if (leftovers.length === 0) return { reaped: Promise.resolve(), interrupted: [] };
  const now = clock.now().toISOString();
  const interrupted = leftovers.map((run) => describeInterrupted(run, now, undefined));
  for (const run of interrupted) {
    await history.recordRun(run);
    logger.warn({ schedule: run.schedule, runId: run.id }, 'run interrupted by a daemon restart');
  }
  const orphans = leftovers.map((run) => {
    const last = run.attempts.at(-1);
    return {
      runId: run.id,
      ...(last?.pid !== undefined ? { pid: last.pid } : {}),
      ...(last?.processStartTime !== undefined ? { processStartTime: last.processStartTime } : {}),
    };
  });
  const reaped = reapOrphans(orphans, ORPHAN_GRACE_MS).then(
    async (results) => {
      const killedByRun = new Map(results.map((r) => [r.runId, r.killed]));
      for (const run of leftovers) {
        const killed = killedByRun.get(run.id) ?? 0;
        if (killed === 0) continue;
        await history.recordRun(describeInterrupted(run, now, killed));
        logger.warn(
          { schedule: run.schedule, runId: run.id, orphansKilled: killed },
          'leftover processes of an interrupted run terminated',
        );
      }
    },
    (err: unknown) => logger.error({ err }, 'could not terminate leftover processes'),
  );
  // Those that had started ended now: what is after them (`when: finished`) starts.
  return { reaped, interrupted: interrupted.filter((run) => run.startedAt !== undefined) };
}

function describeInterrupted(run: RunRecord, now: string, killed: number | undefined): RunRecord {
  const started = run.status === 'running';
  const terminated = killed ? `; ${killed} leftover process(es) terminated on restart` : '';
  return {
    ...run,
    status: 'interrupted',
    finishedAt: now,
    ...(run.startedAt ? { durationMs: Date.parse(now) - Date.parse(run.startedAt) } : {}),
    reason: started
      ? `the daemon stopped while the run was in progress${terminated}`
      : run.reason === JOURNAL_ONLY
        ? killed
          ? `the daemon stopped right after starting the run${terminated}`
          : 'the daemon stopped before the run reached the history (at the moment of its fire, or while the state disk was full): it may have run, its outcome is unknown, and it is not run again'
        : 'the daemon stopped before the fire started',
  };
}

/**
 * Which intents scheduled before `cutoffMs` have their run in the history (compactIntents asks about
 * those only), and which of those are recorded in memory only. Recent runs are in the summaries, so this
 * reads a shard only for an older run. Both predicates are meant to be asked after the history flush that
 * follows: a run still only in memory then (the disk is full) keeps its intent, the only trace after a
 * crash that it ran.
 */
export async function selectRecorded(
  history: HistoryStore,
  intents: readonly FireIntent[],
  cutoffMs: number,
): Promise<[(intent: FireIntent) => boolean, (intent: FireIntent) => boolean]> {
  const recorded = new Set<string>();
  const saved = new Map<string, () => boolean>();
  for (const intent of intents) {
    if (intent.awaitingStart) {
      // Kept until it starts, or until the history says it ended without starting (skipped, dropped).
      const run = await history.getRun(intent.runId, { schedule: intent.schedule });
      if (run !== undefined && run.status !== 'pending') recorded.add(intent.runId);
      continue;
    }
    if (intent.settled || Date.parse(intent.scheduledAt) >= cutoffMs) continue;
    if (!(await history.hasRun(intent.schedule, intent.runId))) continue;
    recorded.add(intent.runId);
    if (!saved.has(intent.schedule))
      saved.set(intent.schedule, history.savePoint?.(intent.schedule) ?? (() => true));
  }
  const isSaved = (intent: FireIntent): boolean => saved.get(intent.schedule)?.() ?? true;
  return [
    (intent) => intent.trigger !== 'manual' && recorded.has(intent.runId) && isSaved(intent),
    (intent) => recorded.has(intent.runId) && !isSaved(intent),
  ];
}

/**
 * Trim the ledger to what the flushed history may not hold yet (intents scheduled from `cutoffMs` on stay).
 * Resolves true when it wrote a checkpoint, false when there was nothing to trim.
 */
export async function trimLedger(
  history: HistoryStore,
  ledger: FireLedger,
  cutoffMs: number,
): Promise<boolean> {
  const intents = await ledger.readPending();
  // Only the newest fire of each schedule, settled already: a checkpoint would keep all of it as it is. An
  // idle daemon (every minute) neither flushes nor rewrites and fsyncs a journal of unchanged intents.
  if (intents.every((intent) => intent.settled === true)) return false;
  const recorded = await selectRecorded(history, intents, cutoffMs);
  await history.flush();
  await ledger.checkpoint(compactIntents(intents, cutoffMs, ...recorded), intents);
  return true;
}
