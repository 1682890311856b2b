// Where a schedule's field is written: its own document, else the directory's Defaults, else its name.
import type { PathSegment, YamlDocument } from '../manifest/yaml.js';
import { parseYamlText } from '../manifest/yaml.js';

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
  /** Where `path` (e.g. ['spec', 'catchUp']) of schedule `name` is set, or its name when it is not written. */
  locate(name: string, path: readonly PathSegment[]): FieldPosition;
}

interface Found {
  file: string;
  doc: YamlDocument;
}

/** A locator over the directory's files (pure: reads only the texts given). */
export function createFieldLocator(files: readonly ManifestFile[]): FieldLocator {
  let schedules: Map<string, Found> | undefined;
  let defaults: Found | undefined;
  const index = (): Map<string, Found> => {
    if (schedules !== undefined) return schedules;
    schedules = new Map();
    for (const file of files) {
      for (const doc of parseYamlText(file.text).documents) {
        const value = doc.value as { kind?: unknown; metadata?: { name?: unknown } } | null;
        if (value?.kind === 'Defaults') defaults ??= { file: file.path, doc };
        const name = value?.kind === 'Schedule' ? value.metadata?.name : undefined;
        if (typeof name === 'string' && !schedules.has(name))
          schedules.set(name, { file: file.path, doc });
      }
    }
    return schedules;
  };
  return {
    locate(name, path) {
      const own = index().get(name);
      if (own !== undefined && hasPath(own.doc.value, path))
        return at(own.file, own.doc.locate(path, 'value'));
      if (defaults !== undefined && path[0] === 'spec' && hasPath(defaults.doc.value, path))
        return at(defaults.file, defaults.doc.locate(path, 'value'));
      if (own !== undefined) return at(own.file, own.doc.locate(['metadata', 'name'], 'value'));
      return { file: files[0]?.path ?? '', line: 0, col: 0 };
    },
  };
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
