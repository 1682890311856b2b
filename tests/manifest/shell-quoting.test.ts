import { describe, expect, it } from 'vitest';
import { findQuoteContexts, type ShellQuoteContext } from '../../src/manifest/shell-quoting.js';

/** `@` marks where a template stands. */
function contextsOf(script: string): ShellQuoteContext[] {
  return findQuoteContexts(script.split('@'));
}

describe('manifest/shell-quoting', () => {
  it.each<[string, ShellQuoteContext[]]>([
    ['echo @', ['unquoted']],
    ['echo "@"', ['double']],
    ["echo '@'", ['single']],
    ['echo "a @ b" @', ['double', 'unquoted']],
    ["echo 'a' @ 'b'", ['unquoted']],
    ['echo "it\'s @"', ['double']],
    ['echo \'say "@"\'', ['single']],
    // Backslash escapes: an escaped quote does not open or close anything.
    ['echo \\" @', ['unquoted']],
    ["echo \\' @", ['unquoted']],
    ['echo "a \\" @"', ['double']],
    ['echo "a \\\\" @', ['unquoted']],
    // A backslash inside single quotes is text, so the quote still closes.
    ["echo 'a\\' @", ['unquoted']],
    // $'…' escapes its quote with a backslash.
    ["echo $'a @'", ['ansi-c']],
    ["echo $'it\\'s' @", ['unquoted']],
    ['echo $"@"', ['double']],
    // Command substitution opens fresh quoting, even inside double quotes.
    ['echo "$(printf %s @)"', ['unquoted']],
    ['echo "$(printf "%s" "@")" @', ['double', 'unquoted']],
    ['echo "$(echo \'@\')"', ['single']],
    ['echo "$(echo ") @")"', ['double']],
    ['echo $(ls (x) @)', ['unquoted']],
    ['echo `echo @` "@"', ['unquoted', 'double']],
    ['echo "`echo @`"', ['unquoted']],
    // ${…} keeps the quoting around it.
    ['echo "${X:-@}"', ['double']],
    ['echo ${X:-@}', ['unquoted']],
    ['echo "${X:-a}" \'@\'', ['single']],
    // Arithmetic: evaluated as an expression, in or out of double quotes; `))` ends it.
    ['echo $(( @ + 1 )) @', ['arithmetic', 'unquoted']],
    ['echo "$(( (@ + 1) * 2 )) @"', ['arithmetic', 'double']],
    ['echo $(( ${X:-@} ))', ['arithmetic']],
    ['echo $( (echo @) )', ['unquoted']],
    // Comments: only a # that starts a word.
    ['echo a # @', ['comment']],
    ['echo a#b @', ['unquoted']],
    ["echo a # it's\necho '@'", ['single']],
    ['# @\necho @', ['comment', 'unquoted']],
    ['echo "# @"', ['double']],
    ['echo $(# c\n@)', ['unquoted']],
    // Here-documents: an unquoted delimiter expands, a quoted one does not.
    ['cat <<EOF\nhello @\nEOF\necho @', ['heredoc', 'unquoted']],
    ["cat <<'EOF'\nhello @\nEOF\n", ['quoted-heredoc']],
    ['cat <<"EOF"\n@\nEOF', ['quoted-heredoc']],
    ['cat <<\\EOF\n@\nEOF', ['quoted-heredoc']],
    ["cat <<-EOF\n\t@\n\tEOF\necho '@'", ['heredoc', 'single']],
    ["cat <<EOF\nit's @\nEOF", ['heredoc']],
    ['cat <<EOF\n$(echo "@")\nEOF', ['double']],
    ['cat <<EOF\n@\nEOF\n', ['heredoc']],
    // A line holding a template never ends the document, even when the rest matches the delimiter.
    ['cat <<EOF\n@EOF\n@\nEOF\n@', ['heredoc', 'heredoc', 'unquoted']],
    ['cat <<A <<B\n@\nA\n@\nB\n@', ['heredoc', 'heredoc', 'unquoted']],
    ['cat <<<@', ['unquoted']],
    // Unbalanced quotes stay open: the script is not validated here.
    ['echo "@', ['double']],
    ['echo @ @ @', ['unquoted', 'unquoted', 'unquoted']],
    ['no templates', []],
  ])('%j', (script, expected) => {
    expect(contextsOf(script)).toEqual(expected);
  });
});
