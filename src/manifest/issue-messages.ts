// zod's issues rewritten as sentences about the manifest: what was expected, what arrived, what to type instead.
import type { z } from 'zod';
import { findClosest } from './suggest.js';
import type { LocateMode, PathSegment } from './yaml.js';

/** An issue in manifest words, before it gets a file position. */
export interface DescribedIssue {
  path: PathSegment[];
  /** Which node the position should come from. */
  mode: LocateMode;
  message: string;
}

/** Extra words for unknown fields in particular places (a Defaults document's forbidden fields). */
export type UnknownFieldExplainer = (
  parentPath: readonly PathSegment[],
  key: string,
) => string | undefined;

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;
interface SchemaDef {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: AnySchema[];
}

const WRAPPERS = new Set([
  'optional',
  'default',
  'prefault',
  'nullable',
  'readonly',
  'catch',
  'nonoptional',
]);

function defOf(schema: AnySchema): SchemaDef {
  return schema._zod.def as unknown as SchemaDef;
}

function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

/** The schemas that could sit at `path` (unions fan out). */
function findSchemasAt(schema: AnySchema, path: readonly PathSegment[]): AnySchema[] {
  const current = unwrap(schema);
  const def = defOf(current);
  if (def.type === 'union' && def.options)
    return def.options.flatMap((option) => findSchemasAt(option, path));
  if (path.length === 0) return [current];
  const [segment, ...rest] = path;
  if (def.type === 'object' && def.shape && typeof segment === 'string') {
    const child = def.shape[segment];
    return child ? findSchemasAt(child, rest) : [];
  }
  if (def.type === 'array' && def.element) return findSchemasAt(def.element, rest);
  if (def.type === 'record' && def.valueType) return findSchemasAt(def.valueType, rest);
  return [];
}

/** The field names an object at `path` accepts. */
export function listKnownKeys(schema: AnySchema, path: readonly PathSegment[]): string[] {
  const keys = new Set<string>();
  for (const candidate of findSchemasAt(schema, path)) {
    const def = defOf(candidate);
    if (def.type === 'object' && def.shape) for (const key of Object.keys(def.shape)) keys.add(key);
  }
  return [...keys];
}

/** How a YAML value reads in a message: "5 minutes" quoted, numbers bare, collections by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  return String(value);
}

const EXPECTED_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
};

const YAML11_BOOLEANS = /^(?:y|n|yes|no|on|off)$/i;

/** zod's own messages: never shown to people. */
const ZOD_DEFAULT_MESSAGE = /^(Invalid|Too small|Too big|Unrecognized)/;

function readAt(root: unknown, path: readonly PathSegment[]): { found: boolean; value: unknown } {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment))
      return { found: false, value: undefined };
    current = (current as Record<string, unknown>)[segment];
  }
  return { found: true, value: current };
}

function toPath(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function describeSize(issue: Issue & { code: 'too_small' | 'too_big' }, input: unknown): string {
  const small = issue.code === 'too_small';
  const bound = Number(
    small
      ? (issue as { minimum: number | bigint }).minimum
      : (issue as { maximum: number | bigint }).maximum,
  );
  const word = small ? 'at least' : 'at most';
  switch (issue.origin) {
    case 'array':
      return `expected ${word} ${plural(bound, 'item')}, got ${Array.isArray(input) ? plural(input.length, 'item') : describeValue(input)}`;
    case 'string':
      return `expected ${word} ${plural(bound, 'character')}, got ${typeof input === 'string' ? plural(input.length, 'character') : describeValue(input)}`;
    default:
      return `expected a number ${small ? '>=' : '<='} ${bound}, got ${describeValue(input)}`;
  }
}

/** One zod issue as one or more manifest issues (unknown keys come one per key). */
export function describeZodIssue(
  issue: Issue,
  root: unknown,
  schema: AnySchema,
  explainUnknown: UnknownFieldExplainer,
): DescribedIssue[] {
  const path = toPath(issue.path);
  const at = readAt(root, path);
  const input = at.found ? at.value : issue.input;
  const custom = !ZOD_DEFAULT_MESSAGE.test(issue.message);

  if (issue.code === 'unrecognized_keys') {
    const known = listKnownKeys(schema, path);
    return issue.keys.map((key) => {
      const explained = explainUnknown(path, key);
      if (explained !== undefined) return { path: [...path, key], mode: 'key', message: explained };
      const closest = findClosest(key, known);
      const hint =
        closest !== undefined
          ? ` (did you mean "${closest}"?)`
          : known.length > 0
            ? ` (expected one of: ${known.join(', ')})`
            : '';
      return { path: [...path, key], mode: 'key', message: `unknown field "${key}"${hint}` };
    });
  }

  if (issue.code === 'invalid_type' && !at.found && path.length > 0) {
    const key = path[path.length - 1];
    const parent = readAt(root, path.slice(0, -1));
    if (
      parent.found &&
      parent.value !== null &&
      typeof parent.value === 'object' &&
      !Array.isArray(parent.value)
    ) {
      return [{ path, mode: 'parent', message: `missing required field "${String(key)}"` }];
    }
  }

  if (custom) {
    // A custom issue about a field that is not there ("schedule" or "after") points at its parent.
    const mode = issue.code === 'invalid_key' ? 'key' : at.found ? 'value' : 'parent';
    return [{ path, mode, message: issue.message }];
  }

  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED_WORDS[issue.expected] ?? `a ${issue.expected}`;
      const quoteHint =
        issue.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')
          ? ' (quote it to make it a string)'
          : issue.expected === 'boolean' && typeof input === 'string' && YAML11_BOOLEANS.test(input)
            ? ' (manifests are YAML 1.2: only true and false are booleans)'
            : '';
      return [
        {
          path,
          mode: 'value',
          message: `expected ${expected}, got ${describeValue(input)}${quoteHint}`,
        },
      ];
    }
    case 'invalid_value': {
      const values = issue.values.map((value) => String(value));
      if (path.length === 1 && path[0] === 'apiVersion') {
        return [
          {
            path,
            mode: 'value',
            message: `unknown apiVersion ${describeValue(input)} (expected "${values.join('", "')}")`,
          },
        ];
      }
      const closest = typeof input === 'string' ? findClosest(input, values) : undefined;
      const hint =
        closest !== undefined && closest !== input ? ` (did you mean "${closest}"?)` : '';
      const expected = values.length === 1 ? `"${values[0] ?? ''}"` : `one of ${values.join(', ')}`;
      return [
        {
          path,
          mode: 'value',
          message: `expected ${expected}, got ${describeValue(input)}${hint}`,
        },
      ];
    }
    case 'too_small':
    case 'too_big':
      return [{ path, mode: 'value', message: describeSize(issue, input) }];
    case 'invalid_key': {
      const inner = issue.issues
        .map((inside) => (ZOD_DEFAULT_MESSAGE.test(inside.message) ? '' : inside.message))
        .filter(Boolean);
      return [
        {
          path,
          mode: 'key',
          message: `invalid key "${String(path[path.length - 1])}"${inner.length > 0 ? `: ${inner.join('; ')}` : ''}`,
        },
      ];
    }
    case 'not_multiple_of':
      return [
        {
          path,
          mode: 'value',
          message: `expected a multiple of ${String(issue.divisor)}, got ${describeValue(input)}`,
        },
      ];
    default:
      return [{ path, mode: 'value', message: `unexpected value ${describeValue(input)}` }];
  }
}
