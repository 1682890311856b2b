// The daemon: the one place where the real adapters are wired together.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { countFiresBetween, iterateFires } from '../cron/fires.js';
import { describeSchedule } from '../cron/describe.js';
import {
  compactIntents,
  createFireJournal,
  mergeJournalHealth,
  type FireIntent,
  type FireJournal,
} from '../history/journal.js';
import type { HistoryStore } from '../history/store.js';
import type { ManifestIssue } from '../manifest/issue.js';
import { createLowdbHistoryStore } from '../history/lowdb-store.js';
import { applyPlan, type JobTarget } from '../reconcile/apply.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import { isEmptyPlan, planReconcile, selectChangedSchedules } from '../reconcile/plan.js';
import { loadExeca, runTask, warmUpProcessStart } from '../runtime/run-job.js';
import { deliverNotification } from '../runtime/notify.js';
import { reapOrphans } from '../runtime/process-group.js';
import { FireLoop, type DueFires } from '../runtime/scheduler.js';
import { systemTimers, type Timers } from '../runtime/timers.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { logWritten } from '../shared/logger.js';
import { buildDefinitionsDocument, buildScheduleDefinition } from '../status/definitions.js';
import {
  createDefinitionsFileWriter,
  type DefinitionsFileWriter,
} from '../status/definitions-file.js';
import { createStatusFileWriter, type StatusFileWriter } from '../status/file.js';
import { createSnapshotCache, type SnapshotCache } from '../status/snapshot-cache.js';
import {
  buildStatusSnapshot,
  type StatusInput,
  type StatusScheduleMemo,
  type StatusSnapshot,
} from '../status/snapshot.js';
import { ConfigState, type ConfigSnapshot } from './config-state.js';
import { PARSE_CACHE_FILE, ParseCache, parseCacheKey, writeParseCache } from './parse-cache.js';
import { rateFires } from './fire-rate.js';
import { RunManager, type RunEvent } from './runs.js';
import { ScheduleInputs, type ScheduleInputSources } from './status-inputs.js';
import { watchConfigDir, type ConfigWatcher, type WatchMode } from './watch.js';

export interface DaemonOptions {
  /** The manifest directory. */
  configDir: string;
  /** Where history and status.json live. */
  stateDir: string;
  /** "HOST:PORT", or null for no HTTP endpoint. */
  listen: string | null;
  /** @default 'auto' */
  watch?: WatchMode;
  /** @default null (no cap) */
  maxConcurrentRuns?: number | null;
  /** How long running runs may finish on SIGTERM before they are terminated. @default 30_000 */
  shutdownGraceMs?: number;
  logger: Logger;
  version: string;
  /** @default systemClock */
  clock?: Clock;
  /** @default systemTimers */
  timers?: Timers;
  /** Injected for tests: the history store. @default lowdb files under stateDir/history */
  history?: HistoryStore;
  /** Injected for tests: the fire journal. @default stateDir/fires.journal */
  journal?: FireJournal;
  /** Enables "run now" (POST /api/v1/schedules/{name}/trigger) with this bearer token. @default null (disabled) */
  triggerToken?: string | null;
}

/** How far ahead of an instant its fire is made durable, so the process starts without waiting. */
const PREPARE_LEAD_MS = 50;
/** How often the journal is trimmed to the fires the history does not hold yet. */
const CHECKPOINT_INTERVAL_MS = 60_000;
/** Journal entries younger than this survive a checkpoint: their runs may not be in a flushed shard yet. */
const CHECKPOINT_KEEP_MS = 10_000;

/** Marks a run recovered from the journal alone: the daemon stopped within moments of its instant. */
const JOURNAL_ONLY = 'recovered from the fire journal';

/** Descriptions by compiled schedule: cronstrue costs ~0.1 ms each and the status is rebuilt after every run. */
const humanSchedules = new WeakMap<DesiredSchedule['compiled'], string>();

function describeScheduleOnce(compiled: DesiredSchedule['compiled']): string {
  let text = humanSchedules.get(compiled);
  if (text === undefined) {
    text = describeSchedule(compiled);
    humanSchedules.set(compiled, text);
  }
  return text;
}

