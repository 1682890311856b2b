// A fast reader for the plain block-style YAML most manifests are written in; anything else is left to the `yaml` library.
//
// The `yaml` library reads about a megabyte a second on a busy machine, too slow for directories
// of thousands of schedules. This reader handles the common subset (block mappings and lists,
// one-line flow collections, documents that are one line of JSON, one-line quoted and plain
// scalars, comments, `---`) and gives up
// ("bails") on everything else: anchors, aliases, tags, block scalars, multi-line scalars,
// directives, tabs, CRLF, duplicate keys, unusual keys or scalars. Its values follow the YAML 1.2
// core schema exactly as the `yaml` library resolves them; tests compare the two on every fixture.
import { ownValue, withTextTable, type TextTable } from './own-text.js';

export type { TextTable } from './own-text.js';

/** A node of a parsed document with the offsets needed to point at it. */
export type PositionedNode =
  | {
      kind: 'map';
      start: number;
      entries: { key: string; keyStart: number; value: PositionedNode }[];
    }
  | { kind: 'seq'; start: number; items: PositionedNode[] }
  /** `empty`: no value was written (`key:`); it is shown at its key. */
  | { kind: 'scalar'; start: number; empty: boolean };

/** One document read by the fast reader. */
export interface FastDocument {
  index: number;
  value: unknown;
  node: PositionedNode;
}

class Bail extends Error {}

const bail = (): never => {
  throw new Bail();
};

interface Line {
  /** Offset of the first character of `text`. */
  start: number;
  indent: number;
  /** The line from its first non-space character, comment not yet removed. */
  text: string;
}

/** Plain keys the reader accepts; anything else (numbers, `<<`, `? `…) goes to the full parser. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;

/** YAML 1.2 core schema resolution of a plain scalar, in the order the `yaml` library tries the tags. */
export function resolvePlainScalar(text: string): unknown {
  // Most scalars are words: only these first characters can start a null, boolean or number.
  if (text !== '' && !'~nNtTfF0123456789+-.'.includes(text[0] ?? '')) return text;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(text)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(text)) return text[0] === 't' || text[0] === 'T';
  if (/^0o[0-7]+$/.test(text)) return parseInt(text.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(text)) return parseInt(text, 10);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(text)) {
    if (text.slice(-3).toLowerCase() === 'nan') return Number.NaN;
    return text[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(text)) return parseFloat(text);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(text)) return parseFloat(text);
  return text;
}

const DOUBLE_QUOTE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  n: '\n',
  t: '\t',
};

/** A scalar's text, value and where the text after it starts. */
interface ScalarRead {
  value: unknown;
  end: number;
}

function readDoubleQuoted(text: string, from: number): ScalarRead {
  let out = '';
  let i = from + 1;
  for (;;) {
    // Copy runs of ordinary characters at once; stop at the closing quote or an escape.
    const quote = text.indexOf('"', i);
    if (quote === -1) return bail();
    const escape = text.indexOf('\\', i);
    if (escape === -1 || escape > quote)
      return { value: out + text.slice(i, quote), end: quote + 1 };
    const escaped = DOUBLE_QUOTE_ESCAPES[text[escape + 1] ?? ''];
    if (escaped === undefined) return bail();
    out += text.slice(i, escape) + escaped;
    i = escape + 2;
  }
}

function readSingleQuoted(text: string, from: number): ScalarRead {
  let out = '';
  let i = from + 1;
  for (;;) {
    const quote = text.indexOf("'", i);
    if (quote === -1) return bail();
    out += text.slice(i, quote);
    if (text[quote + 1] !== "'") return { value: out, end: quote + 1 };
    out += "'";
    i = quote + 2;
  }
}

/** Characters that may not start a plain scalar here (flow and quote starts are handled before). */
const PLAIN_START_REFUSED = new Set([
  '&',
  '*',
  '!',
  '|',
  '>',
  '%',
  '@',
  '`',
  '#',
  ',',
  ']',
  '}',
  '[',
  '{',
  '"',
  "'",
]);

function checkPlainStart(text: string, at: number): void {
  const first = text[at] ?? '';
  if (PLAIN_START_REFUSED.has(first)) bail();
  if (
    (first === '-' || first === '?' || first === ':') &&
    (text[at + 1] === undefined || text[at + 1] === ' ')
  )
    bail();
}

