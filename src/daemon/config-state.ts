// The daemon's view of the manifest directory: the current and last good version of every file.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isManifestFileName,
  parseManifestText,
  readManifestFile,
  resolveSchedules,
  type LoadedSchedule,
  type ManifestIssue,
  type ParsedFile,
} from '../manifest/load.js';
import { fingerprintSchedule } from '../reconcile/fingerprint.js';
import type { DesiredSchedule, DesiredState } from '../reconcile/desired.js';

const MAX_FILE_BYTES = 1024 * 1024;

/** One manifest file as the daemon last read it. */
export interface FileState {
  file: string;
  /** The version read last (may be invalid). */
  current: ParsedFile;
  /** SHA-256 of the text of `current`: an unchanged file is not parsed again. */
  textHash: string;
  /** The newest version that was valid; its schedules keep running while `current` is invalid. */
  lastGood: ParsedFile | undefined;
}

/** Per-file result for the status: ok, or its errors with line and column. */
export interface FileReport {
  file: string;
  ok: boolean;
  issues: ManifestIssue[];
  schedules: string[];
}

export interface ConfigSnapshot {
  desired: DesiredState;
  files: FileReport[];
  /** Every current issue (of files and of resolving them together). */
  issues: ManifestIssue[];
}

/**
 * Reads the directory, re-parsing only files whose content changed, and keeps the last good version of
 * each file. A file that turns invalid keeps its previous schedules (marked degraded); a file that never
 * was valid contributes nothing; a deleted file takes its schedules with it.
 */
export class ConfigState {
  readonly dir: string;
  readonly #files = new Map<string, FileState>();
  /** How many files were parsed again by the last reload (unchanged ones are reused). */
  parsedLastReload = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Re-read the whole directory. Throws only when the directory itself cannot be listed. */
  async reload(): Promise<ConfigSnapshot> {
    const names = (await readdir(this.dir, { withFileTypes: true }))
      .filter((entry) => isManifestFileName(entry.name) && !entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    const seen = new Set<string>();
    this.parsedLastReload = 0;
    for (const name of names) {
      const path = join(this.dir, name);
      const read = await this.#read(path);
      if (!read) continue; // vanished between listing and reading, or not a regular file
      seen.add(path);
      const previous = this.#files.get(path);
      const ok = read.parsed.issues.length === 0;
      this.#files.set(path, {
        file: path,
        current: read.parsed,
        textHash: read.textHash,
        lastGood: ok ? read.parsed : previous?.lastGood,
      });
    }
    for (const path of [...this.#files.keys()]) if (!seen.has(path)) this.#files.delete(path);
    return this.snapshot();
  }

  /** Desired state and per-file reports from what was read last. */
  snapshot(): ConfigSnapshot {
    const states = [...this.#files.values()];
    const effective = states
      .map((s) => (s.current.issues.length === 0 ? s.current : s.lastGood))
      .filter((f): f is ParsedFile => f !== undefined);
    const degradedFiles = new Set(
      states.filter((s) => s.current.issues.length > 0 && s.lastGood).map((s) => s.file),
    );
    const resolved = resolveSchedules(effective);
    const desired = new Map<string, DesiredSchedule>();
    for (const schedule of resolved.schedules) {
      desired.set(schedule.name, toDesired(schedule, degradedFiles.has(schedule.file)));
    }
    const issuesByFile = new Map<string, ManifestIssue[]>();
    const addIssue = (issue: ManifestIssue): void => {
      const list = issuesByFile.get(issue.file) ?? [];
      list.push(issue);
      issuesByFile.set(issue.file, list);
    };
    for (const s of states) s.current.issues.forEach(addIssue);
    resolved.issues.forEach(addIssue);
    const files: FileReport[] = states.map((s) => {
      const issues = issuesByFile.get(s.file) ?? [];
      return {
        file: s.file,
        ok: issues.length === 0,
        issues,
        schedules: [...desired.values()].filter((d) => d.file === s.file).map((d) => d.name),
      };
    });
    const issues = [...issuesByFile.values()].flat();
    return { desired, files, issues };
  }

  async #read(path: string): Promise<{ parsed: ParsedFile; textHash: string } | undefined> {
    let info;
    try {
      info = await stat(path);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    if (info.size > MAX_FILE_BYTES) return { parsed: await readManifestFile(path), textHash: '' };
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return { parsed: await readManifestFile(path), textHash: '' };
    }
    const textHash = createHash('sha256').update(text).digest('hex');
    const previous = this.#files.get(path);
    if (previous && previous.textHash === textHash) return { parsed: previous.current, textHash };
    this.parsedLastReload += 1;
    return { parsed: parseManifestText(path, text), textHash };
  }
}

function toDesired(schedule: LoadedSchedule, degraded: boolean): DesiredSchedule {
  return {
    ...schedule,
    hash: fingerprintSchedule(schedule.metadata, schedule.spec),
    degraded,
  };
}
