// A reload that changed a few files: the new snapshot from the last one and those files only, when that gives the same result.
import { dirname } from 'node:path';
import type { ManifestIssue } from '../manifest/issue.js';
import { compareIssues } from '../manifest/issue.js';
import {
  resolveSchedules,
  type LoadedSchedule,
  type ParsedFile,
  type ResolveMemo,
} from '../manifest/resolve.js';
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { FileState } from './file-version.js';
import { pushTo } from '../shared/push-to.js';

/** The snapshot types (config-state.ts re-exports them). */
export interface FileReport {
  file: string;
  ok: boolean;
  issues: ManifestIssue[];
  /** The schedules running from this file (from its last good version when it is invalid). */
  schedules: string[];
}

export interface ConfigSnapshot {
  /** The schedules wanted, by name (in no particular order). */
  desired: Map<string, DesiredSchedule>;
  files: FileReport[];
  /** Every current issue (of files and of resolving them together), by file, line, column. */
  issues: ManifestIssue[];
  /** Tells snapshots apart (those of one ConfigState are numbered). */
  serial?: number;
  /**
   * The names whose desired schedule may differ from those of snapshot `since` (added, removed or
   * replaced), when this snapshot was made from that one and the changed files only. Every other name
   * maps to the very object it maps to there.
   */
  changed?: { since: number; names: ReadonlySet<string> };
}

/**
 * What a full pass leaves for the next reload to start from, when nothing in it ties files together:
 * no Defaults document that is invalid, repeated in a directory or changed, no name defined twice, no
 * `after` link. Then a file's schedules, issues and report depend on that file (and the Defaults, which
 * it must not change) alone.
 */
export interface IncrementBase {
  snapshot: ConfigSnapshot;
  /** Each file's names in the snapshot, in document order. */
  namesByFile: Map<string, string[]>;
  /** Each file's report, by path. */
  reports: Map<string, FileReport>;
  /** The files holding the Defaults in use, cut down to their Defaults documents. */
  defaults: ParsedFile[];
}

/** How an increment builds what the full pass builds. */
export interface IncrementHost {
  memo: ResolveMemo;
  toDesired(schedule: LoadedSchedule, degraded: boolean): DesiredSchedule;
}

/** The version of a file its schedules come from: the current one when valid, else the last good one. */
export function selectEffective(state: FileState): ParsedFile | undefined {
  return state.current.issues.length === 0 ? state.current : state.lastGood;
}

/** Whether a file version holds a Defaults document, or a schedule with an `after` link. */
function tiesFiles(file: ParsedFile | undefined): boolean {
  return (
    file?.documents.some(
      (doc) => doc.kind === 'Defaults' || (doc.kind === 'Schedule' && doc.spec.after !== undefined),
    ) ?? false
  );
}

function isUnchanged(before: FileState | undefined, after: FileState | undefined): boolean {
  return (
    before !== undefined &&
    after !== undefined &&
    before.current === after.current &&
    before.lastGood === after.lastGood
  );
}

/**
 * The snapshot of `states` made from `base` (the snapshot of `previous`) by resolving the files that
 * changed only, or undefined when that could differ from a full pass: a changed file holds (or held) a
 * Defaults document or an `after` link, or one of its names is defined by another file. The result equals
 * the full pass's but for the order of `desired`; files whose schedules did not change keep their report
 * object, and their schedules their desired object. With a result, the base is spent: its maps, and its
 * snapshot's `desired`, are the result's, changed in place. `changedPaths` are the files it resolved
 * again (and those gone).
 */
