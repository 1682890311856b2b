// The daemon: the one place where the real adapters are wired together.
import { join, resolve } from 'node:path';
import { createFireJournal, mergeJournalHealth } from '../history/journal.js';
import type { HistoryStore } from '../history/store.js';
import { createLowdbHistoryStore } from '../history/lowdb-store.js';
import type { JobTarget } from '../reconcile/apply.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import { runTask } from '../runtime/run-job.js';
import { deliverNotification } from '../runtime/notify.js';
import { systemTimers } from '../runtime/timers.js';
import { systemClock, systemStopwatch } from '../shared/clock.js';
import { flushLog, logWritten } from '../shared/logger.js';
import {
  createDefinitionsFileWriter,
  type DefinitionsFileWriter,
} from '../status/definitions-file.js';
import { createStatusFileWriter, type StatusFileWriter } from '../status/file.js';
import { createSnapshotCache, type SnapshotCache } from '../status/snapshot-cache.js';
import {
  selectNotReadyReasons,
  type StatusInput,
  type StatusSnapshot,
} from '../status/snapshot.js';
import { computeConfigDigest } from './config-digest.js';
import { ConfigState } from './config-state.js';
import type { DaemonEvent } from './daemon-events.js';
import type { FireLedger } from './fire-ledger.js';
import { createManualStarter } from './manual-requests.js';
import type { DaemonCluster, DaemonOptions } from './daemon-options.js';
import { FireRates } from './fire-rate.js';
import { processSecrets } from './invocation.js';
import { Firing } from './firing.js';
import { recoverInterrupted, recoverLedger, trimLedger } from './recovery.js';
import { forwardRemoteRuns } from './remote-runs.js';
import { StartupParseCache } from './startup-parse-cache.js';
import { warmUpTasks } from './warm-up.js';
import { Reconciler } from './reconciler.js';
import { serveStatus } from './serve-status.js';
import { RunManager, type RunEvent } from './runs.js';
import { StatusBuilder } from './status-steps.js';
import { planQuietMs, planStatusDeferMs, type PacingState } from './status-pacing.js';
import { describeScheduleOnce, UpcomingFires } from './upcoming.js';
import { watchConfigDir, type ConfigWatcher } from './watch.js';

/** How far ahead of an instant its fire is made durable, so the process starts without waiting. */
const PREPARE_LEAD_MS = 50;
/** How often the journal is trimmed to the fires the history does not hold yet. */
const CHECKPOINT_INTERVAL_MS = 60_000;
/** Journal entries younger than this survive a checkpoint: their runs may not be in a flushed shard yet. */
const CHECKPOINT_KEEP_MS = 10_000;

