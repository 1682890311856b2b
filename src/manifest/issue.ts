// A problem with a manifest, located by file, line, column and field path, and its one-line form.

/** One problem with a manifest: where it is and what to do about it. */
export interface ManifestIssue {
  /** The file (or directory) as it was named to the loader. */
  file: string;
  /** 1-based line; 0 when the problem concerns the file or directory as a whole. */
  line: number;
  /** 1-based column; 0 together with line 0. */
  col: number;
  /** Field path like 'spec.timezone' or 'spec.task.command[0]'; '' when it is not about one field. */
  path: string;
  /** What is wrong, what was expected and what arrived. */
  message: string;
}

/**
 * `file:line:col: path: message`; `: path` is left out when the path is '', and `:line:col`
 * when the line is 0 (a problem with the file or directory as a whole).
 */
export function formatIssue(issue: ManifestIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  return issue.path === ''
    ? `${where}: ${issue.message}`
    : `${where}: ${issue.path}: ${issue.message}`;
}

/** Order issues by file, then line, then column (stable for equal positions). */
export function compareIssues(a: ManifestIssue, b: ManifestIssue): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.col - b.col;
}
