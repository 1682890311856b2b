// Reloading: re-read the manifest directory, plan the change, apply it, and report it.
import type { Logger } from 'pino';
import { applyPlan, type JobTarget } from '../reconcile/apply.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import { isEmptyPlan, planReconcile, selectChangedSchedules } from '../reconcile/plan.js';
import type { Clock } from '../shared/clock.js';
import type { StatusInput } from '../status/snapshot.js';
import type { ConfigSnapshot, ConfigState } from './config-state.js';
import type { DaemonEvent } from './daemon-events.js';

/** What a reload works on and tells: the daemon's parts. */
export interface ReconcilerHost {
  config: ConfigState;
  configDir: string;
  clock: Clock;
  logger: Logger;
  /** The schedules as loaded (changed here). */
  jobs: Map<string, DesiredSchedule>;
  jobTarget(isStartup: boolean): JobTarget;
  /** A plan was applied (the clock anomalies it found are reported then). */
  onApplied(isStartup: boolean): void;
  /** A file was parsed (the parse cache is stale). */
  onParsed(): void;
  onDefinitionsChanged(): void;
  emit(event: DaemonEvent): void;
  writeStatus(options?: { urgent?: boolean }): void;
  isStopping(): boolean;
}

/** Runs reload passes one at a time; concurrent calls collapse into one more pass. */
export class Reconciler {
  readonly #h: ReconcilerHost;
  #reloading: Promise<void> = Promise.resolve();
  #reloadQueued = false;
  /** The entries the queued pass must look at (those named by the calls it stands for); undefined: all. */
  #queuedChanges: Set<string> | undefined;
  #configSnapshot: ConfigSnapshot = { desired: new Map(), files: [], issues: [] };
  #lastReconcile: StatusInput['lastReconcile'];
  /** The last pass applied every change: the running schedules are its snapshot's desired ones. */
  #appliedInFull = false;

  constructor(host: ReconcilerHost) {
    this.#h = host;
  }

  /** The files of the last pass, for the status. */
  get files(): ConfigSnapshot['files'] {
    return this.#configSnapshot.files;
  }

  get lastReconcile(): StatusInput['lastReconcile'] {
    return this.#lastReconcile;
  }

  /** Resolves when the passes queued so far are done (never rejects). */
  settled(): Promise<void> {
    return this.#reloading.catch(() => undefined);
  }

  /**
   * Re-read the directory and reconcile. `changed` names the entries that may have changed (a watcher
   * batch): only those files are looked at. Without it, every file is. Concurrent calls collapse into one
   * more pass, which looks at everything any of them named.
   */
  reload(trigger: string, changed?: readonly string[]): Promise<void> {
    if (this.#h.isStopping()) return this.#reloading;
    // SIGHUP reads every file again, even those whose stat looks unchanged.
    if (trigger === 'SIGHUP') this.#h.config.invalidate();
    if (!this.#reloadQueued) this.#queuedChanges = new Set();
    if (changed === undefined) this.#queuedChanges = undefined;
    else for (const name of changed) this.#queuedChanges?.add(name);
    if (this.#reloadQueued) return this.#reloading;
    this.#reloadQueued = true;
    this.#reloading = this.#reloading.then(async () => {
      this.#reloadQueued = false;
      const changes = this.#queuedChanges;
      if (this.#h.isStopping()) return;
      await this.#reconcile(trigger, changes);
    });
    return this.#reloading;
  }

  async #reconcile(trigger: string, changed: ReadonlySet<string> | undefined): Promise<void> {
    const log = this.#h.logger;
    let config: ConfigSnapshot;
    try {
      config = await this.#h.config.reload(changed);
    } catch (err) {
      log.error(
        { err, dir: this.#h.configDir },
        'cannot read the manifest directory; keeping the running schedules',
      );
      this.#lastReconcile = {
        at: this.#h.clock.now(),
        ok: false,
        created: 0,
        updated: 0,
        removed: 0,
        unchanged: this.#h.jobs.size,
        errors: 1,
        trigger,
      };
      const message = `cannot read the manifest directory: ${err instanceof Error ? err.message : String(err)}`;
      this.#h.emit({
        type: 'config:error',
        trigger,
        issues: [{ file: this.#h.configDir, line: 0, col: 0, path: '', message }],
      });
      this.#h.emit({ type: 'config:reloaded', trigger, ok: false, errors: 1 });
      this.#h.writeStatus();
      return;
    }
    if (this.#h.config.lastReload.parsed > 0) this.#h.onParsed();
    // Nothing changed since the last pass (editor litter, a no-op swap): nothing to apply or report again.
    if (config === this.#configSnapshot && trigger !== 'SIGHUP') return;
    // Made from the last snapshot, which was applied in full: only the names it changed need a look.
    const only =
      config.changed !== undefined &&
      config.changed.since === this.#configSnapshot.serial &&
      this.#appliedInFull
        ? config.changed.names
        : undefined;
    this.#configSnapshot = config;
    for (const issue of config.issues) {
      log.error(
        { file: issue.file, line: issue.line, col: issue.col, path: issue.path },
        `${issue.file}:${issue.line}:${issue.col}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`,
      );
    }
    const { desired, actual, same } = selectChangedSchedules(config.desired, this.#h.jobs, only);
    const plan = planReconcile(desired, actual);
    const isStartup = trigger === 'startup';
    const result = applyPlan(plan, this.#h.jobTarget(isStartup));
    this.#h.onApplied(isStartup);
    // The definitions change with the running versions (and are written afresh at start-up).
    if (!isEmptyPlan(plan) || isStartup) this.#h.onDefinitionsChanged();
    // Degraded flags and files can change without the fingerprint changing.
    for (const name of plan.unchanged) {
      const want = config.desired.get(name);
      if (want) this.#h.jobs.set(name, want);
    }
    const unchanged = plan.unchanged.length + same;
    this.#appliedInFull = result.failed.length === 0;
    for (const failure of result.failed) {
      log.error({ err: failure.error, operation: failure.operation }, 'could not apply a change');
    }
    this.#lastReconcile = {
      at: this.#h.clock.now(),
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
      checked: this.#h.config.lastReload.checked,
      parsed: this.#h.config.parsedLastReload,
      cached: this.#h.config.lastReload.cached,
      resolved: this.#h.config.lastReload.resolved,
    };
    if (!isEmptyPlan(plan) || config.issues.length > 0 || isStartup)
      log.info(summary, 'reconciled');
    if (config.issues.length > 0)
      this.#h.emit({ type: 'config:error', trigger, issues: config.issues });
    this.#h.emit({
      type: 'config:reloaded',
      trigger,
      ok: this.#lastReconcile.ok,
      errors: config.issues.length,
    });
    // Someone who just merged a change is watching for it: write it out now.
    this.#h.writeStatus({ urgent: true });
  }
}
