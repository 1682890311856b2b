// Reading manifest files and directories from disk; the decisions live in resolve.ts, validate.ts and yaml.ts.
import * as fs from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { compareIssues, type ManifestIssue } from './issue.js';
import { isManifestFileName } from './file-names.js';
import { parseManifestText } from './parse.js';
import {
  MAX_MANIFEST_BYTES,
  describeOversizedFile,
  resolveSchedules,
  type LoadedSchedule,
  type ParsedFile,
} from './resolve.js';

export { formatIssue, type ManifestIssue } from './issue.js';
export { isManifestFileName } from './file-names.js';
export { parseManifestText } from './parse.js';
export {
  resolveSchedules,
  MAX_MANIFEST_BYTES,
  type LoadedSchedule,
  type ParsedFile,
  type ResolveResult,
} from './resolve.js';
export type { ParsedDocument, ScheduleDocument, DefaultsDocument } from './validate.js';

/** Everything loaded from a set of paths. */
export interface LoadResult {
  /** The valid schedules, Defaults merged, by file path then position. */
  schedules: LoadedSchedule[];
  /** Every file read, valid or not. */
  files: ParsedFile[];
  /** Every issue of every file and of resolving them together, sorted by file, line, column. */
  issues: ManifestIssue[];
}

/** Files read at the same time, so a directory of thousands does not run out of descriptors. */
const READ_CONCURRENCY = 32;

function describeError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

function describeReadFailure(file: string, error: unknown): ParsedFile {
  return {
    file,
    contentHash: '',
    documents: [],
    issues: [
      { file, line: 0, col: 0, path: '', message: `cannot read file: ${describeError(error)}` },
    ],
  };
}

// The callback API is several times cheaper per file than FileHandle, which matters for big directories.
const openFile = promisify(fs.open);
const statFile = promisify(fs.fstat);
const readFromFile = promisify(fs.read);
const closeFile = promisify(fs.close);

function refuseOversized(path: string, bytes: number): ParsedFile {
  return {
    file: path,
    contentHash: '',
    documents: [],
    issues: [describeOversizedFile(path, bytes)],
  };
}

/** Read and parse one file. Files over 1 MiB are refused without being read; read errors become issues. */
export async function readManifestFile(path: string): Promise<ParsedFile> {
  let fd: number;
  try {
    fd = await openFile(path, 'r');
  } catch (error) {
    return describeReadFailure(path, error);
  }
  try {
    const info = await statFile(fd);
    if (info.isDirectory())
      return describeReadFailure(
        path,
        Object.assign(new Error('is a directory'), { code: 'EISDIR' }),
      );
    if (info.size > MAX_MANIFEST_BYTES) return refuseOversized(path, info.size);
    // Room for one byte more than the limit allows, so a file that grew since fstat() is noticed.
    const buffer = Buffer.allocUnsafe(Math.min(info.size + 1, MAX_MANIFEST_BYTES + 1));
    let length = 0;
    for (;;) {
      const { bytesRead } = await readFromFile(fd, buffer, length, buffer.length - length, length);
      if (bytesRead === 0 || length + bytesRead === buffer.length) {
        length += bytesRead;
        break;
      }
      length += bytesRead;
    }
    if (length === buffer.length) {
      // It grew after fstat(): read it again in full, unless it is now too large.
      const size = (await statFile(fd)).size;
      if (size > MAX_MANIFEST_BYTES) return refuseOversized(path, size);
      const whole = Buffer.allocUnsafe(size);
      const { bytesRead } = await readFromFile(fd, whole, 0, size, 0);
      return parseManifestText(path, whole.toString('utf8', 0, bytesRead));
    }
    return parseManifestText(path, buffer.toString('utf8', 0, length));
  } catch (error) {
    return describeReadFailure(path, error);
  } finally {
    await closeFile(fd).catch(() => undefined);
  }
}

async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The manifest files directly in `dir` (symlinks to files included), sorted; or the issue that stops listing it. */
async function listManifestFiles(
  dir: string,
): Promise<{ files: string[]; issues: ManifestIssue[] }> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    return {
      files: [],
      issues: [
        {
          file: dir,
          line: 0,
          col: 0,
          path: '',
          message: `cannot read directory: ${describeError(error)}`,
        },
      ],
    };
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (!isManifestFileName(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isFile()) {
      files.push(path);
    } else if (entry.isSymbolicLink()) {
      // Kubernetes ConfigMap volumes: x.yaml -> ..data/x.yaml. A dangling link is skipped.
      const target = await stat(path).catch(() => undefined);
      if (target?.isFile()) files.push(path);
    }
  }
  files.sort();
  return { files, issues: [] };
}

async function loadFiles(
  paths: readonly string[],
  listingIssues: ManifestIssue[],
): Promise<LoadResult> {
  const unique = [...new Set(paths)].sort();
  const files = await mapWithConcurrency(unique, READ_CONCURRENCY, readManifestFile);
  const resolved = resolveSchedules(files);
  const issues = [
    ...listingIssues,
    ...files.flatMap((file) => file.issues),
    ...resolved.issues,
  ].sort(compareIssues);
  return { schedules: resolved.schedules, files, issues };
}

/** Load every manifest file directly in `dir` (no recursion; dotfiles, dot-directories and editor litter ignored). */
export async function loadManifestDir(dir: string): Promise<LoadResult> {
  const listing = await listManifestFiles(dir);
  return loadFiles(listing.files, listing.issues);
}

/** Load files and directories: a directory as loadManifestDir does, a file whatever its name. */
export async function loadManifestPaths(paths: readonly string[]): Promise<LoadResult> {
  const files: string[] = [];
  const issues: ManifestIssue[] = [];
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (error) {
      issues.push({
        file: path,
        line: 0,
        col: 0,
        path: '',
        message: `cannot read: ${describeError(error)}`,
      });
      continue;
    }
    if (isDirectory) {
      const listing = await listManifestFiles(path);
      files.push(...listing.files);
      issues.push(...listing.issues);
    } else {
      files.push(path);
    }
  }
  return loadFiles(files, issues);
}
