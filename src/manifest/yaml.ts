// YAML text → plain values with source positions, and syntax errors turned into messages a person can act on.
import {
  Scalar,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import { readFastYaml, type PositionedNode, type TextTable } from './fast-yaml.js';

/** One step of a field path: a mapping key or a list index. */
export type PathSegment = string | number;

/** A problem found while reading YAML, with its 1-based position. */
export interface YamlIssue {
  line: number;
  col: number;
  /** Field path ('spec.schedule'), or '' when the problem is not about one field. */
  path: string;
  message: string;
}

/** Where a field's problem should be shown. */
export type LocateMode =
  /** the value itself (a wrong value) */
  | 'value'
  /** the key of the last segment (an unknown field) */
  | 'key'
  /** the mapping that should hold the last segment (a missing field) */
  | 'parent';

/** One non-empty document of a file, as plain data plus a way back to positions. */
export interface YamlDocument {
  /** 0-based position of the document in the file, counting empty ones. */
  index: number;
  value: unknown;
  /** Where the document's content starts. */
  line: number;
  col: number;
  /** The position to report for a problem at `path`. */
  locate(path: readonly PathSegment[], mode: LocateMode): { line: number; col: number };
}

/** The documents of a file that could be read, and the syntax problems of those that could not. */
export interface YamlParseResult {
  documents: YamlDocument[];
  issues: YamlIssue[];
}

/** Aliases a document may expand before it is refused (a "billion laughs" guard). */
export const MAX_ALIAS_COUNT = 1000;

const PARSE_OPTIONS = {
  // YAML 1.2 core schema whatever %YAML directive the file carries: `no` and `02:30` stay strings.
  version: '1.2',
  schema: 'core',
  merge: true,
  uniqueKeys: true,
  prettyErrors: false,
  strict: true,
} as const;

/** Render a path as people read it: spec.task.command[0], spec.task.env["A.B"]. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[^.[\]\s"]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function startOf(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

/** Offset → 1-based line and column. */
export type LinePosition = (offset: number) => { line: number; col: number };

/** Line and column lookups for a text, by binary search over the line starts. */
export function createLineIndex(text: string): LinePosition {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, col: offset - (starts[low] ?? 0) + 1 };
  };
}

/** The `yaml` library's nodes in the shape the locator walks. */
function toPositionedNode(node: unknown, fallback: number): PositionedNode {
  const start = startOf(node) ?? fallback;
  if (isMap(node)) {
    return {
      kind: 'map',
      start,
      entries: node.items.map((pair) => ({
        key: keyText(pair.key) ?? '',
        keyStart: startOf(pair.key) ?? start,
        value: toPositionedNode(pair.value, startOf(pair.key) ?? start),
      })),
    };
  }
  if (isSeq(node))
    return { kind: 'seq', start, items: node.items.map((item) => toPositionedNode(item, start)) };
  const empty =
    node === null ||
    node === undefined ||
    (isScalar(node) && node.value === null && node.source === '');
  return { kind: 'scalar', start, empty };
}

interface Step {
  node: PositionedNode;
  keyStart: number | undefined;
  depth: number;
}

/** Walk `path` through the nodes as far as it goes, remembering where each step's key is. */
function walkNodes(root: PositionedNode, path: readonly PathSegment[]): Step[] {
  const steps: Step[] = [{ node: root, keyStart: undefined, depth: 0 }];
  let current = root;
  for (let depth = 0; depth < path.length; depth++) {
    const segment = path[depth];
    if (current.kind === 'map') {
      const entry = current.entries.find((item) => item.key === String(segment));
      if (entry === undefined) break;
      current = entry.value;
      steps.push({ node: current, keyStart: entry.keyStart, depth: depth + 1 });
    } else if (current.kind === 'seq' && typeof segment === 'number') {
      const item = current.items[segment];
      if (item === undefined) break;
      current = item;
      steps.push({ node: current, keyStart: undefined, depth: depth + 1 });
    } else {
      break;
    }
  }
  return steps;
}

