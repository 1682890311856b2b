import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/manifest/issue.js';
import { parseManifestText } from '../../src/manifest/parse.js';

const FILE = 'schedules.d/x.yaml';

function report(text: string): string[] {
  return parseManifestText(FILE, text).issues.map(formatIssue);
}

describe('manifest/foreign-file', () => {
  it.each([
    [
      'a compose file',
      'services:\n  app:\n    image: x\nvolumes: {}\n',
      [
        `${FILE}:1:1: not a cronops manifest (found top-level keys services, volumes; expected apiVersion: cronops/v1 with kind Schedule or Defaults)`,
      ],
    ],
    [
      'Kubernetes objects in several documents',
      'apiVersion: apps/v1\nkind: Deployment\nspec: {}\n---\napiVersion: v1\nkind: Service\n',
      [
        `${FILE}:1:1: not a cronops manifest (found kind Deployment of apiVersion apps/v1; expected apiVersion: cronops/v1 with kind Schedule or Defaults)`,
      ],
    ],
  ])('%s: one line', (_what, text, expected) => {
    expect(report(text)).toEqual(expected);
  });

  it.each([
    ['a list', '- a\n- b\n', /expected a mapping with apiVersion/],
    [
      'a typo in kind, with the cronops apiVersion',
      'apiVersion: cronops/v1\nkind: Schedul\n',
      /unknown kind "Schedul"/,
    ],
    [
      'a wrong apiVersion with a cronops kind',
      'apiVersion: v1\nkind: Schedule\nmetadata: { name: a }\n',
      /unknown apiVersion "v1"/,
    ],
    [
      'a schedule that forgot its header',
      'metadata: { name: a }\nspec:\n  schedule: "* * * * *"\n',
      /missing required field "apiVersion"/,
    ],
    [
      'one cronops document beside a foreign one',
      'apiVersion: v1\nkind: ConfigMap\n---\napiVersion: cronops/v1\nkind: Schedule\nmetadata: { name: a }\nspec: { schedule: "* * * * *", task: { shell: "true" } }\n',
      /unknown kind "ConfigMap"/,
    ],
  ])('%s: the schema problems are listed', (_what, text, first) => {
    const lines = report(text);
    expect(lines.some((line) => first.test(line))).toBe(true);
    expect(lines.some((line) => line.includes('not a cronops manifest'))).toBe(false);
  });
});
