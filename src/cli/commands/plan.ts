// `cronops plan`: what deploying a directory would create, update (field by field) and delete in a running daemon.
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Option, type Command } from 'commander';
import { formatIssue, loadManifestDir, type LoadResult } from '../../manifest/load.js';
import { formatPath, type PathSegment } from '../../manifest/yaml.js';
import type { ActualJob, DesiredSchedule } from '../../reconcile/desired.js';
import { fingerprintSchedule } from '../../reconcile/fingerprint.js';
import { planReconcile, type ReconcilePlan } from '../../reconcile/plan.js';
import { SchedulerError } from '../../shared/errors.js';
import { maskScheduleSpec, type ScheduleDefinition } from '../../status/definitions.js';
import { EXIT, createUsageError, writeErr, writeJson, writeOut } from '../output.js';
import {
  DEFAULT_DAEMON_URL,
  createUrlOption,
  describeNetworkError,
  normaliseDaemonUrl,
} from './status.js';
import { assertPathsExist } from './validate.js';

/** `--exit-code`: the plan has changes (0 none, 1 invalid input, 2 usage). */
export const EXIT_CHANGES = 3;

/** How long to wait for the daemon's /status. */
const FETCH_TIMEOUT_MS = 10_000;

/** One schedule as the running daemon reports it in its status document (the fields plan reads). */
export interface RunningSchedule {
  name: string;
  file: string;
  description: string | null;
  labels: Record<string, string>;
  /** Absent when the daemon predates fingerprints in the status. */
  specHash?: string;
  /** The masked resolved spec: from the definitions document (older daemons put it in the status). */
  definition?: unknown;
}

/** The running schedules, where they came from, and how to get their definitions when needed. */
interface RunningState {
  source: string;
  schedules: RunningSchedule[];
  /** The definitions document by name, or undefined when there is none to be had. */
  readDefinitions: () => Promise<Map<string, RunningDefinition> | undefined>;
}

/** One entry of the definitions document. */
interface RunningDefinition {
  specHash: string;
  definition: unknown;
}

/** One changed field: `spec.schedule: "0 2 * * *" → "30 2 * * *"`. `undefined` means unset. */
export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** The plan as `--json` prints it. Every list is sorted by name. */
export interface PlanReport {
  /** Where the running state came from: `http://…/status` or `…/status.json`. */
  source: string;
  dir: string;
  /** True when applying the directory would change anything (what --exit-code reports). */
  changed: boolean;
  create: { name: string; file: string }[];
  update: { name: string; file: string; changes: FieldChange[] }[];
  delete: { name: string; file: string }[];
  /** Unchanged schedules now defined in a file of another name: no restart, listed for review. */
  moved: { name: string; from: string; to: string }[];
  unchanged: string[];
}

