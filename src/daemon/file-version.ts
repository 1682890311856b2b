// One manifest file's version as the daemon reads it: stat → read → stat until stable, reusing what did not change.
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { MAX_MANIFEST_BYTES, type ParsedFile } from '../manifest/resolve.js';
import type * as ManifestLoaderModule from '../manifest/load.js';
import type { SharedValues } from '../manifest/shared-parts.js';
import type { Clock } from '../shared/clock.js';
import type { ParseCacheReader } from './parse-cache.js';

/** One manifest file as the daemon last read it. */
export interface FileState {
  file: string;
  /** The version read last (may be invalid). */
  current: ParsedFile;
  /** SHA-256 of the text of `current`: an unchanged file is not parsed again. */
  textHash: string;
  /** The newest version that was valid; its schedules keep running while `current` is invalid. */
  lastGood: ParsedFile | undefined;
  /** Device, inode, size, mtime and ctime of the version read: an unchanged file is not read again. */
  signature: string;
  /**
   * The file had not been modified for `settleMs` when it was read, so an equal signature later really
   * means an unchanged file. A file read right after a write is read again next time, because a second
   * write within the same timestamp tick would keep size and times equal.
   */
  settled: boolean;
  /** The text declares `kind: Defaults` (known even when the file does not parse). */
  declaresDefaults: boolean;
}

/** A document line `kind: Defaults`, quoted or not, with an optional comment. */
const DEFAULTS_KIND = /^kind:\s*(['"]?)Defaults\1\s*(#.*)?$/m;

/** A file still changing after this many stat → read → stat rounds is taken as last read. */
const READ_ATTEMPTS = 3;

/** A file's version as read now, and how much work reading it took. */
export type ReadResult = Omit<FileState, 'file' | 'lastGood'> & {
  parsedNow: boolean;
  readNow: boolean;
  cachedNow?: boolean;
};

/** What reading needs from the config state. */
export interface ReadOptions {
  clock: Clock;
  /** How long a file must have been unmodified before its stat signature is trusted. */
  settleMs: number;
  parseCache: ParseCacheReader | undefined;
  /** Shared by the files of one reload: equal strings and parts held once (see parseManifestText). */
  shared?: SharedValues;
}

/** stat → read → stat, again while the file changes under the read; unchanged files are reused. */
export async function readFileVersion(
  path: string,
  previous: FileState | undefined,
  force: boolean,
  options: ReadOptions,
): Promise<ReadResult | undefined> {
  let text: string | undefined;
  let signature = '';
  let settled = false;
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt += 1) {
    const startedMs = options.clock.now().getTime();
    const before = await stat(path).catch(() => undefined);
    if (!before?.isFile()) return undefined;
    signature = signatureOf(before);
    if (!force && previous?.settled && previous.signature === signature) {
      return { ...previous, readNow: false, parsedNow: false };
    }
    settled = startedMs - before.mtimeMs >= options.settleMs;
    if (before.size > MAX_MANIFEST_BYTES) {
      return {
        current: await (await loadParser()).readManifestFile(path),
        textHash: '',
        signature,
        settled,
        declaresDefaults: false,
        readNow: true,
        parsedNow: true,
      };
    }
    try {
      text = await readFile(path, 'utf8');
    } catch {
      // Unreadable (permissions) or gone: the loader words the issue; a vanished file is dropped.
      const current = await (await loadParser()).readManifestFile(path);
      if (current.issues.some((issue) => issue.message.includes('no such file'))) return undefined;
      return {
        current,
        textHash: '',
        signature,
        settled: false,
        declaresDefaults: false,
        readNow: true,
        parsedNow: true,
      };
    }
    const after = await stat(path).catch(() => undefined);
    if (!after?.isFile()) return undefined;
    if (signatureOf(after) === signature) break;
    // Written to while it was read: read the newer version.
    signature = signatureOf(after);
    settled = false;
  }
  const body = text ?? '';
  const textHash = createHash('sha256').update(body).digest('hex');
  if (previous && previous.textHash === textHash) {
    return {
      current: previous.current,
      textHash,
      signature,
      settled,
      declaresDefaults: previous.declaresDefaults,
      readNow: true,
      parsedNow: false,
    };
  }
  const cached = options.parseCache?.get(path, textHash);
  return {
    current: cached ?? (await loadParser()).parseManifestText(path, body, textHash, options.shared),
    textHash,
    signature,
    settled,
    declaresDefaults: DEFAULTS_KIND.test(body),
    readNow: true,
    parsedNow: cached === undefined,
    cachedNow: cached !== undefined,
  };
}

type ManifestLoader = typeof ManifestLoaderModule;

/**
 * The manifest parser (the schema, zod and the YAML library: ~0.2 s of module loading), loaded the first
 * time a file has to be parsed. A start whose files all come from the parse cache never loads it.
 */
function loadParser(): Promise<ManifestLoader> {
  return import('../manifest/load.js');
}

/** Identity of one version of a file as far as stat can tell. */
function signatureOf(info: Stats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}