/** The position to report for a problem at `path` of a document. */
export function createLocator(root: () => PositionedNode, linePos: LinePosition) {
  return (path: readonly PathSegment[], mode: LocateMode): { line: number; col: number } => {
    const top = root();
    const steps = walkNodes(top, path);
    const last = steps[steps.length - 1] ?? { node: top, keyStart: undefined, depth: 0 };
    if (mode === 'value' && last.depth === path.length) {
      // A mapping or list is shown at its key ("task:"), and so is an empty value (`key:`).
      const atKey = last.node.kind !== 'scalar' || last.node.empty;
      return linePos(atKey && last.keyStart !== undefined ? last.keyStart : last.node.start);
    }
    if (mode === 'key' && last.depth === path.length)
      return linePos(last.keyStart ?? last.node.start);
    // A missing field (or a path that leaves the document): the deepest mapping that exists,
    // at its key when it has one ("spec:"), else where it starts.
    const parentDepth = mode === 'value' ? last.depth : Math.min(last.depth, path.length - 1);
    const parent = steps.find((step) => step.depth === parentDepth) ?? last;
    return linePos(parent.keyStart ?? parent.node.start);
  };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Innermost node of a kind whose start is at or before `offset` and that is still open there. */
function findOpenNode(
  doc: Document,
  offset: number,
  accept: (node: unknown) => boolean,
): Node | undefined {
  let best: Node | undefined;
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (accept(node)) {
      const range = (node as Node).range;
      if (
        range &&
        range[0] <= offset &&
        range[1] >= offset - 1 &&
        (best?.range === undefined || range[0] >= (best.range?.[0] ?? 0))
      ) {
        best = node as Node;
      }
    }
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items) {
        if (isPair(item)) {
          visit(item.key);
          visit(item.value);
        } else {
          visit(item);
        }
      }
    }
  };
  visit(doc.contents);
  return best;
}

