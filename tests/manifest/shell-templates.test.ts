import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findShellTemplateProblems,
  renderShellTemplate,
} from '../../src/manifest/shell-templates.js';
import { buildTemplateContext } from '../../src/manifest/templates.js';

const NASTY = `'; touch pwned; '`;

function contextWith(params: Record<string, unknown>) {
  return buildTemplateContext({
    name: 'nightly',
    runId: '01JABCDEF0123456789ABCDEFG',
    attempt: 1,
    trigger: 'schedule',
    scheduledTime: new Date('2026-03-08T07:00:00.000Z'),
    timeZone: 'UTC',
    params,
  });
}

describe('manifest/shell-templates', () => {
  it.each<[string, Record<string, unknown>, string, Record<string, string>]>([
    ['echo hi', {}, 'echo hi', {}],
    ['echo {{ name }}', {}, 'echo "${CRONOPS_T_1}"', { CRONOPS_T_1: 'nightly' }],
    [
      'echo "hello from {{ name }} at {{ date }}"',
      {},
      'echo "hello from ${CRONOPS_T_1} at ${CRONOPS_T_2}"',
      { CRONOPS_T_1: 'nightly', CRONOPS_T_2: '2026-03-08' },
    ],
    [
      'dump {{ params.dbs }} --to=x{{ params.target }}y',
      { dbs: ['app', 'auth'], target: { host: 'db' } },
      'dump "${CRONOPS_T_1}" --to=x"${CRONOPS_T_2}"y',
      { CRONOPS_T_1: '["app","auth"]', CRONOPS_T_2: '{"host":"db"}' },
    ],
    [
      'cat <<EOF\n{{ params.x }}\nEOF',
      { x: NASTY },
      'cat <<EOF\n${CRONOPS_T_1}\nEOF',
      { CRONOPS_T_1: NASTY },
    ],
    // A literal \{{ stays text and is not counted.
    ['echo \\{{ x }} {{ day }}', {}, 'echo {{ x }} "${CRONOPS_T_1}"', { CRONOPS_T_1: '08' }],
    ['echo "${X:-{{ params.n }}}"', { n: 3 }, 'echo "${X:-${CRONOPS_T_1}}"', { CRONOPS_T_1: '3' }],
  ])('renders %j', (text, params, script, env) => {
    expect(renderShellTemplate(text, contextWith(params))).toEqual({ script, env });
  });

  it.each<[string, string[]]>([
    ['echo "{{ name }}" {{ name }}', []],
    ["echo '{{ name }}'", [`template "{{ name }}" is inside single quotes`]],
    ["echo $'{{ name }}'", [`template "{{ name }}" is inside $'…' quotes`]],
    ["cat <<'EOF'\n{{ name }}\nEOF", [`template "{{ name }}" is in a here-document with a quoted`]],
    ["echo 'a' {{ name }} '{{ day }}'", [`template "{{ day }}" is inside single quotes`]],
    [
      'echo $(( {{ day }} + 1 ))',
      [`template "{{ day }}" is inside $((…)), where a value is evaluated`],
    ],
  ])('finds the problems in %j', (text, starts) => {
    const problems = findShellTemplateProblems(text);
    expect(problems).toHaveLength(starts.length);
    starts.forEach((start, index) => expect(problems[index]).toContain(start));
  });

  it('refuses to render a template in single quotes (validation stops it first)', () => {
    expect(() => renderShellTemplate("echo '{{ name }}'", contextWith({}))).toThrow(
      /inside single quotes/,
    );
  });

  // The real /bin/sh: every value arrives byte for byte, inside and outside double quotes.
  it.each([
    NASTY,
    '$(touch pwned)',
    '`touch pwned`',
    'a b  *  c',
    '"; touch pwned; "',
    'back\\slash\nnew line',
    '${HOME}',
    '-n',
  ])('passes %j to /bin/sh intact', (value) => {
    const dir = mkdtempSync(join(tmpdir(), 'cronops-shell-'));
    const rendered = renderShellTemplate(
      `printf '%s|' {{ params.v }} "{{ params.v }}" "x{{ params.v }}y"`,
      contextWith({ v: value }),
    );
    const out = execFileSync('/bin/sh', ['-c', rendered.script], {
      env: { PATH: process.env.PATH ?? '', ...rendered.env },
      cwd: dir,
      encoding: 'utf8',
    });
    expect(out).toBe(`${value}|${value}|x${value}y|`);
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  });
});
