// The parsed manifests of the last start, kept in the state directory so a restart does not parse unchanged files again.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import type { CompiledSchedule } from '../cron/types.js';
import type { ParsedFile } from '../manifest/resolve.js';
import { survivesJson } from '../manifest/json-exact.js';
import { createSharedValues, shareDocumentParts } from '../manifest/shared-parts.js';

/** The file in the state directory. */
export const PARSE_CACHE_FILE = 'manifest-cache.jsonl';

/** Bumped when the file's layout changes. */
const FORMAT = 1;
/** Read and written in pieces of at most this size (see readLines). */
const IO_CHUNK_BYTES = 64 * 1024;

/** Looks up the parse of one version of one file. */
export interface ParseCacheReader {
  /** The parse of `file` whose text has this SHA-256 (hex), or undefined. */
  get(file: string, textHash: string): ParsedFile | undefined;
}

let codeHash: string | undefined;

/**
 * What a parse depends on besides the file's path and text: the code that parses (every module of the
 * manifest and cron directories, hashed), the Node.js version (its time-zone data decides which zones are
 * valid) and the cache's own format. An entry written under another key is never used.
 */
export function parseCacheKey(): string {
  if (codeHash === undefined) {
    const hash = createHash('sha256');
    const here = dirname(fileURLToPath(import.meta.url));
    for (const dir of [join(here, '../manifest'), join(here, '../cron')]) {
      for (const name of readdirSync(dir).sort()) {
        if (!/\.(js|ts)$/.test(name) || name.endsWith('.d.ts')) continue;
        hash
          .update(name)
          .update('\0')
          .update(readFileSync(join(dir, name)))
          .update('\0');
      }
    }
    codeHash = hash.digest('hex').slice(0, 32);
  }
  return `${FORMAT}:${process.version}:${process.versions.tz ?? ''}:${codeHash}`;
}

/**
 * The cache as read at start-up. One line per file after a header line: `<sha256>\t<file as JSON>\t<ParsedFile
 * as JSON>` (JSON never contains a raw tab or newline). Lines are parsed only when asked for, and a line that
 * does not parse is a miss: a damaged cache costs a parse, never a wrong schedule.
 */
export class ParseCache implements ParseCacheReader {
  #lines: Map<string, string>;
  /** Equal parts of the documents read held once, as a fresh parse holds them (see shared-parts.ts). */
  #shared = createSharedValues();
  /** One compiled schedule per kind and expression (see #shareCompiled). */
  #compiled = new Map<string, CompiledSchedule>();
  /** Lookups answered from the file. */
  hits = 0;

  private constructor(lines: Map<string, string>) {
    this.#lines = lines;
  }

  /** An empty cache: nothing is found. */
  static empty(): ParseCache {
    return new ParseCache(new Map());
  }