/** For `key: @daily` (YAML reserves `@` and a backquote): the quoted line to write instead. */
function quoteHint(text: string, offset: number): string | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const line = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd);
  const match = /^\s*(?:-\s+)?([A-Za-z_][\w.-]*):\s+([@`].*?)\s*(?:\s#.*)?$/.exec(line);
  if (!match) return undefined;
  const [, key = '', value = ''] = match;
  const quoted = `${key}: ${JSON.stringify(value)}`;
  return key === 'schedule'
    ? `quote the schedule: ${quoted}`
    : `quote values that start with "${value[0] ?? ''}": ${quoted}`;
}

function describeYamlError(
  error: YAMLError,
  doc: Document,
  text: string,
  linePos: LinePosition,
): YamlIssue {
  let offset = error.pos[0];
  let message: string;
  if (error.code === 'TAB_AS_INDENT') {
    message = 'tabs are not allowed for indentation; use spaces';
  } else if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) {
    // The parser notices at the end of the file; the useful place is where the quote opens.
    const quote = error.message.includes("'") ? "'" : '"';
    const open = findOpenNode(
      doc,
      offset,
      (node) => isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE'),
    );
    if (open?.range) offset = open.range[0];
    message = `unclosed quote: this string has no closing ${quote}`;
  } else if (/end with an? [\]}]/.test(error.message)) {
    const bracket = error.message.includes(']') ? ']' : '}';
    const open = findOpenNode(
      doc,
      offset,
      (node) => (isMap(node) || isSeq(node)) && node.flow === true,
    );
    if (open?.range) offset = open.range[0];
    message = `unclosed "${bracket === ']' ? '[' : '{'}": this flow ${bracket === ']' ? 'list' : 'mapping'} has no closing "${bracket}"`;
  } else if (/reserved character/.test(error.message) && quoteHint(text, offset) !== undefined) {
    message = quoteHint(text, offset) ?? '';
  } else {
    message = `YAML syntax error: ${lowerFirst(error.message)}`;
  }
  const { line, col } = linePos(offset);
  return { line, col, path: '', message };
}

/** Duplicate keys, each reported at its second occurrence with the line of the first. */
function findDuplicateKeys(doc: Document, linePos: LinePosition): YamlIssue[] {
  const issues: YamlIssue[] = [];
  const visit = (node: unknown, path: PathSegment[]): void => {
    if (isMap(node)) {
      const seen = new Map<string, Node>();
      for (const pair of node.items) {
        const key = keyText(pair.key);
        if (key === undefined) continue;
        const first = seen.get(key);
        const keyStart = startOf(pair.key);
        if (first !== undefined && keyStart !== undefined) {
          const at = linePos(keyStart);
          const firstLine = linePos(startOf(first) ?? 0).line;
          issues.push({
            ...at,
            path: formatPath([...path, key]),
            message: `duplicate key "${key}" (first set on line ${firstLine})`,
          });
        } else {
          seen.set(key, pair.key as Node);
        }
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
    }
  };
  visit(doc.contents, []);
  return issues;
}

/**
 * An unquoted cron expression starting with `*` (schedule: *&#47;5 * * * *) makes YAML read
 * `*&#47;5` as an alias. Find such values, replace them by
 * the string that was meant (so the rest of the document can still be checked), and report them.
 */
function repairStarSchedules(
  doc: Document,
  text: string,
  linePos: LinePosition,
  errorLines: Set<number>,
): YamlIssue[] {
  const issues: YamlIssue[] = [];
  const visit = (node: unknown, path: PathSegment[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = keyText(pair.key);
        if (key === undefined) continue;
        const value = pair.value;
        if (key === 'schedule' && isAlias(value) && value.range) {
          const at = linePos(value.range[0]);
          if (errorLines.has(at.line) || value.resolve(doc) === undefined) {
            const lineEnd = text.indexOf('\n', value.range[0]);
            const rest = text.slice(value.range[0], lineEnd === -1 ? text.length : lineEnd);
            const expression = rest.replace(/\s+#.*$/, '').trim();
            issues.push({
              ...at,
              path: formatPath([...path, key]),
              message: `quote the schedule: schedule: "${expression}"`,
            });
            const repaired = new Scalar(expression);
            repaired.range = value.range;
            pair.value = repaired;
          }
        } else {
          visit(value, [...path, key]);
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
    }
  };
  visit(doc.contents, []);
  return issues;
}

function hasAlias(node: unknown): boolean {
  if (isAlias(node)) return true;
  if (isMap(node)) return node.items.some((pair) => hasAlias(pair.key) || hasAlias(pair.value));
  if (isSeq(node)) return node.items.some(hasAlias);
  return false;
}

/**
 * Parse every document of a YAML text. Documents with syntax errors are reported and left out
 * (except duplicate keys and unquoted `*` schedules, which are reported and still checked);
 * empty documents (a trailing `---`) are skipped.
 */
export function parseYamlText(text: string): YamlParseResult {
  const linePos = createLineIndex(text);
  const parsed = parseAllDocuments(text, PARSE_OPTIONS);
  const documents: YamlDocument[] = [];
  const issues: YamlIssue[] = [];
  let index = -1;
  for (const doc of parsed) {
    index++;
    const errorLines = new Set(doc.errors.map((error) => linePos(error.pos[0]).line));
    const starIssues =
      errorLines.size > 0 || hasAlias(doc.contents)
        ? repairStarSchedules(doc, text, linePos, errorLines)
        : [];
    const starLines = new Set(starIssues.map((issue) => issue.line));
    const remaining = doc.errors.filter(
      (error) => error.code === 'DUPLICATE_KEY' || !starLines.has(linePos(error.pos[0]).line),
    );
    const duplicates = remaining.some((error) => error.code === 'DUPLICATE_KEY')
      ? findDuplicateKeys(doc, linePos)
      : [];
    const syntax = remaining
      .filter((error) => error.code !== 'DUPLICATE_KEY')
      .map((error) => describeYamlError(error, doc, text, linePos));
    issues.push(...starIssues, ...duplicates, ...syntax);
    if (syntax.length > 0) continue;
    // An empty document (a trailing `---`, or only comments) is skipped.
    if (
      doc.contents === null ||
      (isScalar(doc.contents) && doc.contents.value === null && doc.contents.source === '')
    )
      continue;
    const start = startOf(doc.contents) ?? 0;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const { line, col } = linePos(start);
      const reason = error instanceof Error ? error.message : String(error);
      issues.push({
        line,
        col,
        path: '',
        message: /alias count/i.test(reason)
          ? `this document expands aliases too often (more than ${MAX_ALIAS_COUNT} times); refusing it as a resource exhaustion attack`
          : `YAML error: ${lowerFirst(reason)}`,
      });
      continue;
    }
    const { line, col } = linePos(start);
    let root: PositionedNode | undefined;
    const locate = createLocator(() => (root ??= toPositionedNode(doc.contents, start)), linePos);
    documents.push({ index, value, line, col, locate });
  }
  return { documents, issues };
}

/**
 * The fast reader's documents (see fast-yaml.ts), or undefined when the text needs the full
 * parser. Only a text that reads without any problem comes back; problems are always reported
 * by parseYamlText.
 */
export function parseYamlTextFast(text: string, strings?: TextTable): YamlDocument[] | undefined {
  const fast = readFastYaml(text, strings);
  if (fast === undefined) return undefined;
  const linePos = createLineIndex(text);
  return fast.map((doc) => {
    const { line, col } = linePos(doc.node.start);
    return {
      index: doc.index,
      value: doc.value,
      line,
      col,
      locate: createLocator(() => doc.node, linePos),
    };
  });
}
