// The daemon's view of the manifest directory: the current and last good version of every file.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isManifestFileName } from '../manifest/file-names.js';
import type { ManifestIssue } from '../manifest/issue.js';
import {
  resolveSchedules,
  type LoadedSchedule,
  type ParsedFile,
  type ResolveMemo,
  type ResolveResult,
} from '../manifest/resolve.js';
import { createSharedValues } from '../manifest/shared-parts.js';
import { compareIssues } from '../manifest/issue.js';
import { fingerprintSchedule } from '../reconcile/fingerprint.js';
import {
  toDesiredSchedule,
  type DesiredSchedule,
  type DesiredState,
} from '../reconcile/desired.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { fallBackOnBrokenAfter } from './after-fallback.js';
import { keepRunningDuplicates } from './duplicate-names.js';
import { readFileVersion, type FileState } from './file-version.js';
import type { ParseCacheReader } from './parse-cache.js';
import {
  buildIncrement,
  selectEffective,
  selectIncrementBase,
  type ConfigSnapshot,
  type FileReport,
  type IncrementBase,
} from './config-increment.js';
import { pushTo } from '../shared/push-to.js';
import { compareText } from '../shared/compare-text.js';

export type { ConfigSnapshot, FileReport } from './config-increment.js';

/** What the last reload did, for the `reconciled` log line and the benchmark. */
export interface ReloadCounts {
  /** Manifest files in the directory. */
  listed: number;
  /** Files stat'ed (a reload told which files changed stats only those, new ones and unsettled ones). */
  checked: number;
  /** Files whose text was read (the others had an unchanged, settled stat signature). */
  read: number;
  /** Files parsed again (the others were read but their text was unchanged, or found in the parse cache). */
  parsed: number;
  /** Files whose parse came from the parse cache (start-up only). */
  cached: number;
  /** Schedules resolved again (Defaults merged, fingerprinted); the others were reused as they were. */
  resolved: number;
}

export interface ConfigStateOptions {
  /** Read for the "settled" check. @default systemClock */
  clock?: Clock;
  /** How long a file must have been unmodified before its stat signature is trusted. @default 2000 */
  settleMs?: number;
  /**
   * Make a reload's snapshot from the last one and the changed files when that gives the same result
   * (config-increment.ts); false resolves every file on every reload (tests compare the two). @default true
   */
  incremental?: boolean;
}

const noCounts = (): ReloadCounts => ({
  listed: 0,
  checked: 0,
  read: 0,
  parsed: 0,
  cached: 0,
  resolved: 0,
});

/** Files stat'ed and read at the same time. */
const IO_CONCURRENCY = 64;
/**
 * Reads the directory and keeps the last good version of each file. Every reload lists the whole
 * directory. A full reload stats every manifest; a reload told which files changed (the names of a
 * watcher batch) stats only those, files it has not seen yet and files read too recently to trust their
 * stat. A file is read only when its stat signature changed, parsed only when its text changed, and its
 * schedules are resolved again only when it or the Defaults changed. A file that turns invalid keeps its
 * previous schedules (marked degraded); a file that never was valid contributes nothing; a deleted file
 * takes its schedules with it. When two files define the same name, the one already running keeps it
 * and the other is reported.
 */
export class ConfigState {
  readonly dir: string;
  readonly #clock: Clock;
  readonly #settleMs: number;
  readonly #incremental: boolean;
  #files = new Map<string, FileState>();
  /** What the next reload starts from when it changed a few files (undefined: a full pass then). */
  #base: IncrementBase | undefined;
  #serial = 0;
  /** The schedules wanted last time: the one of a name claimed twice keeps it. */
  #running: DesiredState = new Map();
  /** The file each of them comes from. */
  readonly #runningFiles = { get: (name: string) => this.#running.get(name)?.file };
  /** Schedule documents resolved under the Defaults in use: only changed files are resolved again. */
  readonly #resolveMemo: ResolveMemo = new WeakMap();
  /** The desired schedule of each resolved schedule (which the memo keeps as the same object), as running and as degraded. */
  readonly #desired = new WeakMap<
    LoadedSchedule,
    { running: DesiredSchedule; degraded?: DesiredSchedule }
  >();
  #last: ConfigSnapshot | undefined;
  #forceRead = false;
  /** Stat every file next time, whatever the caller says changed (the first reload, or after a failed one). */
  #rescanNext = true;
  /** Schedules resolved by the snapshot being built. */
  #resolvedCount = 0;
  /** The version of each file last run with its `after` links intact: where an edit that breaks them falls back. */
  readonly #afterGood = new Map<string, ParsedFile>();
  /** Parses kept from an earlier start, consulted before parsing a file (see useParseCache). */
  #parseCache: ParseCacheReader | undefined;
  /** What the last reload did. */
  lastReload: ReloadCounts = noCounts();

