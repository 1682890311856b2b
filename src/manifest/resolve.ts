// Resolving a set of parsed files into schedules: Defaults, duplicate names, merged templates. Parsing one file is
// parse.ts: this module does not load the schema (zod) or the YAML library, so a start whose files all come from
// the parse cache does not either.
import { dirname } from 'node:path';
import type { CompiledSchedule } from '../cron/types.js';
import { checkAfterGraph, type AfterNode } from './after-graph.js';
import { compareIssues, type ManifestIssue } from './issue.js';
import { mergeDefaults, mergeDefaultsLabels, wroteField } from './merge.js';
import type { JobSpec, ScheduleMetadata } from './schema.js';
import { checkTemplateText } from './templates.js';
import type {
  DefaultsDocument,
  ParsedDocument,
  ScheduleDocument,
  TemplateSite,
} from './validate.js';

/** Manifest files larger than this are refused. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Everything known about one file; pure given its name and text. */
export interface ParsedFile {
  file: string;
  /** sha256 of the text, hex. */
  contentHash: string;
  /** The valid documents. A file with issues contributes none of them to resolveSchedules. */
  documents: ParsedDocument[];
  /** Every problem in the file, sorted by line and column. */
  issues: ManifestIssue[];
}

/** A schedule ready to run: Defaults merged, every default applied, its expression compiled. */
export interface LoadedSchedule {
  name: string;
  file: string;
  /** Where its document starts. */
  line: number;
  metadata: ScheduleMetadata;
  spec: JobSpec;
  compiled: CompiledSchedule;
}

/** Schedules resolved from a set of files, and the problems found only when looking at them together. */
export interface ResolveResult {
  schedules: LoadedSchedule[];
  issues: ManifestIssue[];
  /** Schedule documents passed over because an earlier one (by file path, then position) has their name. */
  duplicates: number;
  /**
   * Schedules whose `after` names no loaded schedule, itself, a cycle or a chain too deep, with the
   * reason (also in `issues`). They stay in `schedules`; they never run by `after`.
   */
  afterBroken: Map<string, string>;
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
    : `${Math.ceil(bytes / 1024)} KiB`;
}

/** The issue for a file over the size limit. */
export function describeOversizedFile(file: string, bytes: number): ManifestIssue {
  return {
    file,
    line: 1,
    col: 1,
    path: '',
    message: `file is ${formatSize(bytes)}; manifest files larger than 1 MiB are refused`,
  };
}

function toLoaded(
  doc: ScheduleDocument,
  metadata: ScheduleMetadata,
  spec: JobSpec,
): LoadedSchedule {
  return { name: doc.name, file: doc.file, line: doc.line, metadata, spec, compiled: doc.compiled };
}

/** Whether a schedule replaces the Defaults string at `site` (its own notify list, or its own env key). */
function isOverridden(site: TemplateSite, written: string): boolean {
  const [, field, inner, key] = site.segments;
  if (field === 'notify') return wroteField(written, 'notify');
  if (field !== 'task' || inner !== 'env' || typeof key !== 'string') return false;
  return wroteField(written, `task.env.${key}`);
}

/** Merge the directory's Defaults under one schedule; issues are reported at the schedule. */
function applyDefaults(doc: ScheduleDocument, defaults: DefaultsDocument): ResolvedDocument {
  const where = `the Defaults at ${defaults.file}:${defaults.line}:${defaults.col}`;
  const at = { file: doc.file, line: doc.nameLine, col: doc.nameCol };
  const issues: ManifestIssue[] = [];
  for (const site of defaults.paramTemplates) {
    if (isOverridden(site, doc.written)) continue;
    for (const problem of checkTemplateText(
      site.text,
      doc.spec.params,
      doc.spec.after !== undefined,
    )) {
      issues.push({
        ...at,
        path: site.path,
        message: `${problem}; the template comes from the Defaults at ${defaults.file}:${site.line}:${site.col}`,
      });
    }
  }
  const spec = mergeDefaults(defaults.spec, doc.written, doc.spec);
  if (
    spec.activeFrom !== undefined &&
    spec.activeUntil !== undefined &&
    spec.activeFrom >= spec.activeUntil
  ) {
    issues.push({
      ...at,
      path: 'spec.activeUntil',
      message: `expected activeUntil to be after activeFrom (${spec.activeFrom}), got ${spec.activeUntil} (after merging ${where})`,
    });
  }
  if (issues.length > 0) return { issues };
  return {
    schedule: toLoaded(doc, mergeDefaultsLabels(defaults.labels, doc.metadata), spec),
    issues,
  };
}