export class Daemon {
  readonly #o: Required<Omit<DaemonOptions, 'history' | 'journal' | 'cluster'>> & {
    history: HistoryStore;
    journal: FireLedger;
    cluster?: DaemonCluster;
  };
  readonly #config: ConfigState;
  readonly #firing: Firing;
  readonly #runs: RunManager;
  readonly #status: StatusFileWriter;
  /** definitions.json: written after the status write that follows a change of the running versions. */
  readonly #definitions: DefinitionsFileWriter;
  #definitionsChanged = false;
  /** Builds shared by status.json and the endpoint: a change is built once, for both. */
  readonly #snapshots: SnapshotCache;
  readonly #startedAt: Date;
  readonly #jobs = new Map<string, DesiredSchedule>();
  /** Bumped when a name is added to #jobs or removed from it (a status built in steps starts again). */
  #namesVersion = 0;
  readonly #upcoming = new UpcomingFires();
  /** Status entries of unchanged schedules, and their inputs, are reused from one snapshot to the next. */
  readonly #statusBuilder: StatusBuilder;
  readonly #listeners = new Set<(event: DaemonEvent) => void>();
  #server: { url: string; close(): Promise<void> } | undefined;
  #watcher: ConfigWatcher | undefined;
  readonly #reconciler: Reconciler;
  #stopping = false;
  #started = false;
  /** Until `cronops started` is out: start() writes the first status itself, after it. */
  #statusHeld = true;
  #checkpointTimer: NodeJS.Timeout | undefined;
  readonly #parseCache: StartupParseCache;
  #unsubscribeHistory: (() => void) | undefined;
  /** The warm-up process started after start-up (see warmUpProcessStart). */
  #warmUp: Promise<void> = Promise.resolve();
  /** start() in progress: stop() waits for it to give up before closing what it opened. */
  #starting: Promise<void> | undefined;
  /** Leftover processes of interrupted runs being terminated, beside scheduling. */
  #reaping: Promise<void> = Promise.resolve();

  constructor(options: DaemonOptions) {
    const clock = options.clock ?? systemClock;
    const stateDir = resolve(options.stateDir);
    this.#o = {
      watch: 'auto',
      maxConcurrentRuns: null,
      shutdownGraceMs: 30_000,
      triggerToken: null,
      allowedHosts: [],
      timers: systemTimers,
      prepareLeadMs: PREPARE_LEAD_MS,
      stopwatch: systemStopwatch,
      ...options,
      clock,
      stateDir,
      configDir: resolve(options.configDir),
      history:
        options.history ?? createLowdbHistoryStore({ stateDir, clock, logger: options.logger }),
      journal: options.journal ?? createFireJournal(stateDir),
    };
    this.#startedAt = clock.now();
    this.#config = new ConfigState(this.#o.configDir);
    this.#runs = new RunManager({
      clock,
      history: this.#o.history,
      journal: this.#o.journal,
      logger: this.#o.logger,
      runTask,
      deliverNotification,
      secrets: processSecrets,
      maxConcurrentRuns: this.#o.maxConcurrentRuns,
      onEvent: (event) => this.#onRunEvent(event),
      // Caught-up fires keep out of the moments around regular instants, as status writes do.
      deferCatchUpMs: () => planQuietMs(this.#pacing()),
    });
    this.#firing = new Firing({
      clock,
      stopwatch: this.#o.stopwatch,
      timers: this.#o.timers,
      history: this.#o.history,
      runs: this.#runs,
      logger: this.#o.logger,
      prepareLeadMs: this.#o.prepareLeadMs,
      jobs: this.#jobs,
      onChange: () => this.#writeStatus({ urgent: true }),
    });
    const fireRates = new FireRates(this.#o.journal, this.#o.logger);
    this.#parseCache = new StartupParseCache({
      stateDir,
      config: this.#config,
      logger: this.#o.logger,
    });
    this.#reconciler = new Reconciler({
      config: this.#config,
      configDir: this.#o.configDir,
      clock,
      logger: this.#o.logger,
      jobs: this.#jobs,
      jobTarget: (isStartup) => this.#jobTarget(isStartup),
      onApplied: (isStartup) => this.#firing.reportAnomalies(isStartup ? 'startup' : 'reload'),
      onParsed: () => this.#parseCache.markStale(),
      onDefinitionsChanged: () => {
        this.#definitionsChanged = true;
        void fireRates.reserve(this.#jobs.values(), this.#o.clock.now());
      },
      emit: (event) => this.#emit(event),
      writeStatus: (options) => this.#writeStatus(options),
      isStopping: () => this.#stopping,
    });
    this.#statusBuilder = new StatusBuilder({
      jobs: this.#jobs,
      sources: {
        summary: (name) => this.#o.history.summary(name),
        busy: () => this.#runs.busyNames(),
        running: (name) => this.#runs.running(name),
        waiting: (name) => this.#runs.waiting(name),
        upcoming: (job, now) => this.#upcoming.get(job, now),
        describe: (job) => describeScheduleOnce(job.compiled),
        clockWait: (name, now) => this.#firing.anomalies.waitingUntil(name, now),
      },
      stopwatch: this.#o.stopwatch,
      namesVersion: () => this.#namesVersion,
      frame: (now) => this.#statusFrame(now),
      now: () => this.#o.clock.now(),
    });
    this.#definitions = createDefinitionsFileWriter({
      path: join(stateDir, 'definitions.json'),
      schedules: () => this.#jobs.values(),
      logger: this.#o.logger,
    });
    this.#status = createStatusFileWriter({
      path: join(stateDir, 'status.json'),
      logger: this.#o.logger,
      deferMs: () => planStatusDeferMs(this.#pacing()),
      // Off the status path: a reload is visible in status.json before the definitions are written.
      onWritten: () => {
        if (!this.#definitionsChanged) return;
        this.#definitionsChanged = false;
        this.#definitions.changed();
      },
    });
    // Reused for up to a second while nothing changes; after a change, the endpoint waits at most 100 ms for a rebuild.
    this.#snapshots = createSnapshotCache({
      build: () => this.snapshot(),
      buildInSteps: () => this.#statusBuilder.snapshotInSteps(),
      clock,
      refreshMs: 1_000,
    });
  }

  /** The manual-trigger entry point (the HTTP "run now" and tests). */
  get runs(): RunManager {
    return this.#runs;
  }

  get url(): string | undefined {
    return this.#server?.url;
  }

  /** Subscribe to run and reload events (for the event stream and tests). */
  subscribe(listener: (event: DaemonEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Start: open the history (crash leftovers become `interrupted`; their orphans are terminated beside
   * scheduling), load the manifests, schedule everything, catch up what was missed while down, then serve
   * status. A stop() meanwhile makes it give up at the next step.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const log = this.#o.logger;
    const history = this.#o.history;
    const opened = await history.open();
    for (const corrupt of opened.corrupt) {
      log.error(
        { file: corrupt.file, movedTo: corrupt.movedTo, error: corrupt.error },
        'history file was corrupt; moved aside and started fresh',
      );
    }
    // A shard read later (a query, a write) can settle its summary: the status shows the result.
    const unsubscribe = history.subscribe(() => this.#writeStatus());
    const forwarding = forwardRemoteRuns(this.#o.cluster, history, log, (e) => this.#emit(e));
    this.#unsubscribeHistory = () => {
      unsubscribe();
      forwarding();
    };
    this.#o.cluster?.setConfigDigest(() =>
      this.#reconciler.lastReconcile ? computeConfigDigest(this.#jobs) : null,
    );
    const { resumable } = await recoverLedger(history, this.#o.journal);
    const resuming = new Set(resumable.map((intent) => intent.runId));
    const recovered = await recoverInterrupted({
      history,
      clock: this.#o.clock,
      logger: log,
      ledger: this.#o.journal,
      resuming,
    });
    this.#reaping = recovered.reaped;
    if (this.#stopping) return;
    try {
      await trimLedger(history, this.#o.journal, Number.POSITIVE_INFINITY);
    } catch (err) {
      log.warn({ err }, 'could not trim the fire journal at start-up; will retry');
    }
    const historyHealth = history.health();
    if (!historyHealth.writable) {
      // A full state disk never stops start-up: fires run on the journal's reserve, history waits in memory.
      log.warn(
        {
          stateDir: this.#o.stateDir,
          error: historyHealth.lastError,
          journal: this.#o.journal.health?.(),
        },
        'starting on a state directory that cannot be written: fires run on the fire journal reserve, history is kept in memory',
      );
    }
    if (this.#stopping) return;
    this.#checkpointTimer = setInterval(() => void this.#checkpoint(), CHECKPOINT_INTERVAL_MS);
    this.#checkpointTimer.unref();
    if (this.#o.listen !== null) {
      this.#server = await serveStatus({
        listen: this.#o.listen,
        allowedHosts: this.#o.allowedHosts,
        logger: log,
        history: this.#o.history,
        snapshots: this.#snapshots,
        jobs: this.#jobs,
        getSnapshot: () => this.snapshot(),
        readiness: () => {
          const { lastReconcile, files } = this.#reconciler;
          const reasons = selectNotReadyReasons({
            daemon: { shuttingDown: this.#stopping },
            ...(lastReconcile ? { lastReconcile } : {}),
            history: this.#historyHealth(),
            files,
          });
          return { ready: reasons.length === 0, reasons };
        },
        subscribe: (listener) => this.subscribe(listener),
        triggerToken: this.#o.triggerToken,
        startManual: createManualStarter({
          ledger: this.#o.journal,
          newRunId: () => this.#runs.newRunId(),
          start: (name, runId) =>
            this.#runs.start(name, this.#o.clock.now(), 'manual', undefined, runId),
          findRun: (runId) => history.getRun(runId),
        }),
      });
    }
    if (this.#stopping) return;
    this.#started = true;
    await this.#parseCache.withCache(() => this.reload('startup'));
    if (this.#stopping) return;
    this.#runs.resumeAfter(resumable, recovered.interrupted);
    this.#firing.watchClock();
    // Every schedule is in the fire loop: from here on fires start. The watcher comes next (chokidar
    // stats every file, about a second for 1,000 files), so it does not hold up the first fires.
    log.info(
      {
        configDir: this.#o.configDir,
        stateDir: this.#o.stateDir,
        schedules: this.#jobs.size,
        watch: this.#o.watch,
      },
      'cronops started',
    );
    if (this.#jobs.size === 0)
      log.warn(
        { configDir: this.#o.configDir },
        `no schedules: ${this.#o.configDir} holds no valid manifest; add *.yaml files there (they are picked up without a restart)`,
      );
    // Loaded now rather than before: every schedule is already waiting for its instant. Then one no-op
    // process compiles the code that starts jobs, which the first fire would otherwise wait for.
    this.#warmUp = warmUpTasks(this.#o.clock, log);
    // The line reaches stdout before the first status of every schedule (a long synchronous build) is made.
    await logWritten(log);
    this.#statusHeld = false;
    this.#writeStatus();
    void this.#parseCache.save();
    if (this.#o.watch !== 'off' && !this.#stopping) {
      const watcher = await watchConfigDir({
        dir: this.#o.configDir,
        mode: this.#o.watch,
        logger: log,
        onChange: (batch) => void this.reload(batch.reason, batch.rescan ? undefined : batch.names),
      });
      if (this.#stopping) {
        await watcher.close();
        return;
      }
      this.#watcher = watcher;
      // A change made before the watcher was ready sent no event: look once more (only stats, unless a
      // file really changed). The line comes after that look, so a change made once it is out reaches the
      // daemon as a watcher event, never halfway through the look.
      await this.reload('watch started');
      if (this.#stopping) return;
      log.info({ configDir: this.#o.configDir, watch: this.#o.watch }, 'watching for changes');
    }
  }

  /**
   * Re-read the directory and reconcile. `changed` names the entries that may have changed (a watcher
   * batch): only those files are looked at. Without it, every file is.
   */
  reload(trigger: string, changed?: readonly string[]): Promise<void> {
    return this.#reconciler.reload(trigger, changed);
  }

  /**
   * SIGTERM/SIGINT, at any moment (start-up included): stop starting fires at once, let runs finish within
   * the grace, then flush history and status.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#statusHeld = false;
    const log = this.#o.logger;
    log.info(
      { graceMs: this.#o.shutdownGraceMs, running: this.#runs.runningCount },
      'shutting down',
    );
    this.#runs.stopStarting();
    // The rest of a burst not handed out yet is recorded as skipped: never silently dropped.
    this.#firing.stop();
    // A start in progress gives up at its next step; what it opened is closed below.
    await this.#starting?.catch(() => undefined);
    await this.#watcher?.close();
    this.#writeStatus();
    await this.#reconciler.settled();
    await this.#runs.shutdown(this.#o.shutdownGraceMs);
    await this.#warmUp;
    await this.#reaping;
    clearInterval(this.#checkpointTimer);
    // Every fire that started is in the flushed history now; prepared ones that never came due do not
    // count. The newest fire of each schedule stays, settled, in case a power loss undoes the history writes.
    await trimLedger(this.#o.history, this.#o.journal, Number.POSITIVE_INFINITY).catch(
      () => undefined,
    );
    await this.#o.journal.close();
    this.#unsubscribeHistory?.();
    await this.#o.history.close();
    this.#writeStatus();
    await this.#status.flush();
    await this.#definitions.flush();
    await this.#parseCache.save();
    await this.#server?.close();
    log.info('cronops stopped');
    flushLog(log);
  }

  /** The status document as of now. */
  snapshot(): StatusSnapshot {
    return this.#statusBuilder.snapshot();
  }

  #jobTarget(isStartup: boolean): JobTarget {
    return {
      create: (job) => {
        this.#jobs.set(job.name, job);
        this.#namesVersion += 1;
        this.#runs.define(job);
        // At start-up, the fires missed while down are caught up from the watermark.
        this.#firing.place(job, isStartup ? 'startup' : 'reload');
      },
      update: (job) => {
        this.#jobs.set(job.name, job);
        this.#runs.define(job);
        this.#firing.place(job, 'reload');
      },
      remove: (name) => {
        this.#jobs.delete(name);
        this.#namesVersion += 1;
        this.#upcoming.forget(name);
        this.#firing.remove(name);
        this.#runs.undefine(name);
      },
    };
  }

  /** Trim the ledger to what the flushed history may not hold yet. */
  async #checkpoint(): Promise<void> {
    try {
      const cutoff = this.#o.clock.now().getTime() - CHECKPOINT_KEEP_MS;
      await trimLedger(this.#o.history, this.#o.journal, cutoff);
    } catch (err) {
      this.#o.logger.warn({ err }, 'could not trim the fire journal; will retry');
    }
  }

  #onRunEvent(event: RunEvent): void {
    this.#emit(event);
    this.#writeStatus();
  }

  #emit(event: DaemonEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** What status-pacing.ts decides from: the next instant, and whether a burst is being handed out. */
  #pacing(): PacingState {
    return {
      nextFireMs: this.#firing.earliestAt(),
      nowMs: this.#o.clock.now().getTime(),
      handingOut: this.#firing.handingOut,
    };
  }

  #writeStatus(options: { urgent?: boolean } = {}): void {
    this.#snapshots.invalidate();
    if (!this.#started || this.#statusHeld) return;
    // In steps: with 100,000 schedules a status is 1–2 s of work, which no fire should wait for.
    this.#status.update(async () => (await this.#snapshots.freshInSteps()).snapshot, options);
  }

  /** The status input as of `now`, but for its schedules. */
  #statusFrame(now: Date): Omit<StatusInput, 'schedules'> {
    return {
      now,
      daemon: {
        version: this.#o.version,
        pid: process.pid,
        startedAt: this.#startedAt,
        configDir: this.#o.configDir,
        stateDir: this.#o.stateDir,
        watchMode: this.#o.watch,
        listen: this.#server?.url ?? null,
        maxConcurrentRuns: this.#o.maxConcurrentRuns,
        shuttingDown: this.#stopping,
        clockAnomalies: this.#firing.anomalies.forStatus(),
      },
      ...(this.#reconciler.lastReconcile ? { lastReconcile: this.#reconciler.lastReconcile } : {}),
      files: this.#reconciler.files,
      history: this.#historyHealth(),
      cluster: this.#o.cluster?.status(),
    };
  }

  #historyHealth(): StatusInput['history'] {
    return mergeJournalHealth(this.#o.history.health(), this.#o.journal.health?.());
  }
}