/** Only spaces or a comment may follow a value on its line. */
function expectLineEnd(text: string, from: number): void {
  let i = from;
  while (text[i] === ' ') i++;
  if (i < text.length && !(text[i] === '#' && i > from)) bail();
}

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__' || Object.hasOwn(target, key)) bail();
  target[key] = value;
}

/** Reads one document's lines; `base` is the offset of the text's start in the file. */
class BlockReader {
  #lines: Line[];
  #next = 0;

  constructor(lines: Line[]) {
    this.#lines = lines;
  }

  readDocument(): { value: unknown; node: PositionedNode } {
    const first = this.#lines[0];
    if (first === undefined) return bail();
    if (first.indent !== 0) bail();
    if (first.text[0] === '{' || first.text[0] === '[') {
      // A document that is one line of flow collection: JSON, as generators and scripts write manifests.
      if (this.#lines.length > 1) bail();
      const read = readFlow(first.text, 0, first.start);
      expectLineEnd(first.text, read.end);
      return { value: read.value, node: read.node };
    }
    const result = this.#readNode(0);
    if (this.#next < this.#lines.length) bail();
    return result;
  }

  #readNode(indent: number): { value: unknown; node: PositionedNode } {
    const line = this.#lines[this.#next];
    if (line === undefined || line.indent !== indent) return bail();
    if (line.text === '-' || line.text.startsWith('- ')) return this.#readSeq(indent);
    return this.#readMap(indent);
  }

  #readKey(line: Line): { key: string; rest: number } {
    const text = line.text;
    let key: string;
    let end: number;
    if (text[0] === '"' || text[0] === "'") {
      const read = text[0] === '"' ? readDoubleQuoted(text, 0) : readSingleQuoted(text, 0);
      if (typeof read.value !== 'string') return bail();
      key = read.value;
      end = read.end;
      if (text[end] !== ':') bail();
    } else {
      end = text.indexOf(':');
      if (end <= 0) bail();
      key = text.slice(0, end);
      if (!PLAIN_KEY.test(key) || typeof resolvePlainScalar(key) !== 'string') bail();
    }
    if (end + 1 < text.length && text[end + 1] !== ' ') bail();
    return { key, rest: end + 1 };
  }

  #readMap(indent: number): { value: unknown; node: PositionedNode } {
    const value: Record<string, unknown> = {};
    const first = this.#lines[this.#next];
    if (first === undefined) return bail();
    const node: PositionedNode = { kind: 'map', start: first.start, entries: [] };
    for (;;) {
      const line = this.#lines[this.#next];
      if (line === undefined || line.indent < indent) break;
      if (line.indent > indent) bail();
      if (line.text === '-' || line.text.startsWith('- ')) {
        break;
      }
      const { key, rest } = this.#readKey(line);
      this.#next++;
      const entry = this.#readValueAfterIndicator(line, rest, indent, true);
      setKey(value, key, entry.value);
      node.entries.push({ key, keyStart: line.start, value: entry.node });
    }
    return { value, node };
  }

  #readSeq(indent: number): { value: unknown; node: PositionedNode } {
    const items: unknown[] = [];
    const first = this.#lines[this.#next];
    if (first === undefined) return bail();
    const node: PositionedNode = { kind: 'seq', start: first.start, items: [] };
    for (;;) {
      const line = this.#lines[this.#next];
      if (line === undefined || line.indent < indent) break;
      if (line.indent > indent) bail();
      if (!(line.text === '-' || line.text.startsWith('- '))) break;
      let offset = 1;
      while (line.text[offset] === ' ') offset++;
      const rest = line.text.slice(offset);
      if (rest !== '' && !rest.startsWith('#') && this.#looksLikeMapEntry(rest)) {
        // `- key: value`: a mapping whose indentation is the column of its first key.
        this.#lines[this.#next] = {
          start: line.start + offset,
          indent: line.indent + offset,
          text: rest,
        };
        const entry = this.#readMap(line.indent + offset);
        items.push(entry.value);
        node.items.push(entry.node);
        continue;
      }
      if (rest.startsWith('- ') || rest === '-') bail();
      this.#next++;
      const entry = this.#readValueAfterIndicator(line, offset, indent, false);
      items.push(entry.value);
      node.items.push(entry.node);
    }
    return { value: items, node };
  }

  #looksLikeMapEntry(text: string): boolean {
    if (text[0] === '"' || text[0] === "'" || text[0] === '[' || text[0] === '{') {
      // A quoted key is rare in a list; a quoted or flow value is common. Let the full parser decide keys.
      if (text[0] === '"' || text[0] === "'") {
        const read = text[0] === '"' ? readDoubleQuoted(text, 0) : readSingleQuoted(text, 0);
        if (text[read.end] === ':') bail();
      }
      return false;
    }
    const colon = text.search(/:(?: |$)/);
    const hash = text.search(/ #/);
    return colon > 0 && (hash === -1 || colon < hash);
  }

  /**
   * The value after `key:` or `- ` on `line` (from column `from` of its text): inline, or a
   * nested block on the following lines, or empty.
   */
  #readValueAfterIndicator(
    line: Line,
    from: number,
    indent: number,
    inMap: boolean,
  ): { value: unknown; node: PositionedNode } {
    const text = line.text;
    let at = from;
    while (text[at] === ' ') at++;
    if (at >= text.length || (text[at] === '#' && at > from)) {
      const next = this.#lines[this.#next];
      if (next !== undefined && next.indent > indent) return this.#readNode(next.indent);
      // A list may sit at the same indentation as the key that holds it.
      if (
        inMap &&
        next !== undefined &&
        next.indent === indent &&
        (next.text === '-' || next.text.startsWith('- '))
      ) {
        return this.#readSeq(indent);
      }
      return { value: null, node: { kind: 'scalar', start: line.start + at, empty: true } };
    }
    const read = readInline(text, at, line.start);
    expectLineEnd(text, read.end);
    const next = this.#lines[this.#next];
    // A more indented line after an inline value would continue a multi-line scalar.
    if (next !== undefined && next.indent > indent) bail();
    return { value: read.value, node: read.node };
  }
}

