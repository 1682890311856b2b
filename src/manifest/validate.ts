// One YAML document → a validated Schedule or Defaults, or every issue it has, each with its position.
import type { CompiledSchedule } from '../cron/types.js';
import { SchedulerError } from '../shared/errors.js';
import { describeValue, describeZodIssue, type UnknownFieldExplainer } from './issue-messages.js';
import { listWrittenFields } from './merge.js';
import type { ManifestIssue } from './issue.js';
import { compileSpecSchedule } from './schedule-expression.js';

export { compileSpecSchedule } from './schedule-expression.js';
import {
  API_VERSION,
  DefaultsDocumentSchema,
  ScheduleDocumentSchema,
  TASK_KINDS,
  type DefaultsSpec,
  type JobSpec,
  type ScheduleMetadata,
} from './schema.js';
import { findClosest } from './suggest.js';
import { checkTemplateText, usesParams, usesUpstream } from './templates.js';
import { findShellTemplateProblems } from './shell-templates.js';
import { formatPath, type PathSegment, type YamlDocument } from './yaml.js';

export const DOCUMENT_KINDS = ['Schedule', 'Defaults'] as const;

/** A string that may hold templates, and where it is. */
export interface TemplateSite {
  path: string;
  /** The path as segments: ['spec', 'task', 'env', 'TOKEN']. */
  segments: PathSegment[];
  line: number;
  col: number;
  text: string;
}

interface DocumentBase {
  file: string;
  /** 0-based position of the document in its file. */
  index: number;
  /** Where the document's content starts. */
  line: number;
  col: number;
  /** The fields `spec` sets as written (listWrittenFields): tells a value the document wrote from a schema default. */
  written: string;
}

/** A valid Schedule document, resolved on its own (before any Defaults are merged). */
export interface ScheduleDocument extends DocumentBase {
  kind: 'Schedule';
  name: string;
  /** Where `metadata.name`'s value is. */
  nameLine: number;
  nameCol: number;
  metadata: ScheduleMetadata;
  spec: JobSpec;
  compiled: CompiledSchedule;
  /** Where each `spec.after[i].schedule` value is (parallel to `spec.after`); absent without `after`. */
  afterAt?: { line: number; col: number }[];
}

/** A valid Defaults document. */
export interface DefaultsDocument extends DocumentBase {
  kind: 'Defaults';
  /** The spec resolved; only what was written is set. */
  spec: DefaultsSpec;
  /** Labels merged under every schedule's labels; absent when the document sets none. */
  labels?: Record<string, string>;
  /** Strings that use `{{ params.… }}`: checked against each schedule's params when merged. */
  paramTemplates: TemplateSite[];
}

export type ParsedDocument = ScheduleDocument | DefaultsDocument;

