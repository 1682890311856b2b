// Test helper: manifest texts → the schedules and files the renderer takes, through the real parser and resolver.
import { parseManifestText, resolveSchedules } from '../../src/manifest/load.js';
import type { LoadedSchedule } from '../../src/manifest/load.js';
import type { ManifestFile } from '../../src/render/field-positions.js';

/** Parse and resolve `files` (name → text) as a directory `dir`; throws on any manifest issue. */
export function loadTexts(
  files: Record<string, string>,
  dir = 'schedules.d',
): { schedules: LoadedSchedule[]; files: ManifestFile[] } {
  const manifestFiles = Object.entries(files).map(([name, text]) => ({
    path: `${dir}/${name}`,
    text,
  }));
  const parsed = manifestFiles.map((file) => parseManifestText(file.path, file.text));
  const issues = parsed.flatMap((file) => file.issues);
  const resolved = resolveSchedules(parsed);
  if (issues.length > 0 || resolved.issues.length > 0)
    throw new Error(JSON.stringify([...issues, ...resolved.issues]));
  return { schedules: resolved.schedules, files: manifestFiles };
}

/** One Schedule document with `spec` lines (indented two spaces) after `schedule:`. */
export function scheduleText(name: string, schedule: string, specLines = ''): string {
  return `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: ${name}
spec:
  schedule: '${schedule}'
${specLines}  task:
    command: ['/bin/true']
`;
}