export function buildIncrement(
  serial: number,
  base: IncrementBase,
  previous: ReadonlyMap<string, FileState>,
  states: ReadonlyMap<string, FileState>,
  host: IncrementHost,
): { snapshot: ConfigSnapshot; base: IncrementBase; changedPaths: string[] } | undefined {
  const changedPaths: string[] = [];
  for (const [path, state] of states)
    if (!isUnchanged(previous.get(path), state)) changedPaths.push(path);
  for (const path of previous.keys()) if (!states.has(path)) changedPaths.push(path);
  const changed = new Set(changedPaths);
  const effective: ParsedFile[] = [];
  for (const path of changedPaths) {
    const before = previous.get(path);
    const after = states.get(path);
    if (before?.declaresDefaults === true || after?.declaresDefaults === true) return undefined;
    if (before !== undefined && tiesFiles(selectEffective(before))) return undefined;
    const file = after === undefined ? undefined : selectEffective(after);
    if (tiesFiles(file)) return undefined;
    if (file !== undefined) effective.push(file);
  }
  const resolved = resolveSchedules([...base.defaults, ...effective], host.memo);
  if (resolved.duplicates > 0 || resolved.afterBroken.size > 0) return undefined;
  const old = base.snapshot.desired;
  for (const schedule of resolved.schedules) {
    const holder = old.get(schedule.name);
    if (holder !== undefined && !changed.has(holder.file)) return undefined;
  }
  // Changed in place, as the base's other maps are: copying a map of 100,000 schedules took 50-120 ms.
  // The previous snapshot is spent (nothing reads its `desired` once this one is made).
  const desired = old;
  const names = new Set<string>();
  const namesByFile = base.namesByFile;
  for (const path of changedPaths) {
    for (const name of namesByFile.get(path) ?? []) {
      desired.delete(name);
      names.add(name);
    }
    namesByFile.delete(path);
  }
  for (const schedule of resolved.schedules) {
    const state = states.get(schedule.file) as FileState;
    const degraded = state.current.issues.length > 0 && state.lastGood !== undefined;
    desired.set(schedule.name, host.toDesired(schedule, degraded));
    names.add(schedule.name);
    pushTo(namesByFile, schedule.file, schedule.name);
  }
  const newIssues = new Map<string, ManifestIssue[]>();
  const addIssue = (issue: ManifestIssue): void => pushTo(newIssues, issue.file, issue);
  for (const path of changedPaths) states.get(path)?.current.issues.forEach(addIssue);
  resolved.issues.forEach(addIssue);
  const reports = base.reports;
  for (const path of changedPaths) {
    reports.delete(path);
    if (!states.has(path)) continue;
    const issues = (newIssues.get(path) ?? []).sort(compareIssues);
    reports.set(path, {
      file: path,
      ok: issues.length === 0,
      issues,
      schedules: namesByFile.get(path) ?? [],
    });
  }
  const files: FileReport[] = [];
  for (const path of states.keys()) files.push(reports.get(path) as FileReport);
  const issues = base.snapshot.issues.filter((issue) => !changed.has(issue.file));
  for (const list of newIssues.values()) issues.push(...list);
  issues.sort(compareIssues);
  const snapshot: ConfigSnapshot = {
    desired,
    files,
    issues,
    serial,
    ...(base.snapshot.serial === undefined
      ? {}
      : { changed: { since: base.snapshot.serial, names } }),
  };
  return { snapshot, base: { ...base, snapshot }, changedPaths };
}

/**
 * The base a full pass leaves, or undefined when something in it ties files together (see IncrementBase).
 * `used` are the files resolved, `schedules` their schedules (after every fallback).
 */
export function selectIncrementBase(
  snapshot: ConfigSnapshot,
  used: readonly ParsedFile[],
  schedules: readonly LoadedSchedule[],
  untied: boolean,
): IncrementBase | undefined {
  if (!untied) return undefined;
  const defaults: ParsedFile[] = [];
  const defaultsDirs = new Set<string>();
  for (const file of used) {
    const docs = file.documents.filter((doc) => doc.kind === 'Defaults');
    if (docs.length === 0) continue;
    defaults.push({ ...file, documents: docs });
    for (const doc of docs) {
      const dir = dirname(doc.file);
      // A second Defaults in a directory is an issue that ties the files of that directory together.
      if (defaultsDirs.has(dir) || docs.length > 1) return undefined;
      defaultsDirs.add(dir);
    }
  }
  const namesByFile = new Map<string, string[]>();
  for (const schedule of schedules) {
    if (schedule.spec.after !== undefined) return undefined;
    pushTo(namesByFile, schedule.file, schedule.name);
  }
  const reports = new Map(snapshot.files.map((report) => [report.file, report]));
  return { snapshot, namesByFile, reports, defaults };
}