/** No status write starts this close before a fire… */
const STATUS_QUIET_BEFORE_FIRE_MS = 150;
/** …or this soon after it (the process is being started). */
const STATUS_QUIET_AFTER_FIRE_MS = 20;

/** How many upcoming instants the status shows per schedule. */
const NEXT_FIRES_SHOWN = 3;

export class Daemon {
  readonly #o: Required<Omit<DaemonOptions, 'history' | 'journal'>> & {
    history: HistoryStore;
    journal: FireJournal;
  };
  readonly #config: ConfigState;
  readonly #loop: FireLoop;
  readonly #runs: RunManager;
  readonly #status: StatusFileWriter;
  /** definitions.json: written after the status write that follows a change of the running versions. */
  readonly #definitions: DefinitionsFileWriter;
  #definitionsChanged = false;
  /** Builds shared by status.json and the endpoint: a change is built once, for both. */
  readonly #snapshots: SnapshotCache;
  readonly #startedAt: Date;
  readonly #jobs = new Map<string, DesiredSchedule>();
  readonly #nextFires = new Map<string, Date[]>();
  /** Status entries of unchanged schedules are reused from one snapshot to the next… */
  readonly #statusMemo: StatusScheduleMemo = new Map();
  /** …and so are their inputs. */
  readonly #scheduleInputs = new ScheduleInputs();
  readonly #scheduleSources: ScheduleInputSources = {
    summary: (name) => this.#o.history.summary(name),
    busy: () => this.#runs.busyNames(),
    running: (name) => this.#runs.running(name),
    waiting: (name) => this.#runs.waiting(name),
    upcoming: (job, now) => this.#upcoming(job, now),
    describe: (job) => describeScheduleOnce(job.compiled),
  };
  readonly #listeners = new Set<(event: DaemonEvent) => void>();
  #configSnapshot: ConfigSnapshot = { desired: new Map(), files: [], issues: [] };
  #lastReconcile: StatusInput['lastReconcile'];
  #server: { url: string; close(): Promise<void> } | undefined;
  #watcher: ConfigWatcher | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #reloadQueued = false;
  /** The entries the queued pass must look at (those named by the calls it stands for); undefined: all. */
  #queuedChanges: Set<string> | undefined;
  #stopping = false;
  #started = false;
  /** Until `cronops started` is out: start() writes the first status itself, after it. */
  #statusHeld = true;
  #checkpointTimer: NodeJS.Timeout | undefined;
  /** A file was parsed since the parse cache was written (or the start found it inexact). */
  #parseCacheStale = false;
  #parseCacheWrite: Promise<void> | undefined;
  #unsubscribeHistory: (() => void) | undefined;
  /** Loading execa and the warm-up process after start-up (see warmUpProcessStart). */
  #warmUp: Promise<void> = Promise.resolve();

  constructor(options: DaemonOptions) {
    const clock = options.clock ?? systemClock;
    const stateDir = resolve(options.stateDir);
    this.#o = {
      watch: 'auto',
      maxConcurrentRuns: null,
      shutdownGraceMs: 30_000,
      triggerToken: null,
      timers: systemTimers,
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
      secrets: { env: process.env, readFile: (path) => readFileSync(path, 'utf8') },
      maxConcurrentRuns: this.#o.maxConcurrentRuns,
      onEvent: (event) => this.#onRunEvent(event),
    });
    this.#loop = new FireLoop({
      clock,
      timers: this.#o.timers,
      onDue: (due) => this.#onDue(due),
      prepareLeadMs: PREPARE_LEAD_MS,
      onPrepare: (items) => this.#runs.prepare(items),
    });
    this.#definitions = createDefinitionsFileWriter({
      path: join(stateDir, 'definitions.json'),
      build: () => buildDefinitionsDocument(this.#jobs.values()),
      logger: this.#o.logger,
    });
    this.#status = createStatusFileWriter({
      path: join(stateDir, 'status.json'),
      logger: this.#o.logger,
      deferMs: () => this.#statusDeferMs(),
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
   * Start: open the history (crash leftovers become `interrupted`, orphans are terminated), load the
   * manifests, schedule everything, catch up what was missed while down, then serve status.
   */
  async start(): Promise<void> {
    const log = this.#o.logger;
    const opened = await this.#o.history.open();
    for (const corrupt of opened.corrupt) {
      log.error(
        { file: corrupt.file, movedTo: corrupt.movedTo, error: corrupt.error },
        'history file was corrupt; moved aside and started fresh',
      );
    }
    // A shard read later (a query, a write) can settle its summary: the status shows the result.
    this.#unsubscribeHistory = this.#o.history.subscribe(() => this.#writeStatus());
    await this.#recoverJournal();
    await this.#recoverInterrupted();
    await this.#o.history.flush();
    const intents = await this.#o.journal.readPending();
    // A full state disk never stops start-up: fires run on the journal's reserve, history waits in memory.
    await this.#o.journal
      .checkpoint(
        compactIntents(
          intents,
          Number.POSITIVE_INFINITY,
          ...(await this.#selectRecorded(intents, Number.POSITIVE_INFINITY)),
        ),
      )
      .catch((err: unknown) =>
        log.warn({ err }, 'could not trim the fire journal at start-up; continuing'),
      );
    const history = this.#o.history.health();
    if (!history.writable) {
      log.warn(
        {
          stateDir: this.#o.stateDir,
          error: history.lastError,
          journal: this.#o.journal.health?.(),
        },
        'starting on a state directory that cannot be written: fires run on the fire journal reserve, history is kept in memory',
      );
    }
    this.#checkpointTimer = setInterval(() => void this.#checkpoint(), CHECKPOINT_INTERVAL_MS);
    this.#checkpointTimer.unref();
    if (this.#o.listen !== null) {
      // Imported only when serving: it brings prom-client, which `--listen off` does not need.
      const { startStatusServer } = await import('../status/http.js');
      this.#server = await startStatusServer({
        listen: this.#o.listen,
        getSnapshot: () => this.snapshot(),
        logger: log,
        history: this.#o.history,
        subscribe: (listener) => this.subscribe(listener),
        snapshots: this.#snapshots,
        definitions: {
          all: () => buildDefinitionsDocument(this.#jobs.values()),
          find: (name) => {
            const job = this.#jobs.get(name);
            return job && buildScheduleDefinition(job);
          },
        },
        ...(this.#o.triggerToken
          ? {
              trigger: {
                token: this.#o.triggerToken,
                start: (name: string) =>
                  this.#jobs.has(name)
                    ? this.#runs.start(name, this.#o.clock.now(), 'manual')
                    : undefined,
              },
            }
          : {}),
      });
    }
    this.#started = true;
    await this.#startupReload();
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
    // Loaded now rather than before: every schedule is already waiting for its instant. Then one no-op
    // process compiles the code that starts jobs, which the first fire would otherwise wait for.
    this.#warmUp = loadExeca().then(
      async () => {
        const warm = await warmUpProcessStart(this.#o.clock);
        log.debug(
          {
            outcome: warm.outcome,
            durationMs: warm.finishedAt.getTime() - warm.startedAt.getTime(),
            ...(warm.error === undefined ? {} : { error: warm.error }),
          },
          'process start warmed up',
        );
      },
      (err: unknown) =>
        log.error({ err }, 'cannot load execa: command and shell tasks cannot start'),
    );
    // The line reaches stdout before the first status of every schedule (a long synchronous build) is made.
    await logWritten(log);
    this.#statusHeld = false;
    this.#writeStatus();
    void this.#saveParseCache();
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
   * The first reload, with the parses the last start left in the state directory: a file whose path and text
   * are unchanged is not parsed again. The cache is written again after the start when it was not exact.
   */
  async #startupReload(): Promise<void> {
    const path = join(this.#o.stateDir, PARSE_CACHE_FILE);
    const { cache, problem } = await ParseCache.open(path, parseCacheKey());
    if (problem !== undefined)
      this.#o.logger.warn({ file: path, problem }, 'manifest cache unusable; parsing every file');
    const entries = cache.size;
    this.#config.useParseCache(cache);
    try {
      await this.reload('startup');
    } finally {
      this.#config.useParseCache(undefined);
      cache.release();
    }
    const files = this.#config.parsedFiles().length;
    if (cache.hits !== files || entries !== files) this.#parseCacheStale = true;
  }

  /** Write the parse cache when a file was parsed since it was last written (after a write in progress); never rejects. */
  #saveParseCache(): Promise<void> {
    if (this.#parseCacheWrite !== undefined) {
      return this.#parseCacheWrite.then(() => this.#saveParseCache());
    }
    if (!this.#parseCacheStale) return Promise.resolve();
    this.#parseCacheStale = false;
    const path = join(this.#o.stateDir, PARSE_CACHE_FILE);
    this.#parseCacheWrite = writeParseCache(path, parseCacheKey(), this.#config.parsedFiles())
      .catch((err: unknown) => {
        this.#parseCacheStale = true;
        this.#o.logger.warn(
          { err, file: path },
          'could not write the manifest cache; the next start parses every file',
        );
      })
      .finally(() => {
        this.#parseCacheWrite = undefined;
      });
    return this.#parseCacheWrite;
  }

  /**
   * Re-read the directory and reconcile. `changed` names the entries that may have changed (a watcher
   * batch): only those files are looked at. Without it, every file is. Concurrent calls collapse into one
   * more pass, which looks at everything any of them named.
   */
  reload(trigger: string, changed?: readonly string[]): Promise<void> {
    if (this.#stopping) return this.#reloading;
    // SIGHUP reads every file again, even those whose stat looks unchanged.
    if (trigger === 'SIGHUP') this.#config.invalidate();
    if (!this.#reloadQueued) this.#queuedChanges = new Set();
    if (changed === undefined) this.#queuedChanges = undefined;
    else for (const name of changed) this.#queuedChanges?.add(name);
    if (this.#reloadQueued) return this.#reloading;
    this.#reloadQueued = true;
    this.#reloading = this.#reloading.then(async () => {
      this.#reloadQueued = false;
      const changes = this.#queuedChanges;
      if (this.#stopping) return;
      await this.#reconcile(trigger, changes);
    });
    return this.#reloading;
  }

  /** SIGTERM/SIGINT: stop firing, let runs finish within the grace, flush history and status. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#statusHeld = false;
    const log = this.#o.logger;
    log.info(
      { graceMs: this.#o.shutdownGraceMs, running: this.#runs.runningCount },
      'shutting down',
    );
    this.#loop.stop();
    await this.#watcher?.close();
    this.#writeStatus();
    await this.#reloading.catch(() => undefined);
    await this.#runs.shutdown(this.#o.shutdownGraceMs);
    await this.#warmUp;
    clearInterval(this.#checkpointTimer);
    await this.#o.history.flush();
    // Every fire that started is in the flushed history now; prepared ones that never came due do not
    // count. The newest fire of each schedule stays, settled, in case a power loss undoes the history writes.
    const pending = await this.#o.journal.readPending().catch(() => []);
    const recorded = await this.#selectRecorded(pending, Number.POSITIVE_INFINITY);
    await this.#o.journal
      .checkpoint(compactIntents(pending, Number.POSITIVE_INFINITY, ...recorded))
      .catch(() => undefined);
    await this.#o.journal.close();
    this.#unsubscribeHistory?.();
    await this.#o.history.close();
    this.#writeStatus();
    await this.#status.flush();
    await this.#definitions.flush();
    await this.#saveParseCache();
    await this.#server?.close();
    log.info('cronops stopped');
  }

  /** The status document as of now. */
  snapshot(): StatusSnapshot {
    return buildStatusSnapshot(this.#statusInput(), this.#statusMemo);
  }

  async #reconcile(trigger: string, changed: ReadonlySet<string> | undefined): Promise<void> {
    const log = this.#o.logger;
    let config: ConfigSnapshot;
    try {
      config = await this.#config.reload(changed);
    } catch (err) {
      log.error(
        { err, dir: this.#o.configDir },
        'cannot read the manifest directory; keeping the running schedules',
      );
      this.#lastReconcile = {
        at: this.#o.clock.now(),
        ok: false,
        created: 0,
        updated: 0,
        removed: 0,
        unchanged: this.#jobs.size,
        errors: 1,
        trigger,
      };
      const message = `cannot read the manifest directory: ${err instanceof Error ? err.message : String(err)}`;
      this.#emit({
        type: 'config:error',
        trigger,
        issues: [{ file: this.#o.configDir, line: 0, col: 0, path: '', message }],
      });
      this.#emit({ type: 'config:reloaded', trigger, ok: false, errors: 1 });
      this.#writeStatus();
      return;
    }
    if (this.#config.lastReload.parsed > 0) this.#parseCacheStale = true;
    // Nothing changed since the last pass (editor litter, a no-op swap): nothing to apply or report again.
    if (config === this.#configSnapshot && trigger !== 'SIGHUP') return;
    this.#configSnapshot = config;
    for (const issue of config.issues) {
      log.error(
        { file: issue.file, line: issue.line, col: issue.col, path: issue.path },
        `${issue.file}:${issue.line}:${issue.col}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`,
      );
    }
    const { desired, actual, same } = selectChangedSchedules(config.desired, this.#jobs);
    const plan = planReconcile(desired, actual);
    const isStartup = trigger === 'startup';
    const result = applyPlan(plan, this.#jobTarget(isStartup));
    // The definitions change with the running versions (and are written afresh at start-up).
    if (!isEmptyPlan(plan) || isStartup) {
      this.#definitionsChanged = true;
      this.#reserveJournal();
    }
    // Degraded flags and files can change without the fingerprint changing.
    for (const name of plan.unchanged) {
      const want = config.desired.get(name);
      if (want) this.#jobs.set(name, want);
    }
    const unchanged = plan.unchanged.length + same;
    for (const failure of result.failed) {
      log.error({ err: failure.error, operation: failure.operation }, 'could not apply a change');
    }
    this.#lastReconcile = {
      at: this.#o.clock.now(),
      ok: config.issues.length === 0 && result.failed.length === 0,
      created: plan.create.length,
      updated: plan.update.length,
      removed: plan.remove.length,
      unchanged,
      errors: config.issues.length + result.failed.length,
      trigger,
    };
    const summary = {
      ...this.#lastReconcile,
      at: undefined,
      // Files looked at (stat), parsed again, and schedules resolved again: what the change cost.
      checked: this.#config.lastReload.checked,
      parsed: this.#config.parsedLastReload,
      cached: this.#config.lastReload.cached,
      resolved: this.#config.lastReload.resolved,
    };
    if (!isEmptyPlan(plan) || config.issues.length > 0 || isStartup)
      log.info(summary, 'reconciled');
    if (config.issues.length > 0)
      this.#emit({ type: 'config:error', trigger, issues: config.issues });
    this.#emit({
      type: 'config:reloaded',
      trigger,
      ok: this.#lastReconcile.ok,
      errors: config.issues.length,
    });
    // Someone who just merged a change is watching for it: write it out now.
    this.#writeStatus({ urgent: true });
  }

  #jobTarget(isStartup: boolean): JobTarget {
    return {
      create: (job) => {
        this.#jobs.set(job.name, job);
        this.#runs.define(job);
        const now = this.#o.clock.now();
        const watermark = this.#o.history.lastScheduledAt(job.name);
        if (isStartup && watermark !== undefined) {
          // Downtime: every fire after the last one started, up to now.
          const missed = countFiresBetween(
            job.compiled,
            job.spec.timezone,
            new Date(watermark),
            now,
          );
          if (missed.count > 0 && missed.first && missed.last) {
            this.#runs.handleDue(
              { name: job.name, first: missed.first, last: missed.last, count: missed.count, now },
              'catchup',
            );
          }
        } else if (watermark === undefined) {
          // Remember when scheduling began, so that downtime before the first fire is caught up too.
          void this.#o.history.setLastScheduledAt(job.name, now.toISOString());
        }
        this.#schedule(job, now);
      },
      update: (job) => {
        this.#jobs.set(job.name, job);
        this.#runs.define(job);
        this.#schedule(job, this.#o.clock.now());
      },
      remove: (name) => {
        this.#jobs.delete(name);
        this.#nextFires.delete(name);
        this.#loop.delete(name);
        this.#runs.undefine(name);
      },
    };
  }

  #schedule(job: DesiredSchedule, now: Date): void {
    const watermark = this.#o.history.lastScheduledAt(job.name);
    const after = Math.max(now.getTime(), watermark ? Date.parse(watermark) : 0);
    const { compiled } = job;
    const zone = job.spec.timezone;
    this.#nextFires.delete(job.name);
    this.#loop.set(
      job.name,
      (afterMs) => iterateFires(compiled, zone, new Date(afterMs)).next().value?.getTime(),
      (afterMs, untilMs) => {
        const counted = countFiresBetween(compiled, zone, new Date(afterMs), new Date(untilMs));
        return {
          count: counted.count,
          ...(counted.first ? { first: counted.first.getTime() } : {}),
          ...(counted.last ? { last: counted.last.getTime() } : {}),
        };
      },
      after,
    );
  }

  /** Size the fire journal's reserve for a day of the loaded schedules' fires (docs/design/fire-journal.md). */
  #reserveJournal(): void {
    const now = this.#o.clock.now();
    const rates = [...this.#jobs.values()].map((job) => rateFires(job, now));
    void this.#o.journal.reserveFor?.(rates).then((journal) => {
      if (journal.problem !== undefined) this.#o.logger.warn({ journal }, journal.problem);
      else this.#o.logger.debug({ journal }, 'fire journal reserve sized');
    });
  }

  #onDue(due: DueFires): void {
    this.#nextFires.delete(due.name);
    this.#runs.handleDue(due);
  }

  /**
   * Fires the journal holds but the history does not: the daemon stopped around their instant. They are
   * recorded (and become `interrupted` below) and move the watermark, so that they never run twice.
   */
  async #recoverJournal(): Promise<void> {
    const history = this.#o.history;
    for (const intent of await this.#o.journal.readPending()) {
      if (intent.trigger !== 'manual') {
        const watermark = history.lastScheduledAt(intent.schedule);
        if (watermark === undefined || watermark < intent.scheduledAt) {
          void history.setLastScheduledAt(intent.schedule, intent.scheduledAt);
        }
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
      });
    }
  }

  /**
   * Which intents scheduled before `cutoffMs` have their run in the history (compactIntents asks about
   * those only). Recent runs are in the summaries, so this reads a shard only for an older run.
   */
  async #selectRecorded(
    intents: readonly FireIntent[],
    cutoffMs: number,
  ): Promise<[(intent: FireIntent) => boolean, (intent: FireIntent) => boolean]> {
    const recorded = new Set<string>();
    const saved = new Map<string, () => boolean>();
    for (const intent of intents) {
      if (intent.settled || Date.parse(intent.scheduledAt) >= cutoffMs) continue;
      if (!(await this.#o.history.hasRun(intent.schedule, intent.runId))) continue;
      recorded.add(intent.runId);
      if (!saved.has(intent.schedule))
        saved.set(intent.schedule, this.#o.history.savePoint?.(intent.schedule) ?? (() => true));
    }
    // Asked after the history flush that follows: recorded in memory only (a full disk) is not recorded yet.
    const isSaved = (intent: FireIntent): boolean => saved.get(intent.schedule)?.() ?? true;
    return [
      (intent) => intent.trigger !== 'manual' && recorded.has(intent.runId) && isSaved(intent),
      (intent) => recorded.has(intent.runId) && !isSaved(intent),
    ];
  }

  /** Trim the journal to what the flushed history may not hold yet. */
  async #checkpoint(): Promise<void> {
    try {
      const cutoff = this.#o.clock.now().getTime() - CHECKPOINT_KEEP_MS;
      const intents = await this.#o.journal.readPending();
      const recorded = await this.#selectRecorded(intents, cutoff);
      await this.#o.history.flush();
      // After the flush: a run still only in memory (the disk is full) keeps its intent.
      await this.#o.journal.checkpoint(compactIntents(intents, cutoff, ...recorded));
    } catch (err) {
      this.#o.logger.warn({ err }, 'could not trim the fire journal; will retry');
    }
  }

  async #recoverInterrupted(): Promise<void> {
    const history = this.#o.history;
    // The summaries' counts leave out every shard without such runs: only crashed schedules are read.
    const leftovers = await history.listRuns({ status: ['running', 'pending'] });
    if (leftovers.length === 0) return;
    const now = this.#o.clock.now().toISOString();
    const orphans = leftovers.map((run) => {
      const last = run.attempts.at(-1);
      return {
        runId: run.id,
        ...(last?.pid !== undefined ? { pid: last.pid } : {}),
        ...(last?.processStartTime !== undefined
          ? { processStartTime: last.processStartTime }
          : {}),
      };
    });
    const reaped = await reapOrphans(orphans, 5_000);
    const killedByRun = new Map(reaped.map((r) => [r.runId, r.killed]));
    for (const run of leftovers) {
      const killed = killedByRun.get(run.id) ?? 0;
      const started = run.status === 'running';
      await history.recordRun({
        ...run,
        status: 'interrupted',
        finishedAt: now,
        ...(run.startedAt ? { durationMs: Date.parse(now) - Date.parse(run.startedAt) } : {}),
        reason: started
          ? `the daemon stopped while the run was in progress${killed > 0 ? `; ${killed} leftover process(es) terminated on restart` : ''}`
          : run.reason === JOURNAL_ONLY
            ? killed > 0
              ? `the daemon stopped right after starting the run; ${killed} leftover process(es) terminated on restart`
              : 'the daemon stopped before the run reached the history (at the moment of its fire, or while the state disk was full): it may have run, its outcome is unknown, and it is not run again'
            : 'the daemon stopped before the fire started',
      });
      this.#o.logger.warn(
        { schedule: run.schedule, runId: run.id, orphansKilled: killed },
        'run interrupted by a daemon restart',
      );
    }
  }

  #onRunEvent(event: RunEvent): void {
    this.#emit(event);
    this.#writeStatus();
  }

  #emit(event: DaemonEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** Put a status write off while a fire is due within the next moments: it would make the fire late. */
  #statusDeferMs(): number {
    const next = this.#loop.earliestAt();
    if (next === undefined) return 0;
    const until = next - this.#o.clock.now().getTime();
    return until > -STATUS_QUIET_AFTER_FIRE_MS && until < STATUS_QUIET_BEFORE_FIRE_MS
      ? until + STATUS_QUIET_AFTER_FIRE_MS
      : 0;
  }

  #writeStatus(options: { urgent?: boolean } = {}): void {
    this.#snapshots.invalidate();
    if (!this.#started || this.#statusHeld) return;
    this.#status.update(() => this.#snapshots.fresh().snapshot, options);
  }

  #statusInput(): StatusInput {
    const now = this.#o.clock.now();
    const schedules = this.#scheduleInputs.build(this.#jobs, this.#scheduleSources, now);
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
      },
      ...(this.#lastReconcile ? { lastReconcile: this.#lastReconcile } : {}),
      files: this.#configSnapshot.files,
      schedules,
      history: mergeJournalHealth(this.#o.history.health(), this.#o.journal.health?.()),
    };
  }

  /** The next few instants, cached until the first of them passes. */
  #upcoming(job: DesiredSchedule, now: Date): Date[] {
    const cached = this.#nextFires.get(job.name);
    if (cached && cached[0] && cached[0].getTime() > now.getTime()) return cached;
    const fires: Date[] = [];
    for (const at of iterateFires(job.compiled, job.spec.timezone, now)) {
      fires.push(at);
      if (fires.length >= NEXT_FIRES_SHOWN) break;
    }
    this.#nextFires.set(job.name, fires);
    return fires;
  }
}

/** Events the daemon publishes: runs starting and finishing, reloads. */
export type DaemonEvent =
  | RunEvent
  | { type: 'config:reloaded'; trigger: string; ok: boolean; errors: number }
  | { type: 'config:error'; trigger: string; issues: readonly ManifestIssue[] };