interface PlanOptions {
  dir: string;
  url?: string;
  stateDir?: string;
  exitCode?: boolean;
  json?: boolean;
}

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .summary('show what deploying a directory would create, update and delete')
    .description(
      'Compare the schedules in --dir with those a running daemon runs (its /status and ' +
        '/api/v1/definitions endpoints, or offline its <state-dir>/status.json and definitions.json) ' +
        'and print what a deploy would create, update (field by field) and delete. Literal env and ' +
        'header values are compared by hash and never printed. Exit 0; with --exit-code, 3 when ' +
        'there are changes. Invalid manifests exit 1, usage errors 2.',
    )
    .addOption(
      new Option('--dir <dir>', 'manifest directory to deploy')
        .env('CRONOPS_DIR')
        .default('schedules.d'),
    )
    .addOption(createUrlOption())
    .addOption(
      new Option(
        '--state-dir <dir>',
        'compare with <dir>/status.json and definitions.json instead of asking the daemon (offline)',
      ),
    )
    .option('--exit-code', 'exit 3 when the plan has changes (for CI gates)')
    .option('--json', 'print the plan as JSON and nothing else')
    .addHelpText(
      'after',
      `
Examples:
  $ cronops plan --dir schedules.d
  + create  weekly-digest      (digest.yaml)
  ~ update  nightly-db-backup  (backup.yaml)
      spec.schedule: "0 2 * * *" → "30 2 * * *"
  - delete  old-cleanup        (cleanup.yaml)

  Plan: 1 to create, 1 to update, 1 to delete, 7 unchanged.

  $ cronops plan --url http://cronops.internal:8787 --exit-code   # in CI: 3 = changes
  $ cronops plan --state-dir /var/lib/cronops --json | jq '.update[].changes'`,
    )
    .action(async (options: PlanOptions, command: Command) => {
      if (options.url !== undefined && options.stateDir !== undefined) {
        // $CRONOPS_URL set in the environment gives way to an explicit --state-dir.
        if (command.getOptionValueSource('url') !== 'env')
          throw createUsageError('give either --url or --state-dir, not both');
        delete options.url;
      }
      await assertPathsExist([options.dir]);
      const loaded = await loadManifestDir(options.dir);
      if (loaded.issues.length > 0) {
        printInvalid(loaded, options.json === true);
        process.exitCode = EXIT.invalid;
        return;
      }
      const running = await readRunningSchedules(options);
      const planned = planDeploy(loaded, running.schedules);
      const schedules = await attachDefinitions(running, planned);
      const report = buildPlanReport(planned, schedules, {
        source: running.source,
        dir: options.dir,
      });
      if (options.json === true) writeJson(report, 2);
      else for (const line of renderPlanReport(report)) writeOut(line);
      process.exitCode = report.changed && options.exitCode === true ? EXIT_CHANGES : EXIT.ok;
    });
}

function printInvalid(loaded: LoadResult, json: boolean): void {
  if (json) {
    writeJson(
      {
        valid: false,
        errors: loaded.issues.map(({ file, line, col, path, message }) => ({
          file,
          line,
          col,
          path,
          message,
        })),
      },
      2,
    );
    return;
  }
  for (const issue of loaded.issues) writeOut(formatIssue(issue));
  const files = new Set(loaded.issues.map((issue) => issue.file)).size;
  writeErr(`${plural(loaded.issues.length, 'error')} in ${plural(files, 'file')}; no plan made`);
}