  /**
   * Read `path`. A missing file, another key or an unreadable file give an empty cache; `problem` says why
   * for anything but a missing file.
   */
  static async open(path: string, key: string): Promise<{ cache: ParseCache; problem?: string }> {
    let lines: string[];
    try {
      lines = readLines(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { cache: ParseCache.empty() };
      return {
        cache: ParseCache.empty(),
        problem: `cannot read ${path}: ${code ?? String(error)}`,
      };
    }
    let header: unknown;
    try {
      header = JSON.parse(lines[0] ?? '');
    } catch {
      header = undefined;
    }
    if (typeof header !== 'object' || header === null || !('key' in header)) {
      return { cache: ParseCache.empty(), problem: `${path}: not a manifest cache` };
    }
    // Written by another version of cronops or Node.js: silently unused, and replaced.
    if (header.key !== key) return { cache: ParseCache.empty() };
    const byFile = new Map<string, string>();
    for (let index = 1; index < lines.length; index += 1) {
      const line = lines[index] as string;
      const first = line.indexOf('\t');
      const second = first < 0 ? -1 : line.indexOf('\t', first + 1);
      if (second < 0) continue;
      byFile.set(
        `${line.slice(0, first)}\t${line.slice(first + 1, second)}`,
        line.slice(second + 1),
      );
    }
    return { cache: new ParseCache(byFile) };
  }

  /** Entries the file held. */
  get size(): number {
    return this.#lines.size;
  }

  get(file: string, textHash: string): ParsedFile | undefined {
    const text = this.#lines.get(`${textHash}\t${JSON.stringify(file)}`);
    if (text === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!isParsedFile(parsed, file)) return undefined;
    try {
      // The compiled expression is taken as written, like the rest of the parse (the key names the code
      // that compiled it): compiling 10,000 expressions again was a third of a restart's reading. One
      // object per distinct expression, shared as a fresh parse shares it (less memory).
      for (const doc of parsed.documents) {
        if (typeof doc.written !== 'string') return undefined;
        if (doc.kind !== 'Schedule') continue;
        const compiled = this.#shareCompiled(doc.spec.schedule, doc.compiled);
        if (compiled === undefined) return undefined;
        doc.compiled = compiled;
      }
      for (const doc of parsed.documents) shareDocumentParts(doc, this.#shared);
    } catch {
      // A document of another shape than a parse makes (a damaged line): a miss.
      return undefined;
    }
    this.hits += 1;
    return parsed;
  }

  /** Forget what was read (the start-up is over; later reloads compare texts with what they hold). */
  release(): void {
    this.#lines = new Map();
    this.#shared = createSharedValues();
    this.#compiled = new Map();
  }

  /**
   * The compiled form of `expression` as read, or the one read earlier for the same expression;
   * undefined when it is not one (a damaged line: a miss).
   */
  #shareCompiled(expression: string | undefined, value: unknown): CompiledSchedule | undefined {
    const kind = checkCompiled(expression, value);
    if (kind === undefined) return undefined;
    // A schedule with only `after` has no expression: its source describes its links.
    const key = `${kind}\t${(value as CompiledSchedule).source}`;
    const known = this.#compiled.get(key);
    if (known !== undefined) return known;
    this.#compiled.set(key, value as CompiledSchedule);
    return value as CompiledSchedule;
  }
}

/**
 * The kind of a compiled schedule read from the cache, when it has the shape compileSpecSchedule gives
 * and belongs to `expression` (the spec's `schedule`; none for a schedule with only `after`).
 */
export function checkCompiled(
  expression: string | undefined,
  value: unknown,
): CompiledSchedule['kind'] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const compiled = value as Partial<Record<string, unknown>>;
  if (typeof compiled['source'] !== 'string') return undefined;
  const kind = compiled['kind'];
  if (kind === 'after') return expression === undefined ? kind : undefined;
  if (compiled['source'] !== expression) return undefined;
  if (kind === 'every') return typeof compiled['everyMs'] === 'number' ? kind : undefined;
  if (kind !== 'cron') return undefined;
  const fields = compiled['fields'];
  return typeof fields === 'object' &&
    fields !== null &&
    typeof compiled['dayOr'] === 'boolean' &&
    typeof compiled['fixedTime'] === 'boolean'
    ? kind
    : undefined;
}

function isParsedFile(value: unknown, file: string): value is ParsedFile {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<ParsedFile>;
  return (
    candidate.file === file &&
    typeof candidate.contentHash === 'string' &&
    Array.isArray(candidate.documents) &&
    Array.isArray(candidate.issues)
  );
}

/**
 * The lines of a text file, read synchronously in 64 KiB pieces into one buffer. Reading a 15 MB cache in
 * one buffer would leave glibc's malloc keeping that much freed memory around (it raises its mmap and trim
 * thresholds to the largest block freed), and every fork of the daemon copies the page tables of that
 * memory: each process started costs more. Synchronous, because nothing else runs while start-up reads
 * it, and a stream's 200 round trips through the thread pool cost more than the reads.
 */
function readLines(path: string): string[] {
  const lines: string[] = [];
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(IO_CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      const pieces = (rest + decoder.write(buffer.subarray(0, read))).split('\n');
      rest = pieces.pop() ?? '';
      for (const piece of pieces) lines.push(piece);
    }
    lines.push(rest + decoder.end());
  } finally {
    closeSync(fd);
  }
  return lines;
}

/**
 * Write the parse of every file to `path`: a temp file (mode 0600) renamed over it, no fsync (a lost cache
 * costs one slower start). Serialised and written a few entries at a time, each write a turn of the event
 * loop, so 1,000 files neither hold up a fire nor sit in memory whole.
 */
export async function writeParseCache(
  path: string,
  key: string,
  files: Iterable<ParsedFile>,
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const handle = await open(temp, 'w', 0o600);
  try {
    let chunk = `${JSON.stringify({ format: FORMAT, key })}\n`;
    for (const parsed of files) {
      // Only what JSON gives back exactly (no undefined-valued keys, no NaN): a cached parse must be the parse.
      if (survivesJson(parsed))
        chunk += `${parsed.contentHash}\t${JSON.stringify(parsed.file)}\t${JSON.stringify(parsed)}\n`;
      // Written out in small pieces, each after a turn of the event loop (a few entries, ~1 ms).
      if (chunk.length >= IO_CHUNK_BYTES / 2) {
        await handle.write(chunk);
        chunk = '';
      }
    }
    await handle.write(chunk);
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await rename(temp, path);
}
