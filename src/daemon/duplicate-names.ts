// Duplicate schedule names across files: the one already running keeps its name, the newcomer is reported.
import type { ManifestIssue, ParsedFile, ScheduleDocument } from '../manifest/load.js';
import { pushTo } from '../shared/push-to.js';

/**
 * resolveSchedules keeps the first of two equal names by file path. When the other one is the one
 * already running, drop the newcomer's document before resolving, so a new file can never take over a
 * running schedule, and report the newcomer exactly as resolveSchedules would.
 */
export function keepRunningDuplicates(
  files: readonly ParsedFile[],
  running: Pick<ReadonlyMap<string, string | undefined>, 'get'>,
): { files: ParsedFile[]; issues: ManifestIssue[] } {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const file of files) {
    for (const doc of file.documents) {
      if (doc.kind !== 'Schedule') continue;
      if (seen.has(doc.name)) twice.add(doc.name);
      else seen.add(doc.name);
    }
  }
  if (twice.size === 0) return { files: [...files], issues: [] };
  const byName = new Map<string, ScheduleDocument[]>();
  for (const file of files) {
    for (const doc of file.documents) {
      if (doc.kind !== 'Schedule' || !twice.has(doc.name)) continue;
      pushTo(byName, doc.name, doc);
    }
  }
  const dropped = new Set<ScheduleDocument>();
  const issues: ManifestIssue[] = [];
  for (const [name, docs] of byName) {
    if (docs.length < 2) continue;
    const keep = docs.find((doc) => doc.file === running.get(name));
    if (keep === undefined || keep === docs[0]) continue;
    for (const doc of docs) {
      if (doc === keep) continue;
      dropped.add(doc);
      issues.push({
        file: doc.file,
        line: doc.nameLine,
        col: doc.nameCol,
        path: 'metadata.name',
        message: `duplicate schedule name "${name}": defined at ${keep.file}:${keep.nameLine}:${keep.nameCol} and at ${doc.file}:${doc.nameLine}:${doc.nameCol}; names must be unique`,
      });
    }
  }
  if (dropped.size === 0) return { files: [...files], issues };
  return {
    files: files.map((file) =>
      file.documents.some((doc) => dropped.has(doc as ScheduleDocument))
        ? {
            ...file,
            documents: file.documents.filter((doc) => !dropped.has(doc as ScheduleDocument)),
          }
        : file,
    ),
    issues,
  };
}
