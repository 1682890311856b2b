// A fast block-style YAML writer for the plain data of rendered objects, byte-for-byte what the `yaml` library prints.
import { stringify } from 'yaml';

/**
 * The `yaml` library's options for the output. YAML 1.1: Kubernetes tools read YAML as 1.1
 * (go-yaml), where `on`, `no` or `yes` are booleans, so such strings must be quoted to stay
 * strings. No anchors or aliases, no folding.
 */
export const STRINGIFY_OPTIONS = {
  version: '1.1',
  lineWidth: 0,
  aliasDuplicateObjects: false,
} as const;

/**
 * Plain in every case: starts with a letter, `_` or `/`, then only letters, digits, `_./-` and
 * single inner spaces. Such a text is never a YAML 1.1 number, date or indicator, and holds no
 * `: ` or ` #`; it can only be a boolean or null word.
 */
const SAFE_PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*(?: [A-Za-z0-9_./-]+)*$/;
/** A key: as SAFE_PLAIN, without spaces and not starting with `/`. */
const SAFE_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
/** The YAML 1.1 boolean and null words that SAFE_PLAIN lets through (compared in lowercase). */
const RESERVED_WORDS = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null']);

/** Thrown inside the writer when a value needs the `yaml` library (a multi-line string, an odd key …). */
class NeedsLibrary extends Error {}

/** Writes values as the `yaml` library would, remembering how each scalar it asked the library about came out. */
export interface BlockYamlWriter {
  /** One YAML document for `value` (ending in a newline), as `stringify(value, STRINGIFY_OPTIONS)` prints it. */
  writeDocument(value: unknown): string;
}

/**
 * A writer for many similar objects. Most strings are safe plain text and are written as they
 * are; any other single-line scalar is written once by the `yaml` library and remembered. An
 * object with a multi-line string, a key that is not a simple name, or a value that is not plain
 * data (map, array, string, finite number, boolean, null) is handed whole to the library.
 */
export function createBlockYamlWriter(): BlockYamlWriter {
  const scalars = new Map<unknown, string>();
  const writeScalar = (value: string | number): string => {
    if (typeof value === 'string') {
      if (SAFE_PLAIN.test(value) && !RESERVED_WORDS.has(value.toLowerCase())) return value;
    } else if (Number.isSafeInteger(value)) return String(value);
    let text = scalars.get(value);
    if (text === undefined) {
      text = stringify(value, STRINGIFY_OPTIONS);
      // One line and its newline; anything else (a block scalar, a folded line) needs its context.
      if (text.indexOf('\n') !== text.length - 1) throw new NeedsLibrary();
      text = text.slice(0, -1);
      scalars.set(value, text);
    }
    return text;
  };
  const writeKey = (key: string): string => {
    if (SAFE_KEY.test(key) && !RESERVED_WORDS.has(key.toLowerCase())) return key;
    throw new NeedsLibrary();
  };
  const writeInline = (value: unknown): string | undefined => {
    if (value === null) return 'null';
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'string') return writeScalar(value);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new NeedsLibrary();
      return writeScalar(value);
    }
    if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
    if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      for (const key in value)
        if ((value as Record<string, unknown>)[key] !== undefined) return undefined;
      return '{}';
    }
    throw new NeedsLibrary();
  };
  // `first` is what goes before the first line (a `- ` in a sequence); `indent` before the others.
  const writeBlock = (value: unknown, indent: string, first: string, out: string[]): void => {
    let prefix = first;
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) {
        const inline = writeInline(item);
        if (inline !== undefined) out.push(`${prefix}- ${inline}\n`);
        else writeBlock(item, `${indent}  `, `${prefix}- `, out);
        prefix = indent;
      }
      return;
    }
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (item === undefined) continue;
      const name = writeKey(key);
      const inline = writeInline(item);
      if (inline !== undefined) out.push(`${prefix}${name}: ${inline}\n`);
      else {
        out.push(`${prefix}${name}:\n`);
        writeBlock(item, `${indent}  `, `${indent}  `, out);
      }
      prefix = indent;
    }
  };
  return {
    writeDocument(value) {
      try {
        const inline = writeInline(value);
        if (inline !== undefined) return `${inline}\n`;
        const out: string[] = [];
        writeBlock(value, '', '', out);
        return out.join('');
      } catch (error) {
        if (!(error instanceof NeedsLibrary)) throw error;
        return stringify(value, STRINGIFY_OPTIONS);
      }
    },
  };
}