/** One Schedule document resolved under its directory's Defaults (or none): its schedule, or why not. */
export interface ResolvedDocument {
  schedule?: LoadedSchedule;
  issues: ManifestIssue[];
}

/**
 * Documents already resolved, by document, with the Defaults they were resolved under. Parsed documents
 * are immutable and a file's text that did not change keeps its parsed documents, so an entry stays
 * valid for as long as both objects are the ones in use: passing the same memo to every call resolves
 * (merges Defaults into) only the documents of changed files, or all of them after a Defaults change.
 */
export type ResolveMemo = WeakMap<
  ScheduleDocument,
  { defaults: DefaultsDocument | undefined; resolved: ResolvedDocument }
>;

function resolveDocument(
  doc: ScheduleDocument,
  defaults: DefaultsDocument | undefined,
  memo: ResolveMemo | undefined,
): ResolvedDocument {
  const cached = memo?.get(doc);
  if (cached !== undefined && cached.defaults === defaults) return cached.resolved;
  const resolved: ResolvedDocument =
    defaults === undefined
      ? { schedule: toLoaded(doc, doc.metadata, doc.spec), issues: [] }
      : applyDefaults(doc, defaults);
  memo?.set(doc, { defaults, resolved });
  return resolved;
}

/**
 * Turn parsed files into schedules. Files with issues contribute nothing. Per directory, the
 * first Defaults (by file path) is merged under every Schedule and any other is an error; a
 * name used twice is an error on the later one (by file path, then position). The order of the
 * result is deterministic: by file path, then position in the file. With a `memo`, a document
 * resolved before under the same Defaults gives the same result (the same objects) without
 * being resolved again.
 */
export function resolveSchedules(files: readonly ParsedFile[], memo?: ResolveMemo): ResolveResult {
  const ordered = files
    .filter((file) => file.issues.length === 0)
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const issues: ManifestIssue[] = [];
  const defaultsByDir = new Map<string, DefaultsDocument>();
  for (const file of ordered) {
    for (const doc of file.documents) {
      if (doc.kind !== 'Defaults') continue;
      const dir = dirname(doc.file);
      const first = defaultsByDir.get(dir);
      if (first === undefined) {
        defaultsByDir.set(dir, doc);
      } else {
        issues.push({
          file: doc.file,
          line: doc.line,
          col: doc.col,
          path: '',
          message: `a second Defaults document in this directory (the first is at ${first.file}:${first.line}:${first.col}); only one is allowed`,
        });
      }
    }
  }
  const schedules: LoadedSchedule[] = [];
  const byName = new Map<string, ScheduleDocument>();
  const afterNodes: AfterNode[] = [];
  let duplicates = 0;
  // The directory of the previous document's file: a file's documents share it, and dirname() is not free.
  let lastFile: string | undefined;
  let defaults: DefaultsDocument | undefined;
  for (const file of ordered) {
    for (const doc of file.documents) {
      if (doc.kind !== 'Schedule') continue;
      if (doc.file !== lastFile) {
        lastFile = doc.file;
        defaults = defaultsByDir.size === 0 ? undefined : defaultsByDir.get(dirname(doc.file));
      }
      const earlier = byName.get(doc.name);
      if (earlier !== undefined) {
        issues.push({
          file: doc.file,
          line: doc.nameLine,
          col: doc.nameCol,
          path: 'metadata.name',
          message: `duplicate schedule name "${doc.name}": defined at ${earlier.file}:${earlier.nameLine}:${earlier.nameCol} and at ${doc.file}:${doc.nameLine}:${doc.nameCol}; names must be unique`,
        });
        duplicates += 1;
        continue;
      }
      byName.set(doc.name, doc);
      const resolved = resolveDocument(doc, defaults, memo);
      if (resolved.issues.length > 0) issues.push(...resolved.issues);
      if (resolved.schedule) {
        schedules.push(resolved.schedule);
        const after = doc.spec.after;
        if (after !== undefined)
          afterNodes.push({ name: doc.name, file: doc.file, after, at: doc.afterAt ?? [] });
      }
    }
  }
  let afterBroken = new Map<string, string>();
  if (afterNodes.length > 0) {
    const graph = checkAfterGraph(afterNodes, new Set(schedules.map((s) => s.name)));
    issues.push(...graph.issues);
    afterBroken = graph.broken;
  }
  issues.sort(compareIssues);
  return { schedules, issues, duplicates, afterBroken };
}
