// `cronops validate`: check manifests and report every error as text, JSON or GitHub annotations.
import { stat } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { formatIssue, loadManifestPaths } from '../../manifest/load.js';
import type { LoadResult, ManifestIssue } from '../../manifest/load.js';
import { EXIT, createUsageError, writeErr, writeOut } from '../output.js';

/** The output formats of `validate`. */
export const VALIDATE_FORMATS = ['text', 'json', 'github'] as const;
export type ValidateFormat = (typeof VALIDATE_FORMATS)[number];

/** The `--format json` document. */
export interface ValidateReport {
  valid: boolean;
  files: number;
  schedules: string[];
  errors: ManifestIssue[];
}

/** What a format prints: stdout lines, stderr lines, and the exit status. */
export interface ValidateOutput {
  stdout: string[];
  stderr: string[];
  exitCode: number;
}

/** The directory used when no path is given: $CRONOPS_DIR, else `schedules.d`. */
export function selectDefaultDir(env: NodeJS.ProcessEnv): string {
  const fromEnv = env['CRONOPS_DIR'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'schedules.d';
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .summary('check manifests; exit 1 with every error')
    .description(
      'Check schedule manifests (directories and/or files) and report every error as ' +
        '"file:line:col: field.path: message". Exit 0 when valid, 1 with errors, 2 for usage errors.',
    )
    .argument('[paths...]', 'directories or files to check (default: $CRONOPS_DIR or schedules.d)')
    .addOption(
      new Option('--format <format>', 'output format').choices(VALIDATE_FORMATS).default('text'),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ cronops validate
  ok: 3 files, 2 schedules

  $ cronops validate examples/team-defaults examples/report-1st-15th.yaml
  $ cronops validate --format json schedules.d | jq .errors
  $ cronops validate --format github schedules.d    # annotations in GitHub Actions`,
    )
    .action(async (paths: string[], options: { format: ValidateFormat }) => {
      const targets = paths.length > 0 ? paths : [selectDefaultDir(process.env)];
      await assertPathsExist(targets);
      const result = await loadManifestPaths(targets);
      const output = renderValidateResult(result, options.format);
      for (const line of output.stdout) writeOut(line);
      for (const line of output.stderr) writeErr(line);
      process.exitCode = output.exitCode;
    });
}

/** A path that does not exist is a usage error (exit 2), reported before anything is loaded. */
export async function assertPathsExist(paths: string[]): Promise<void> {
  for (const path of paths) {
    try {
      await stat(path);
    } catch {
      throw createUsageError(`no such file or directory: ${path}`);
    }
  }
}

/** Render a load result in one of the formats. Pure: the caller prints. */
export function renderValidateResult(result: LoadResult, format: ValidateFormat): ValidateOutput {
  const { issues } = result;
  const exitCode = issues.length === 0 ? EXIT.ok : EXIT.invalid;
  if (format === 'json') {
    const report: ValidateReport = {
      valid: issues.length === 0,
      files: result.files.length,
      schedules: result.schedules.map((schedule) => schedule.name),
      errors: issues.map(({ file, line, col, path, message }) => ({
        file,
        line,
        col,
        path,
        message,
      })),
    };
    return { stdout: [JSON.stringify(report, null, 2)], stderr: [], exitCode };
  }
  if (issues.length === 0) {
    const summary = `ok: ${plural(result.files.length, 'file')}, ${plural(result.schedules.length, 'schedule')}`;
    return { stdout: [summary], stderr: [], exitCode };
  }
  const lines = format === 'github' ? issues.map(formatGithubAnnotation) : issues.map(formatIssue);
  const fileCount = new Set(issues.map((issue) => issue.file)).size;
  return {
    stdout: lines,
    stderr: [`${plural(issues.length, 'error')} in ${plural(fileCount, 'file')}`],
    exitCode,
  };
}

/**
 * One GitHub Actions workflow command:
 * `::error file=F,line=L,col=C,title=cronops::path: message`.
 */
export function formatGithubAnnotation(issue: ManifestIssue): string {
  // Line 0 means "the file as a whole": GitHub then annotates the file without a position.
  const position = issue.line > 0 ? [`line=${issue.line}`, `col=${issue.col}`] : [];
  const properties = [
    `file=${escapeGithubProperty(issue.file)}`,
    ...position,
    'title=cronops',
  ].join(',');
  const text = issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
  return `::error ${properties}::${escapeGithubData(text)}`;
}

/** Workflow-command escaping for the message part: `%`, CR and LF. */
export function escapeGithubData(value: string): string {
  return value.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** Workflow-command escaping for a property value: as for data, plus `:` and `,`. */
export function escapeGithubProperty(value: string): string {
  return escapeGithubData(value).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
