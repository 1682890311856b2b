// Templates in a `shell:` string: each value reaches the shell as an environment variable, never as code.
import { SchedulerError } from '../shared/errors.js';
import { findQuoteContexts, type ShellQuoteContext } from './shell-quoting.js';
import {
  renderExpression,
  splitTemplate,
  type TemplateContext,
  type TemplatePart,
} from './templates.js';

/** The prefix of the variables that carry template values into a shell task (`CRONOPS_T_1`, …). */
export const SHELL_TEMPLATE_PREFIX = 'CRONOPS_T_';

/** A shell script ready to run: the template values are referenced as variables, listed in `env`. */
export interface RenderedShell {
  /** The script, with `"${CRONOPS_T_n}"` (or `${CRONOPS_T_n}` inside double quotes) where templates stood. */
  script: string;
  /** One variable per template, holding the value's exact text. */
  env: Record<string, string>;
}

type Expression = Extract<TemplatePart, { expression: string }>;

/** The script cut at its templates: n + 1 literal pieces around n expressions. */
function cutAtTemplates(text: string): { pieces: string[]; expressions: Expression[] } {
  const pieces = [''];
  const expressions: Expression[] = [];
  for (const part of splitTemplate(text).parts) {
    if ('text' in part) pieces[pieces.length - 1] += part.text;
    else {
      expressions.push(part);
      pieces.push('');
    }
  }
  return { pieces, expressions };
}

/** Why a template cannot stand where it is, or undefined when a variable reference can replace it. */
function explainUnsafe(context: ShellQuoteContext, source: string): string | undefined {
  const hint = `move it outside the quotes, or into double quotes ("…${source}…"); its value is passed as a variable`;
  if (context === 'single')
    return `template "${source}" is inside single quotes, where no value can be inserted safely: ${hint}`;
  if (context === 'ansi-c')
    return `template "${source}" is inside $'…' quotes, where no value can be inserted safely: ${hint}`;
  if (context === 'arithmetic')
    return `template "${source}" is inside $((…)), where a value is evaluated as an expression (bash would run a $(…) in it): assign it to a variable first (n="${source}") and check it is a number before computing with $n`;
  if (context === 'quoted-heredoc')
    return `template "${source}" is in a here-document with a quoted delimiter (<<'EOF'), where nothing expands: unquote the delimiter (<<EOF) so the value can be passed as a variable`;
  return undefined;
}

/**
 * The problems with where templates stand in a `shell:` string, one sentence each: a template inside single
 * quotes, `$'…'` or a quoted here-document cannot be replaced by a variable reference. Pure.
 */
export function findShellTemplateProblems(text: string): string[] {
  if (!text.includes('{{')) return [];
  const { pieces, expressions } = cutAtTemplates(text);
  const contexts = findQuoteContexts(pieces);
  const problems: string[] = [];
  expressions.forEach((expression, index) => {
    const problem = explainUnsafe(contexts[index] ?? 'unquoted', expression.source);
    if (problem !== undefined) problems.push(problem);
  });
  return problems;
}

/** The reference that replaces a template in a given quoting. */
function referTo(name: string, context: ShellQuoteContext): string {
  // Outside quotes the reference is quoted so the value is one word, never split or globbed; inside
  // double quotes and here-documents the quotes would be literal text.
  return context === 'unquoted' ? `"\${${name}}"` : `\${${name}}`;
}

/**
 * Render a `shell:` string for a run: every template becomes a reference to a `CRONOPS_T_n` variable holding
 * the value's exact text (lists and mappings as JSON), so no value is ever read as shell code. Validation
 * refuses templates in single quotes, so reaching one here is a broken invariant and throws.
 */
export function renderShellTemplate(text: string, context: TemplateContext): RenderedShell {
  if (!text.includes('{{')) return { script: text, env: {} };
  const { pieces, expressions } = cutAtTemplates(text);
  const contexts = findQuoteContexts(pieces);
  const env: Record<string, string> = {};
  let script = pieces[0] ?? '';
  expressions.forEach((expression, index) => {
    const quoting = contexts[index] ?? 'unquoted';
    const problem = explainUnsafe(quoting, expression.source);
    if (problem !== undefined) throw new SchedulerError('MANIFEST_INVALID', problem);
    const name = `${SHELL_TEMPLATE_PREFIX}${index + 1}`;
    env[name] = renderExpression(expression, context);
    script += referTo(name, quoting) + (pieces[index + 1] ?? '');
  });
  return { script, env };
}