  constructor(dir: string, options: ConfigStateOptions = {}) {
    this.dir = dir;
    this.#clock = options.clock ?? systemClock;
    this.#settleMs = options.settleMs ?? 2000;
    this.#incremental = options.incremental ?? true;
  }

  /** How many files the last reload parsed again (unchanged ones are reused). */
  get parsedLastReload(): number {
    return this.lastReload.parsed;
  }

  /**
   * Consult `cache` before parsing a file whose text it knows (by path and SHA-256); undefined stops. The
   * daemon sets it for its start-up reload only: later reloads compare a file's text with what they hold.
   */
  useParseCache(cache: ParseCacheReader | undefined): void {
    this.#parseCache = cache;
  }

  /** The parse of every file as last read (what the parse cache keeps). */
  parsedFiles(): ParsedFile[] {
    return [...this.#files.values()]
      .map((state) => state.current)
      .filter((parsed) => parsed.contentHash !== '');
  }

  /** Make the next reload read every file whatever its stat signature (SIGHUP). */
  invalidate(): void {
    this.#forceRead = true;
  }

  /**
   * Re-read the directory. `changed` names the entries that may have changed since the last reload
   * (relative to the directory, as a watcher batch lists them): only those, new files and files read too
   * recently to trust are stat'ed. Without it (start-up, a ConfigMap swap, a replaced directory,
   * SIGHUP), or when it names anything but manifest files (`..data`), every file is. Throws only when
   * the directory itself cannot be listed.
   */
  async reload(changed?: Iterable<string>): Promise<ConfigSnapshot> {
    const force = this.#forceRead;
    this.#forceRead = false;
    const rescan = this.#rescanNext;
    // A reload that fails may leave named changes unseen: the next one looks at every file.
    this.#rescanNext = true;
    // `..data` (a ConfigMap swap) or any other entry that is not a manifest changes what every file is.
    const named = rescan || changed === undefined ? undefined : [...changed];
    const snapshot = await this.#reload(
      force,
      named?.every(isManifestFileName) ? named : undefined,
    );
    this.#rescanNext = false;
    return snapshot;
  }

