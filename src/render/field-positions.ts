// Where a schedule's field is written: its own document, else the directory's Defaults, else its name.
import type { PathSegment, YamlDocument } from '../manifest/yaml.js';
import { parseYamlText, parseYamlTextFast } from '../manifest/yaml.js';

/** A manifest file as it will be mounted: its name in the directory and its text. */
export interface ManifestFile {
  /** The path used in messages (as the loader named it). */
  path: string;
  text: string;
}

/** A position in a manifest file. */
export interface FieldPosition {
  file: string;
  line: number;
  col: number;
}

/** Finds positions of schedule fields; each file is parsed once, on first use. */
export interface FieldLocator {
  /**
   * Where `path` (e.g. ['spec', 'catchUp']) of schedule `name`, defined in `file`, is set: in
   * its own document, else in the directory's Defaults, else at its name.
   */
  locate(name: string, file: string, path: readonly PathSegment[]): FieldPosition;
}

/** The documents of one file: schedules by name, and its Defaults if it has one. */
interface FileIndex {
  schedules: Map<string, YamlDocument>;
  defaults?: YamlDocument;
}

/** A locator over the directory's files (pure: reads only the texts given). */
export function createFieldLocator(files: readonly ManifestFile[]): FieldLocator {
  const texts = new Map(files.map((file) => [file.path, file.text]));
  const indexes = new Map<string, FileIndex>();
  const indexOf = (path: string): FileIndex => {
    let index = indexes.get(path);
    if (index !== undefined) return index;
    index = { schedules: new Map() };
    const text = texts.get(path) ?? '';
    // The files were loaded without issues, so the fast reader nearly always reads them.
    for (const doc of parseYamlTextFast(text) ?? parseYamlText(text).documents) {
      const value = doc.value as { kind?: unknown; metadata?: { name?: unknown } } | null;
      if (value?.kind === 'Defaults') index.defaults ??= doc;
      const name = value?.kind === 'Schedule' ? value.metadata?.name : undefined;
      if (typeof name === 'string' && !index.schedules.has(name)) index.schedules.set(name, doc);
    }
    indexes.set(path, index);
    return index;
  };
  let defaults: Found | undefined | null = null;
  const findDefaults = (): Found | undefined => {
    if (defaults !== null) return defaults;
    defaults = undefined;
    // Only a file that mentions the kind can hold the Defaults: the others are not parsed.
    for (const file of files) {
      if (!/kind:\s*['"]?Defaults/.test(file.text)) continue;
      const doc = indexOf(file.path).defaults;
      if (doc !== undefined) {
        defaults = { file: file.path, doc };
        break;
      }
    }
    return defaults;
  };
  return {
    locate(name, file, path) {
      const own = indexOf(file).schedules.get(name);
      if (own !== undefined && hasPath(own.value, path)) return at(file, own.locate(path, 'value'));
      const shared = path[0] === 'spec' ? findDefaults() : undefined;
      if (shared !== undefined && hasPath(shared.doc.value, path))
        return at(shared.file, shared.doc.locate(path, 'value'));
      if (own !== undefined) return at(file, own.locate(['metadata', 'name'], 'value'));
      return { file, line: 0, col: 0 };
    },
  };
}

interface Found {
  file: string;
  doc: YamlDocument;
}

function at(file: string, position: { line: number; col: number }): FieldPosition {
  return { file, line: position.line, col: position.col };
}

function hasPath(value: unknown, path: readonly PathSegment[]): boolean {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return false;
    if (!Object.hasOwn(current, segment)) return false;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return true;
}