interface InlineRead {
  value: unknown;
  node: PositionedNode;
  end: number;
}

/** An inline value in block context: flow collection, quoted scalar or plain scalar; `base` is the line's offset. */
function readInline(text: string, at: number, base: number): InlineRead {
  const first = text[at];
  if (first === '[' || first === '{') return readFlow(text, at, base);
  if (first === '"' || first === "'") {
    const read = first === '"' ? readDoubleQuoted(text, at) : readSingleQuoted(text, at);
    return {
      value: ownValue(read.value),
      node: { kind: 'scalar', start: base + at, empty: false },
      end: read.end,
    };
  }
  checkPlainStart(text, at);
  let end = text.indexOf(' #', at);
  if (end === -1) end = text.length;
  const raw = text.slice(at, end).trimEnd();
  if (raw.includes(': ') || raw.endsWith(':') || raw.includes('\t')) bail();
  return {
    value: ownValue(resolvePlainScalar(raw)),
    node: { kind: 'scalar', start: base + at, empty: false },
    end: at + raw.length,
  };
}

function skipSpaces(text: string, at: number): number {
  let i = at;
  while (text[i] === ' ') i++;
  return i;
}

/** A plain scalar in a flow collection runs up to a flow indicator; `:` and `#` are left to the full parser. */
const FLOW_PLAIN = /[^,[\]{}:#]*/y;

/** A scalar inside a flow collection. */
function readFlowScalar(text: string, at: number, base: number): InlineRead {
  const first = text[at];
  if (first === '"' || first === "'") {
    const read = first === '"' ? readDoubleQuoted(text, at) : readSingleQuoted(text, at);
    return {
      value: ownValue(read.value),
      node: { kind: 'scalar', start: base + at, empty: false },
      end: read.end,
    };
  }
  checkPlainStart(text, at);
  FLOW_PLAIN.lastIndex = at;
  FLOW_PLAIN.test(text);
  const end = FLOW_PLAIN.lastIndex;
  if (text[end] === ':' || text[end] === '#') bail();
  const raw = text.slice(at, end).trimEnd();
  if (raw === '') bail();
  return {
    value: ownValue(resolvePlainScalar(raw)),
    node: { kind: 'scalar', start: base + at, empty: false },
    end: at + raw.length,
  };
}

function readFlowValue(text: string, at: number, base: number): InlineRead {
  const first = text[at];
  if (first === '[' || first === '{') return readFlow(text, at, base);
  return readFlowScalar(text, at, base);
}

/** A one-line flow collection: `[a, b]` or `{ a: 1, b: [x] }`. */
function readFlow(text: string, at: number, base: number): InlineRead {
  const close = text[at] === '[' ? ']' : '}';
  let i = skipSpaces(text, at + 1);
  if (close === ']') {
    const items: unknown[] = [];
    const node: PositionedNode = { kind: 'seq', start: base + at, items: [] };
    if (text[i] === ']') return { value: items, node, end: i + 1 };
    for (;;) {
      const item = readFlowValue(text, i, base);
      items.push(item.value);
      node.items.push(item.node);
      i = skipSpaces(text, item.end);
      if (text[i] === ',') i = skipSpaces(text, i + 1);
      else if (text[i] === ']') return { value: items, node, end: i + 1 };
      else return bail();
      if (text[i] === ']') bail();
    }
  }
  const value: Record<string, unknown> = {};
  const node: PositionedNode = { kind: 'map', start: base + at, entries: [] };
  if (text[i] === '}') return { value, node, end: i + 1 };
  for (;;) {
    const keyStart = i;
    let key: string;
    // After a quoted ("JSON-like") key the value may follow the colon at once: `{"a":1}`.
    let adjacentValue = false;
    if (text[i] === '"' || text[i] === "'") {
      const read = text[i] === '"' ? readDoubleQuoted(text, i) : readSingleQuoted(text, i);
      key = read.value as string;
      i = read.end;
      adjacentValue = true;
    } else {
      const match = /^[A-Za-z_][A-Za-z0-9_./-]*/.exec(text.slice(i));
      if (!match || typeof resolvePlainScalar(match[0]) !== 'string') return bail();
      key = match[0];
      i += key.length;
    }
    if (text[i] !== ':' || (text[i + 1] !== ' ' && !adjacentValue)) bail();
    i = skipSpaces(text, i + 1);
    const item = readFlowValue(text, i, base);
    setKey(value, key, item.value);
    node.entries.push({ key, keyStart: base + keyStart, value: item.node });
    i = skipSpaces(text, item.end);
    if (text[i] === ',') i = skipSpaces(text, i + 1);
    else if (text[i] === '}') return { value, node, end: i + 1 };
    else return bail();
    if (text[i] === '}') bail();
  }
}

/** Split a file into lines that carry content, per document; undefined when the file needs the full parser. */
function splitDocuments(text: string): Line[][] | undefined {
  if (text.includes('\r') || text.includes('\t') || text.charCodeAt(0) === 0xfeff) return undefined;
  const documents: Line[][] = [[]];
  let offset = 0;
  while (offset <= text.length) {
    let end = text.indexOf('\n', offset);
    if (end === -1) end = text.length;
    const raw = text.slice(offset, end);
    let indent = 0;
    while (raw[indent] === ' ') indent++;
    const body = raw.slice(indent);
    if (indent === 0 && (raw.startsWith('---') || raw.startsWith('...') || raw.startsWith('%'))) {
      if (!/^---(?:\s*(?:#.*)?)?$/.test(raw)) return undefined;
      documents.push([]);
    } else if (body !== '' && !body.startsWith('#')) {
      documents[documents.length - 1]?.push({ start: offset + indent, indent, text: body });
    }
    offset = end + 1;
  }
  return documents;
}

/**
 * Read every document of a file, or return undefined when the file uses anything beyond the
 * subset this reader handles (the caller then uses the `yaml` library). Empty documents are skipped.
 * String values are copies of their own (see ownText), one per distinct value within `strings`: a
 * table shared by the reads of many files shares their values too.
 */
export function readFastYaml(
  text: string,
  strings: TextTable = new Map(),
): FastDocument[] | undefined {
  const split = splitDocuments(text);
  if (split === undefined) return undefined;
  const documents: FastDocument[] = [];
  try {
    // The yaml library counts a leading `---` as starting the first document, not ending an empty one.
    const startsWithMarker = /^(?:\s*(?:#[^\n]*)?\n)*---/.test(text);
    withTextTable(strings, () => {
      split.forEach((lines, position) => {
        if (lines.length === 0) return;
        const { value, node } = new BlockReader(lines).readDocument();
        documents.push({ index: startsWithMarker ? position - 1 : position, value, node });
      });
    });
  } catch (error) {
    if (error instanceof Bail) return undefined;
    throw error;
  }
  return documents;
}