  async #reload(force: boolean, changed: Iterable<string> | undefined): Promise<ConfigSnapshot> {
    const names = (await readdir(this.dir, { withFileTypes: true }))
      .filter((entry) => isManifestFileName(entry.name) && !entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    const only = changed === undefined || force ? undefined : new Set(changed);
    const counts = noCounts();
    const paths = names.map((name) => join(this.dir, name));
    const toCheck = paths.filter((path, index) => {
      const previous = this.#files.get(path);
      return !only || !previous || !previous.settled || only.has(names[index] as string);
    });
    // For this reload only: kept, the tables would hold values no schedule uses any more.
    const shared = createSharedValues();
    const checked = await mapWithConcurrency(toCheck, IO_CONCURRENCY, (path) =>
      readFileVersion(path, this.#files.get(path), force, {
        clock: this.#clock,
        settleMs: this.#settleMs,
        parseCache: this.#parseCache,
        shared,
      }),
    );
    const results = new Map(toCheck.map((path, index) => [path, checked[index]]));
    counts.checked = toCheck.length;
    const next = new Map<string, FileState>();
    let changedAny = this.#last === undefined || force;
    for (const path of paths) {
      const previous = this.#files.get(path);
      if (!results.has(path)) {
        // Not named by the batch, and settled: as it was.
        counts.listed += 1;
        next.set(path, previous as FileState);
        continue;
      }
      const read = results.get(path);
      if (read === undefined) continue; // vanished between listing and reading, or not a regular file
      counts.listed += 1;
      if (read.readNow) counts.read += 1;
      if (read.parsedNow) counts.parsed += 1;
      if (read.cachedNow === true) counts.cached += 1;
      if (previous?.current !== read.current) changedAny = true;
      const ok = read.current.issues.length === 0;
      next.set(path, {
        file: path,
        current: read.current,
        textHash: read.textHash,
        signature: read.signature,
        settled: read.settled,
        declaresDefaults: read.declaresDefaults,
        lastGood: ok ? read.current : previous?.lastGood,
      });
    }
    if (next.size !== this.#files.size) changedAny = true;
    const before = this.#files;
    this.#files = next;
    // Nothing new to resolve (editor litter, a swap that changed no content, a no-op SIGHUP).
    if (!changedAny && this.#last) {
      this.lastReload = counts;
      return this.#last;
    }
    this.#resolvedCount = 0;
    // A few files changed: their schedules are resolved and put in place of their old ones, unless
    // something ties them to other files (then, and after SIGHUP, every file is looked at again).
    const snapshot = (!force && this.#increment(before)) || this.snapshot();
    counts.resolved = this.#resolvedCount;
    this.lastReload = counts;
    this.#running = snapshot.desired;
    this.#last = snapshot;
    return snapshot;
  }

  /** The snapshot from the last one and the files changed since `before`, or undefined (see buildIncrement). */
  #increment(before: ReadonlyMap<string, FileState>): ConfigSnapshot | undefined {
    if (!this.#incremental || this.#base === undefined || this.#last !== this.#base.snapshot)
      return undefined;
    const built = buildIncrement(this.#serial + 1, this.#base, before, this.#files, {
      memo: this.#resolveMemo,
      toDesired: (schedule, degraded) => this.#toDesired(schedule, degraded),
    });
    // The base's maps were changed in place: without a result it is no base any more.
    this.#base = built?.base;
    if (built === undefined) return undefined;
    this.#serial += 1;
    // No file of an increment has an `after` link: each changed file's version in use holds them all.
    for (const path of built.changedPaths) {
      const state = this.#files.get(path);
      if (state === undefined) {
        this.#afterGood.delete(path);
        continue;
      }
      const effective = selectEffective(state);
      if (effective !== undefined) this.#afterGood.set(path, effective);
    }
    return built.snapshot;
  }

