// A small /bin/sh lexer that knows only quoting: which kind of quote is open at each template's place.

/**
 * The quoting in force where a template stands in a `shell:` string.
 * - `unquoted`: plain shell words (also inside `$(…)` and backticks);
 * - `double`: inside `"…"` (also inside `${…}` within double quotes);
 * - `single`: inside `'…'`, where nothing expands;
 * - `ansi-c`: inside `$'…'` (bash), where nothing expands;
 * - `comment`: after a `#` that starts a word, up to the end of the line;
 * - `heredoc`: in the body of a here-document whose delimiter is unquoted (`$VAR` expands, quotes are text);
 * - `quoted-heredoc`: in the body of `<<'EOF'`, where nothing expands;
 * - `arithmetic`: inside `$((…))`, where the text is evaluated as an expression (bash runs `$(…)` in
 *   array subscripts of it).
 */
export type ShellQuoteContext =
  | 'unquoted'
  | 'double'
  | 'single'
  | 'ansi-c'
  | 'comment'
  | 'heredoc'
  | 'quoted-heredoc'
  | 'arithmetic';

type Frame =
  /** Shell code; `close` ends it (`)` for `$(…)`, a backtick, `}` for `${…}`); `depth` counts nested `(`/`{`. */
  | { kind: 'code'; close: ')' | '`' | '}' | null; depth: number; reportAs: Reported }
  | { kind: 'double' }
  | { kind: 'single' }
  | { kind: 'ansi-c' }
  | { kind: 'comment' }
  | { kind: 'heredoc'; delimiter: string; stripTabs: boolean; quoted: boolean; line: string };

/** The quoting a template inside a code frame gets. */
type Reported = 'unquoted' | 'double' | 'arithmetic';

interface PendingHeredoc {
  delimiter: string;
  stripTabs: boolean;
  quoted: boolean;
}

/** Characters that end a word and let the next one start a comment with `#`. */
const WORD_BREAKS = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);
/** A marker standing for a template in a here-document line: such a line never equals the delimiter. */
const TEMPLATE_MARK = '\u0000';

