import { describe, expect, it } from 'vitest';
import { formatIssue, parseManifestText } from '../../src/manifest/load.js';

const FILE = 'schedules.d/report.yaml';

function scheduleWithShell(shellLine: string): string {
  return [
    'apiVersion: cronops/v1',
    'kind: Schedule',
    'metadata:',
    '  name: report',
    'spec:',
    '  schedule: "0 9 * * *"',
    '  params:',
    '    who: finance',
    '  task:',
    shellLine,
    '',
  ].join('\n');
}

describe('manifest/validate (templates in task.shell)', () => {
  it.each([
    [`    shell: echo "to {{ params.who }}" {{ date }}`, []],
    [
      `    shell: "echo 'to {{ params.who }}'"`,
      [
        `${FILE}:10:12: spec.task.shell: template "{{ params.who }}" is inside single quotes, where no value can be inserted safely: move it outside the quotes, or into double quotes ("…{{ params.who }}…"); its value is passed as a variable`,
      ],
    ],
    [
      `    shell: "cat <<'EOF'\\n{{ name }}\\nEOF"`,
      [
        `${FILE}:10:12: spec.task.shell: template "{{ name }}" is in a here-document with a quoted delimiter (<<'EOF'), where nothing expands: unquote the delimiter (<<EOF) so the value can be passed as a variable`,
      ],
    ],
    // command items keep plain substitution: no shell reads them.
    [`    command: [echo, "'{{ params.who }}'"]`, []],
  ])('%s', (line, expected) => {
    expect(parseManifestText(FILE, scheduleWithShell(line)).issues.map(formatIssue)).toEqual(
      expected,
    );
  });
});