  /** Desired state and per-file reports from what was read last: every file resolved together. */
  snapshot(): ConfigSnapshot {
    const states = [...this.#files.values()];
    // An invalid Defaults with no good version to fall back on: every schedule of the directory would
    // run without it (in another time zone, without its retries or notifications), so none is loaded.
    const brokenDefaults = states.find(
      (s) => s.declaresDefaults && s.current.issues.length > 0 && !s.lastGood,
    );
    const effective = brokenDefaults
      ? []
      : states
          .map((s) => (s.current.issues.length === 0 ? s.current : s.lastGood))
          .filter((f): f is ParsedFile => f !== undefined)
          .sort((a, b) => compareText(a.file, b.file));
    const degradedFiles = new Set(
      states.filter((s) => s.current.issues.length > 0 && s.lastGood).map((s) => s.file),
    );
    let used = effective;
    let resolved = resolveSchedules(effective, this.#resolveMemo);
    let steeredIssues: ManifestIssue[] = [];
    // Only a name defined twice can be steered to the file already running it: resolve again then.
    if (resolved.duplicates > 0) {
      const steered = keepRunningDuplicates(effective, this.#runningFiles);
      if (steered.issues.length > 0) {
        used = steered.files;
        resolved = resolveSchedules(steered.files, this.#resolveMemo);
        steeredIssues = steered.issues;
      }
    }
    const afterFallback = fallBackOnBrokenAfter(
      used,
      resolved,
      (file) => this.#afterGood.get(file),
      (files) => resolveSchedules(files, this.#resolveMemo),
    );
    resolved = afterFallback.resolved;
    this.#rememberAfterGood(afterFallback.files, resolved);
    for (const file of afterFallback.fellBack) degradedFiles.add(file);
    const desired = new Map<string, DesiredSchedule>();
    const namesByFile = new Map<string, string[]>();
    for (const schedule of resolved.schedules) {
      const blocked = resolved.afterBroken.get(schedule.name);
      desired.set(
        schedule.name,
        blocked === undefined
          ? this.#toDesired(schedule, degradedFiles.has(schedule.file))
          : // Rare: a new object per snapshot is fine. Its file is invalid; it never runs by `after`.
            toDesiredSchedule(schedule, this.#toDesired(schedule, true).hash, true, blocked),
      );
      pushTo(namesByFile, schedule.file, schedule.name);
    }
    const issuesByFile = new Map<string, ManifestIssue[]>();
    const addIssue = (issue: ManifestIssue): void => pushTo(issuesByFile, issue.file, issue);
    for (const s of states) s.current.issues.forEach(addIssue);
    if (brokenDefaults) {
      for (const s of states) {
        if (s === brokenDefaults || s.current.issues.length > 0) continue;
        addIssue({
          file: s.file,
          line: 1,
          col: 1,
          path: '',
          message: `not loaded: the Defaults in ${brokenDefaults.file} is invalid, and these schedules would run without it; fix that file first`,
        });
      }
    }
    steeredIssues.forEach(addIssue);
    afterFallback.setAside.forEach(addIssue);
    resolved.issues.forEach(addIssue);
    const files: FileReport[] = states.map((s) => {
      const issues = (issuesByFile.get(s.file) ?? []).sort(compareIssues);
      return {
        file: s.file,
        ok: issues.length === 0,
        issues,
        schedules: namesByFile.get(s.file) ?? [],
      };
    });
    const issues = [...issuesByFile.values()].flat().sort(compareIssues);
    this.#serial += 1;
    const snapshot: ConfigSnapshot = { desired, files, issues, serial: this.#serial };
    const untied =
      brokenDefaults === undefined &&
      steeredIssues.length === 0 &&
      afterFallback.setAside.length === 0 &&
      afterFallback.fellBack.size === 0 &&
      resolved.duplicates === 0 &&
      resolved.afterBroken.size === 0;
    this.#base = selectIncrementBase(snapshot, afterFallback.files, resolved.schedules, untied);
    return snapshot;
  }

  /** Remember the version of every file whose `after` links all hold; forget files that are gone. */
  #rememberAfterGood(files: readonly ParsedFile[], resolved: ResolveResult): void {
    const broken = new Set<string>();
    for (const schedule of resolved.schedules)
      if (resolved.afterBroken.has(schedule.name)) broken.add(schedule.file);
    for (const file of files) if (!broken.has(file.file)) this.#afterGood.set(file.file, file);
    for (const file of this.#afterGood.keys())
      if (!this.#files.has(file)) this.#afterGood.delete(file);
  }

  /**
   * The desired schedule, built (and fingerprinted) once per resolved schedule: the resolve memo gives
   * an unchanged document under unchanged Defaults the same object, so an unchanged schedule stays the
   * same object and hashing 10,000 schedules again on every reload (~0.3 s) is avoided.
   */
  #toDesired(schedule: LoadedSchedule, degraded: boolean): DesiredSchedule {
    let built = this.#desired.get(schedule);
    if (built === undefined) {
      this.#resolvedCount += 1;
      const running = toDesiredSchedule(
        schedule,
        fingerprintSchedule(schedule.metadata, schedule.spec),
        false,
      );
      built = { running };
      this.#desired.set(schedule, built);
    }
    if (!degraded) return built.running;
    built.degraded ??= toDesiredSchedule(schedule, built.running.hash, true);
    return built.degraded;
  }
}

async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