/** Read a here-document delimiter word starting at `from`: its text without quotes, and whether it was quoted. */
function readDelimiter(text: string, from: number): { word: string; quoted: boolean; end: number } {
  let i = from;
  while (text[i] === ' ' || text[i] === '\t') i += 1;
  let word = '';
  let quoted = false;
  while (i < text.length && !WORD_BREAKS.has(text[i] ?? '')) {
    const char = text[i] ?? '';
    if (char === "'" || char === '"') {
      quoted = true;
      const close = text.indexOf(char, i + 1);
      const end = close === -1 ? text.length : close;
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (char === '\\') {
      quoted = true;
      word += text[i + 1] ?? '';
      i += 2;
    } else {
      word += char;
      i += 1;
    }
  }
  return { word, quoted, end: i };
}

/**
 * The quoting at each gap between `pieces`: `pieces` is a script cut where its templates stand (n + 1 pieces
 * for n templates), the result has one context per template. Pure; it knows single and double quotes,
 * backslash escapes, `$'…'`, `$(…)`, backticks, `${…}`, comments and here-documents, which is what decides
 * how a value can be inserted. It does not validate the script: unbalanced quotes simply stay open.
 */
export function findQuoteContexts(pieces: readonly string[]): ShellQuoteContext[] {
  const stack: Frame[] = [{ kind: 'code', close: null, depth: 0, reportAs: 'unquoted' }];
  const pending: PendingHeredoc[] = [];
  const contexts: ShellQuoteContext[] = [];
  let wordStart = true;
  const top = (): Frame => stack[stack.length - 1] as Frame;

  const lexPiece = (text: string): void => {
    let i = 0;
    while (i < text.length) {
      const frame = top();
      const char = text[i] ?? '';
      const next = text[i + 1];
      if (frame.kind === 'single' || frame.kind === 'ansi-c') {
        if (frame.kind === 'ansi-c' && char === '\\') i += 1;
        else if (char === "'") stack.pop();
        i += 1;
        continue;
      }
      if (frame.kind === 'comment') {
        if (char === '\n') {
          stack.pop();
          continue; // the newline is code: it may start pending here-documents
        }
        i += 1;
        continue;
      }
      if (frame.kind === 'heredoc') {
        if (char === '\n') {
          const line = frame.stripTabs ? frame.line.replace(/^\t+/, '') : frame.line;
          if (line === frame.delimiter) stack.pop();
          else frame.line = '';
          i += 1;
          if (stack[stack.length - 1] !== frame) startHeredoc();
          continue;
        }
        frame.line += char;
        if (!frame.quoted) {
          if (char === '\\') {
            frame.line += next ?? '';
            i += 2;
            continue;
          }
          if (openExpansion(text, i, 'double')) {
            i += char === '$' ? 2 : 1;
            continue;
          }
        }
        i += 1;
        continue;
      }
      if (frame.kind === 'double') {
        if (char === '\\') i += 2;
        else if (char === '"') {
          stack.pop();
          i += 1;
        } else if (openExpansion(text, i, 'double')) i += char === '$' ? 2 : 1;
        else i += 1;
        continue;
      }
      // Shell code.
      if (char === '\\') {
        i += 2;
        wordStart = false;
        continue;
      }
      if (char === '#' && wordStart) {
        stack.push({ kind: 'comment' });
        i += 1;
        continue;
      }
      if (char === "'") stack.push({ kind: 'single' });
      else if (char === '$' && next === "'") {
        stack.push({ kind: 'ansi-c' });
        i += 1;
      } else if (char === '"') stack.push({ kind: 'double' });
      else if (char === '$' && next === '"') {
        stack.push({ kind: 'double' });
        i += 1;
      } else if (char === frame.close && frame.depth === 0) stack.pop();
      else if (openExpansion(text, i, frame.reportAs)) {
        i += char === '$' ? 2 : 1;
        wordStart = true;
        continue;
      } else if ((char === '(' && frame.close === ')') || (char === '{' && frame.close === '}'))
        frame.depth += 1;
      else if ((char === ')' && frame.close === ')') || (char === '}' && frame.close === '}'))
        frame.depth -= 1;
      else if (char === '<' && next === '<' && text[i + 2] !== '<') {
        const stripTabs = text[i + 2] === '-';
        const read = readDelimiter(text, i + (stripTabs ? 3 : 2));
        if (read.word !== '')
          pending.push({ delimiter: read.word, stripTabs, quoted: read.quoted });
        i = read.end;
        wordStart = false;
        continue;
      } else if (char === '\n' && pending.length > 0) {
        i += 1;
        startHeredoc();
        wordStart = true;
        continue;
      }
      wordStart = WORD_BREAKS.has(char);
      i += 1;
    }
  };

  /** Open `$(`, `${` or a backtick at `i`, if one starts there; `reportAs` is the quoting a template inside gets. */
  function openExpansion(text: string, i: number, reportAs: Reported): boolean {
    const char = text[i];
    const next = text[i + 1];
    if (char === '$' && next === '(' && text[i + 2] === '(') {
      // `$((`: the second parenthesis is then read as a nested one, so `))` closes the frame.
      stack.push({ kind: 'code', close: ')', depth: 0, reportAs: 'arithmetic' });
      return true;
    }
    if (char === '$' && next === '(') {
      stack.push({ kind: 'code', close: ')', depth: 0, reportAs: 'unquoted' });
      return true;
    }
    if (char === '$' && next === '{') {
      stack.push({ kind: 'code', close: '}', depth: 0, reportAs });
      return true;
    }
    if (char === '`') {
      const frame = top();
      if (frame.kind === 'code' && frame.close === '`') return false;
      stack.push({ kind: 'code', close: '`', depth: 0, reportAs: 'unquoted' });
      return true;
    }
    return false;
  }

  function startHeredoc(): void {
    const heredoc = pending.shift();
    if (heredoc !== undefined) stack.push({ kind: 'heredoc', ...heredoc, line: '' });
  }

  pieces.forEach((piece, index) => {
    lexPiece(piece);
    if (index === pieces.length - 1) return;
    contexts.push(describeFrame(top()));
    const frame = top();
    if (frame.kind === 'heredoc') frame.line += TEMPLATE_MARK;
    wordStart = false;
  });
  return contexts;
}

function describeFrame(frame: Frame): ShellQuoteContext {
  if (frame.kind === 'code') return frame.reportAs;
  if (frame.kind === 'heredoc') return frame.quoted ? 'quoted-heredoc' : 'heredoc';
  return frame.kind;
}
