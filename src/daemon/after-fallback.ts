// Last known good for `spec.after`: a file whose after graph broke runs its last good version, and a schedule still broken never runs by `after`.
import type { ManifestIssue } from '../manifest/issue.js';
import type { ParsedFile, ResolveResult } from '../manifest/resolve.js';

/** The resolution to run from, once every file that broke the after graph fell back where it could. */
export interface AfterFallback {
  resolved: ResolveResult;
  /** The file versions `resolved` comes from. */
  files: ParsedFile[];
  /** Files now resolved from their last good version because their current one broke the graph. */
  fellBack: Set<string>;
  /**
   * The graph issues of the current versions that were set aside (the files are invalid, and say why);
   * the issues of what still runs are in `resolved.issues`.
   */
  setAside: ManifestIssue[];
}

/**
 * `resolved` is the resolution of `files` (each file's current version when valid, else its last good
 * one). A schedule whose `after` is broken (an unknown upstream, itself, a cycle, a chain too deep) makes
 * its file invalid: when that file has a different last good version, it is resolved from that version
 * instead, and again until nothing changes (each file falls back at most once). What is still broken then
 * — a downstream whose unchanged file names an upstream that an edit deleted or renamed — keeps running
 * by its own times only (`resolved.afterBroken`).
 */
export function fallBackOnBrokenAfter(
  files: readonly ParsedFile[],
  resolved: ResolveResult,
  lastGoodOf: (file: string) => ParsedFile | undefined,
  resolve: (files: ParsedFile[]) => ResolveResult,
): AfterFallback {
  const fellBack = new Set<string>();
  const setAside: ManifestIssue[] = [];
  let current = [...files];
  let result = resolved;
  for (let round = 0; result.afterBroken.size > 0 && round <= current.length; round += 1) {
    const brokenFiles = new Set<string>();
    for (const schedule of result.schedules) {
      if (result.afterBroken.has(schedule.name)) brokenFiles.add(schedule.file);
    }
    let changed = false;
    current = current.map((file) => {
      if (!brokenFiles.has(file.file)) return file;
      const lastGood = lastGoodOf(file.file);
      if (lastGood === undefined || lastGood === file) return file;
      changed = true;
      fellBack.add(file.file);
      setAside.push(
        ...result.issues.filter(
          (issue) => issue.file === file.file && issue.path.startsWith('spec.after['),
        ),
      );
      return lastGood;
    });
    if (!changed) break;
    result = resolve(current);
  }
  return { resolved: result, files: current, fellBack, setAside };
}