/** The result of validating one document. */
export type DocumentValidation =
  { ok: true; document: ParsedDocument } | { ok: false; issues: ManifestIssue[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const explainDefaultsField: UnknownFieldExplainer = (parentPath, key) => {
  const at = formatPath(parentPath);
  if (at === 'spec' && (key === 'schedule' || key === 'params' || key === 'after')) {
    return `a Defaults document cannot set "${key}"; set it in each Schedule`;
  }
  if (at === 'spec.task' && (TASK_KINDS as readonly string[]).includes(key)) {
    return `a Defaults document cannot set the task kind ("${key}"); set it in each Schedule (Defaults may set task.env and task.workingDir)`;
  }
  return undefined;
};

const noExplanation: UnknownFieldExplainer = () => undefined;

/** Whether a template site is the `task.shell` string, whose templates must stand where a variable can. */
function isShellSite(path: PathSegment[]): boolean {
  return path.length === 3 && path[1] === 'task' && path[2] === 'shell';
}

/** Every string in a document that templates may appear in, with its path. */
export function collectTemplateStrings(spec: unknown): { path: PathSegment[]; text: string }[] {
  const found: { path: PathSegment[]; text: string }[] = [];
  const addString = (value: unknown, path: PathSegment[]) => {
    if (typeof value === 'string') found.push({ path, text: value });
  };
  const addAll = (value: unknown, path: PathSegment[]): void => {
    if (typeof value === 'string') found.push({ path, text: value });
    else if (Array.isArray(value)) value.forEach((item, index) => addAll(item, [...path, index]));
    else if (isRecord(value))
      for (const [key, item] of Object.entries(value)) addAll(item, [...path, key]);
  };
  const addMap = (value: unknown, path: PathSegment[]) => {
    if (isRecord(value))
      for (const [key, item] of Object.entries(value)) addString(item, [...path, key]);
  };
  const addArgv = (value: unknown, path: PathSegment[]) => {
    if (Array.isArray(value)) value.forEach((item, index) => addString(item, [...path, index]));
  };
  if (!isRecord(spec)) return found;
  const base: PathSegment[] = ['spec'];
  const task = spec.task;
  if (isRecord(task)) {
    addArgv(task.command, [...base, 'task', 'command']);
    addString(task.shell, [...base, 'task', 'shell']);
    addMap(task.env, [...base, 'task', 'env']);
    if (isRecord(task.http)) {
      addString(task.http.url, [...base, 'task', 'http', 'url']);
      addMap(task.http.headers, [...base, 'task', 'http', 'headers']);
      addAll(task.http.body, [...base, 'task', 'http', 'body']);
    }
  }
  if (Array.isArray(spec.notify)) {
    spec.notify.forEach((notify, index) => {
      if (!isRecord(notify)) return;
      addArgv(notify.command, [...base, 'notify', index, 'command']);
      if (isRecord(notify.webhook)) {
        addString(notify.webhook.url, [...base, 'notify', index, 'webhook', 'url']);
        addMap(notify.webhook.headers, [...base, 'notify', index, 'webhook', 'headers']);
      }
    });
  }
  return found;
}

function checkEnvelope(
  file: string,
  doc: YamlDocument,
  root: Record<string, unknown>,
): { kind?: 'Schedule' | 'Defaults'; issues: ManifestIssue[] } {
  const issues: ManifestIssue[] = [];
  const at = (path: PathSegment[], mode: 'value' | 'parent', message: string) =>
    issues.push({ file, ...doc.locate(path, mode), path: formatPath(path), message });
  if (!Object.hasOwn(root, 'apiVersion'))
    at(['apiVersion'], 'parent', `missing required field "apiVersion" (expected "${API_VERSION}")`);
  if (!Object.hasOwn(root, 'kind')) {
    at(['kind'], 'parent', 'missing required field "kind" (expected Schedule or Defaults)');
    return { issues };
  }
  if (Object.hasOwn(root, 'apiVersion') && root.apiVersion !== API_VERSION) {
    at(
      ['apiVersion'],
      'value',
      `unknown apiVersion ${describeValue(root.apiVersion)} (expected "${API_VERSION}")`,
    );
  }
  const kind = root.kind;
  if (kind === 'Schedule' || kind === 'Defaults') return { kind, issues };
  const closest = typeof kind === 'string' ? findClosest(kind, DOCUMENT_KINDS) : undefined;
  const hint = closest === undefined ? '' : `; did you mean "${closest}"?`;
  at(
    ['kind'],
    'value',
    `unknown kind ${describeValue(kind)} (expected Schedule or Defaults${hint})`,
  );
  return { issues };
}

/** Validate one YAML document of `file`: the envelope, the schema, the cron expression and the templates. */
export function validateDocument(file: string, doc: YamlDocument): DocumentValidation {
  const root = doc.value;
  if (!isRecord(root)) {
    const got = Array.isArray(root)
      ? 'a list'
      : typeof root === 'string'
        ? `the text ${JSON.stringify(root.slice(0, 40))}`
        : String(root);
    return {
      ok: false,
      issues: [
        {
          file,
          line: doc.line,
          col: doc.col,
          path: '',
          message: `expected a mapping with apiVersion, kind, metadata and spec, got ${got}`,
        },
      ],
    };
  }
  const envelope = checkEnvelope(file, doc, root);
  if (envelope.kind === undefined) return { ok: false, issues: envelope.issues };
  const kind = envelope.kind;
  const schema = kind === 'Schedule' ? ScheduleDocumentSchema : DefaultsDocumentSchema;
  const explain = kind === 'Defaults' ? explainDefaultsField : noExplanation;
  // Valid documents are the common case: parse plainly, and again with the inputs only to explain a failure.
  const parseDocument = (reportInput: boolean) =>
    kind === 'Schedule'
      ? ScheduleDocumentSchema.safeParse(root, { reportInput })
      : DefaultsDocumentSchema.safeParse(root, { reportInput });
  let result = parseDocument(false);
  if (!result.success) result = parseDocument(true);
  const issues: ManifestIssue[] = [];
  if (!result.success) {
    for (const zodIssue of result.error.issues) {
      // The envelope check above reports apiVersion.
      if (zodIssue.path.length === 1 && zodIssue.path[0] === 'apiVersion') continue;
      for (const described of describeZodIssue(zodIssue, root, schema, explain)) {
        issues.push({
          file,
          ...doc.locate(described.path, described.mode),
          path: formatPath(described.path),
          message: described.message,
        });
      }
    }
  }
  issues.push(...envelope.issues);

  const params =
    kind === 'Schedule'
      ? isRecord(root.spec) && isRecord(root.spec.params)
        ? root.spec.params
        : {}
      : undefined;
  // Defaults cannot know whether a schedule has upstreams: their `upstream.*` is checked when merged.
  const hasAfter =
    kind === 'Schedule' ? isRecord(root.spec) && root.spec.after !== undefined : undefined;
  const paramTemplates: TemplateSite[] = [];
  for (const site of collectTemplateStrings(root.spec)) {
    const problems = checkTemplateText(site.text, params, hasAfter);
    if (isShellSite(site.path)) problems.push(...findShellTemplateProblems(site.text));
    const keep =
      kind === 'Defaults' &&
      problems.length === 0 &&
      (usesParams(site.text) || usesUpstream(site.text));
    if (problems.length === 0 && !keep) continue;
    const position = doc.locate(site.path, 'value');
    const path = formatPath(site.path);
    for (const message of problems) issues.push({ file, ...position, path, message });
    if (keep) paramTemplates.push({ path, segments: site.path, ...position, text: site.text });
  }

  if (issues.length > 0 || !result.success) return { ok: false, issues };
  const base = {
    file,
    index: doc.index,
    line: doc.line,
    col: doc.col,
    written: listWrittenFields(isRecord(root.spec) ? root.spec : {}),
  };
  const parsed = result.data;
  if (parsed.kind === 'Defaults') {
    return {
      ok: true,
      document: {
        kind: 'Defaults',
        ...base,
        spec: parsed.spec,
        ...(parsed.metadata?.labels === undefined ? {} : { labels: parsed.metadata.labels }),
        paramTemplates,
      },
    };
  }
  const compiled = compileSpecSchedule(parsed.spec);
  if (!compiled.ok)
    throw new SchedulerError(
      'INTERNAL',
      `schedule "${parsed.spec.schedule ?? ''}" passed validation but does not compile`,
      { file },
    );
  const namePosition = doc.locate(['metadata', 'name'], 'value');
  const after = parsed.spec.after;
  return {
    ok: true,
    document: {
      kind: 'Schedule',
      ...base,
      name: parsed.metadata.name,
      nameLine: namePosition.line,
      nameCol: namePosition.col,
      metadata: parsed.metadata,
      spec: parsed.spec,
      compiled: compiled.schedule,
      ...(after !== undefined && {
        afterAt: after.map((_, index) => doc.locate(['spec', 'after', index, 'schedule'], 'value')),
      }),
    },
  };
}