/** The schedules the daemon runs: from its endpoint, or from the status.json in its state directory. */
async function readRunningSchedules(options: PlanOptions): Promise<RunningState> {
  if (options.stateDir !== undefined) {
    const path = join(options.stateDir, 'status.json');
    const definitionsPath = join(options.stateDir, 'definitions.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new SchedulerError(
        'STATE_DIR_UNAVAILABLE',
        `cannot read ${path}: ${(error as { code?: string }).code ?? String(error)} (is --state-dir the daemon's state directory?)`,
        { file: path, cause: error },
      );
    }
    return {
      source: path,
      schedules: parseStatusDocument(text, path),
      readDefinitions: async () => {
        const written = await readFile(definitionsPath, 'utf8').catch(() => undefined);
        return written === undefined ? undefined : parseDefinitionsDocument(written);
      },
    };
  }
  const base = normaliseDaemonUrl(options.url ?? DEFAULT_DAEMON_URL);
  const url = `${base}/status`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
    text = await response.text();
  } catch (error) {
    const reason =
      describeNetworkError(error) ?? (error instanceof Error ? error.message : String(error));
    throw new SchedulerError(
      'DAEMON_UNREACHABLE',
      `cannot reach the daemon at ${url}: ${reason} (give --url, or --state-dir to compare offline)`,
      {
        cause: error,
      },
    );
  }
  if (!response.ok) {
    throw new SchedulerError(
      'DAEMON_UNREACHABLE',
      `${url}: expected 200 with the status document, got ${response.status}`,
    );
  }
  return {
    source: url,
    schedules: parseStatusDocument(text, url),
    readDefinitions: async () => {
      try {
        const answer = await fetch(`${base}/api/v1/definitions`, {
          signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
          headers: { accept: 'application/json' },
        });
        // A daemon that predates the endpoint (404) showed its definitions in the status.
        return answer.ok ? parseDefinitionsDocument(await answer.text()) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The definitions of a definitions document by name, or undefined when the text is not one. Plan works
 * without them (an update is then listed without its changed fields), so nothing here is an error.
 */
export function parseDefinitionsDocument(text: string): Map<string, RunningDefinition> | undefined {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return undefined;
  }
  const schedules = (document as { schedules?: unknown } | null)?.schedules;
  if (!Array.isArray(schedules)) return undefined;
  const byName = new Map<string, RunningDefinition>();
  for (const entry of schedules as Partial<ScheduleDefinition>[]) {
    if (typeof entry?.name !== 'string' || typeof entry.specHash !== 'string') continue;
    if (entry.definition === undefined) continue;
    byName.set(entry.name, { specHash: entry.specHash, definition: entry.definition });
  }
  return byName;
}

/**
 * The running schedules with the definitions the plan's updates need. They are read only when an update
 * lacks one, and used only for the version the status shows (same fingerprint): the definitions are
 * written just after the status, so for a moment after a reload they may be of another version.
 */
async function attachDefinitions(
  running: RunningState,
  planned: PlannedDeploy,
): Promise<RunningSchedule[]> {
  const needed = new Set(planned.plan.update.map(({ to }) => to.name));
  const lacking = running.schedules.some((s) => needed.has(s.name) && s.definition === undefined);
  if (!lacking) return running.schedules;
  const definitions = await running.readDefinitions();
  if (definitions === undefined) return running.schedules;
  return running.schedules.map((s) => {
    if (s.definition !== undefined || !needed.has(s.name)) return s;
    const found = definitions.get(s.name);
    return found && found.specHash === s.specHash ? { ...s, definition: found.definition } : s;
  });
}

/** The schedules of a status document; anything that is not one is an error naming where it came from. */
export function parseStatusDocument(text: string, source: string): RunningSchedule[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new SchedulerError(
      'DAEMON_UNREACHABLE',
      `${source}: expected a cronops status document (JSON), got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  const schedules = (document as { schedules?: unknown } | null)?.schedules;
  if (
    !Array.isArray(schedules) ||
    !schedules.every((s) => typeof (s as { name?: unknown } | null)?.name === 'string')
  ) {
    throw new SchedulerError(
      'DAEMON_UNREACHABLE',
      `${source}: expected a cronops status document with a "schedules" list`,
    );
  }
  return (schedules as Partial<RunningSchedule>[]).map((s) => ({
    name: s.name as string,
    file: typeof s.file === 'string' ? s.file : '',
    description: typeof s.description === 'string' ? s.description : null,
    labels: s.labels && typeof s.labels === 'object' ? s.labels : {},
    ...(typeof s.specHash === 'string' ? { specHash: s.specHash } : {}),
    ...(s.definition !== undefined ? { definition: s.definition } : {}),
  }));
}

/** The directory's schedules (fingerprinted as the daemon does) and the reconciler's plan for them. */
export interface PlannedDeploy {
  desired: ReadonlyMap<string, DesiredSchedule>;
  plan: ReconcilePlan;
}

/** The pure reconciler run on the directory's schedules and the running ones. Pure. */
export function planDeploy(
  loaded: Pick<LoadResult, 'schedules'>,
  running: readonly RunningSchedule[],
): PlannedDeploy {
  const desired = new Map<string, DesiredSchedule>(
    loaded.schedules.map((s) => [
      s.name,
      { ...s, hash: fingerprintSchedule(s.metadata, s.spec), degraded: false },
    ]),
  );
  const actual = new Map<string, ActualJob>(
    running.map((s) => [s.name, { name: s.name, hash: s.specHash ?? '' }]),
  );
  return { desired, plan: planReconcile(desired, actual) };
}

/** The plan as reported, with a field-level diff for every update. Pure. */
export function buildPlanReport(
  planned: PlannedDeploy,
  running: readonly RunningSchedule[],
  where: { source: string; dir: string },
): PlanReport {
  const { desired, plan } = planned;
  const runningByName = new Map(running.map((s) => [s.name, s]));
  const update = plan.update.map(({ to }) => {
    const from = runningByName.get(to.name);
    return { name: to.name, file: to.file, changes: from ? diffSchedule(from, to) : [] };
  });
  const moved = plan.unchanged.flatMap((name) => {
    const from = runningByName.get(name)?.file;
    const to = desired.get(name)?.file;
    return from && to && basename(from) !== basename(to)
      ? [{ name, from: basename(from), to: basename(to) }]
      : [];
  });
  return {
    source: where.source,
    dir: where.dir,
    changed: plan.create.length + plan.update.length + plan.remove.length > 0,
    create: plan.create.map((s) => ({ name: s.name, file: s.file })),
    update,
    delete: plan.remove.map((job) => ({
      name: job.name,
      file: runningByName.get(job.name)?.file ?? '',
    })),
    moved,
    unchanged: plan.unchanged,
  };
}

/** What differs between the running version and the directory's, as the status shows them (masked). */
function diffSchedule(from: RunningSchedule, to: DesiredSchedule): FieldChange[] {
  const changes: FieldChange[] = [];
  const description = to.metadata.description ?? null;
  if (from.description !== description) {
    changes.push({
      path: 'metadata.description',
      from: from.description ?? undefined,
      to: description ?? undefined,
    });
  }
  changes.push(...diffValues(from.labels, to.metadata.labels, ['metadata', 'labels']));
  if (from.definition === undefined) return changes;
  // Through JSON, as the status was: unset optional fields disappear the same way on both sides.
  const wanted = JSON.parse(JSON.stringify(maskScheduleSpec(to.spec))) as unknown;
  changes.push(...diffValues(from.definition, wanted, ['spec']));
  return changes;
}

/** Field-level differences of two JSON values: objects key by key, equal-length arrays item by item. */
export function diffValues(from: unknown, to: unknown, path: PathSegment[] = []): FieldChange[] {
  if (isEqualJson(from, to)) return [];
  if (isPlainObject(from) && isPlainObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((key) => diffValues(from[key], to[key], [...path, key]));
  }
  if (Array.isArray(from) && Array.isArray(to) && from.length === to.length) {
    return from.flatMap((item, index) => diffValues(item, to[index], [...path, index]));
  }
  return [{ path: formatPath(path), from, to }];
}

/** The text output: one line per create/delete, an update followed by its changed fields, a summary. */
export function renderPlanReport(report: PlanReport): string[] {
  const lines: string[] = [];
  const width = Math.max(
    0,
    ...[...report.create, ...report.update, ...report.delete].map((s) => s.name.length),
  );
  const label = (name: string, file: string): string =>
    file ? `${name.padEnd(width)}  (${basename(file)})` : name;
  for (const s of report.create) lines.push(`+ create  ${label(s.name, s.file)}`);
  for (const s of report.update) {
    lines.push(`~ update  ${label(s.name, s.file)}`);
    if (s.changes.length === 0)
      lines.push('    (the daemon does not show its definition; its fingerprint differs)');
    for (const change of s.changes)
      lines.push(`    ${change.path}: ${formatValue(change.from)} → ${formatValue(change.to)}`);
  }
  for (const s of report.delete) lines.push(`- delete  ${label(s.name, s.file)}`);
  for (const s of report.moved)
    lines.push(`  moved   ${s.name}: ${s.from} → ${s.to} (unchanged, not restarted)`);
  if (lines.length > 0) lines.push('');
  const counts = `${report.create.length} to create, ${report.update.length} to update, ${report.delete.length} to delete, ${report.unchanged.length} unchanged`;
  lines.push(
    report.changed
      ? `Plan: ${counts}.`
      : `No changes: ${plural(report.unchanged.length, 'schedule')} unchanged.`,
  );
  return lines;
}

function formatValue(value: unknown): string {
  return value === undefined ? '(unset)' : JSON.stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isEqualJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => isEqualJson(item, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => isEqualJson(a[key], b[key]));
  }
  return false;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
