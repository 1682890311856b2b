import { describe, expect, it } from 'vitest';
import { formatIssue, parseManifestText } from '../../src/manifest/load.js';
import { createRandom, damageText } from '../support/damage.js';

const FILE = 'schedules.d/backup.yaml';

/** A valid schedule; `lines` are added at the end of its spec (line 9 on). */
function schedule(...lines: string[]): string {
  return [
    'apiVersion: cronops/v1',
    'kind: Schedule',
    'metadata:',
    '  name: nightly-db-backup',
    'spec:',
    '  schedule: "30 2 * * *"',
    '  task:',
    '    command: [pg_dump, -Fc]',
    ...lines,
    '',
  ].join('\n');
}

function report(text: string): string[] {
  return parseManifestText(FILE, text).issues.map(formatIssue);
}

describe('manifest/validate', () => {
  it('accepts a schedule with only after, and one with both, with upstream templates', () => {
    const parsed = parseManifestText(
      FILE,
      [
        schedule('  after: [{ schedule: extract, when: failed }]')
          .replace('  schedule: "30 2 * * *"\n', '')
          .replace('[pg_dump, -Fc]', '[echo, "{{ upstream.schedule }} {{ upstream.status }}"]'),
        schedule('  after: [{ schedule: extract }, { schedule: load, when: finished }]')
          .replace('nightly-db-backup', 'both')
          .replace('[pg_dump, -Fc]', '[echo, "{{ logicalTime }} {{ upstream.runId }}"]'),
      ].join('---\n'),
    );
    expect(parsed.issues).toEqual([]);
    const [afterOnly, both] = parsed.documents;
    expect(afterOnly).toMatchObject({
      kind: 'Schedule',
      spec: { after: [{ schedule: 'extract', when: 'failed' }] },
      compiled: { kind: 'after', source: 'after extract (failed)' },
      afterAt: [{ line: 8, col: 23 }],
    });
    expect(afterOnly?.kind === 'Schedule' && afterOnly.spec.schedule).toBeUndefined();
    expect(both).toMatchObject({
      spec: {
        schedule: '30 2 * * *',
        after: [
          { schedule: 'extract', when: 'succeeded' },
          { schedule: 'load', when: 'finished' },
        ],
      },
      compiled: { kind: 'cron' },
    });
  });

  it('accepts a valid schedule', () => {
    const parsed = parseManifestText(FILE, schedule());
    expect(parsed.issues).toEqual([]);
    expect(parsed.documents).toHaveLength(1);
  });

  it.each([
    [
      'a tab used for indentation',
      schedule('  retries:', '\tlimit: 2'),
      [`${FILE}:10:1: tabs are not allowed for indentation; use spaces`],
    ],
    [
      'an unclosed quote, at the line where it opens',
      schedule('  timezone: "Europe/Berlin', '  timeout: 5m'),
      [`${FILE}:9:13: unclosed quote: this string has no closing "`],
    ],
    [
      'an unquoted cron expression starting with *',
      schedule().replace('schedule: "30 2 * * *"', 'schedule: */5 * * * *'),
      [`${FILE}:6:13: spec.schedule: quote the schedule: schedule: "*/5 * * * *"`],
    ],
    [
      'an unknown time zone',
      schedule('  timezone: Europe/Berln'),
      [
        `${FILE}:9:13: spec.timezone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)`,
      ],
    ],
    [
      'a time zone in the wrong case',
      schedule('  timezone: europe/berlin'),
      [
        `${FILE}:9:13: spec.timezone: unknown time zone "europe/berlin" (did you mean "Europe/Berlin"? time zone names are case-sensitive)`,
      ],
    ],
    [
      'an unknown field',
      schedule('  timout: 5m'),
      [`${FILE}:9:3: spec.timout: unknown field "timout" (did you mean "timeout"?)`],
    ],
    [
      'a missing required field, at its parent',
      schedule().replace('  task:\n    command: [pg_dump, -Fc]\n', ''),
      [`${FILE}:5:1: spec.task: missing required field "task"`],
    ],
    [
      'neither schedule nor after, at the spec',
      schedule().replace('  schedule: "30 2 * * *"\n', ''),
      [
        `${FILE}:5:1: spec.schedule: missing required field "schedule" (or "after", to run after another schedule's runs)`,
      ],
    ],
    [
      'an empty after list',
      schedule('  after: []'),
      [
        `${FILE}:9:3: spec.after: expected at least one upstream, like [{ schedule: extract }]; remove "after" instead`,
      ],
    ],
    [
      'an upstream listed twice',
      schedule('  after:', '    - schedule: extract', '    - { schedule: extract, when: failed }'),
      [
        `${FILE}:11:19: spec.after[1].schedule: "extract" is already listed at after[0]; list an upstream once (when: finished covers both outcomes)`,
      ],
    ],
    [
      'an unknown when',
      schedule('  after: [{ schedule: extract, when: success }]'),
      [
        `${FILE}:9:38: spec.after[0].when: expected one of succeeded, failed, finished, got "success"`,
      ],
    ],
    [
      'upstream templates in a schedule without after',
      schedule().replace('[pg_dump, -Fc]', '[pg_dump, "{{ upstream.runId }}"]'),
      [
        `${FILE}:8:24: spec.task.command[1]: template "{{ upstream.runId }}" is set only for a schedule with "after" (it names the run that started this one)`,
      ],
    ],
    [
      'a misspelt upstream template',
      schedule('  after: [{ schedule: extract }]').replace(
        '[pg_dump, -Fc]',
        '[pg_dump, "{{ upstream.runid }}"]',
      ),
      [
        `${FILE}:8:24: spec.task.command[1]: unknown template variable "{{ upstream.runid }}" (did you mean "{{ upstream.runId }}"?)`,
      ],
    ],
    [
      'after in Defaults',
      [
        'apiVersion: cronops/v1',
        'kind: Defaults',
        'spec:',
        '  after: [{ schedule: extract }]',
        '',
      ].join('\n'),
      [`${FILE}:4:3: spec.after: a Defaults document cannot set "after"; set it in each Schedule`],
    ],
    [
      'a wrong enum value',
      schedule('  concurrencyPolicy: forbid'),
      [
        `${FILE}:9:22: spec.concurrencyPolicy: expected one of Allow, Forbid, Replace, Queue, got "forbid" (did you mean "Forbid"?)`,
      ],
    ],
    [
      'a bad duration',
      schedule('  timeout: 5 minutes'),
      [
        `${FILE}:9:12: spec.timeout: expected a duration like "500ms", "90s", "15m", "1h30m", "2d" or a whole number of seconds, got "5 minutes"`,
      ],
    ],
    [
      'a bad size',
      schedule('  output: { maxBytes: 10XB }'),
      [
        `${FILE}:9:23: spec.output.maxBytes: expected a size like "64KiB", "1MiB", "10kB" or a whole number of bytes, got "10XB"`,
      ],
    ],
    [
      'a bad cron field',
      schedule().replace('"30 2 * * *"', '"61 2 * * *"'),
      [`${FILE}:6:13: spec.schedule: minute: "61" is out of range (0-59)`],
    ],
    [
      'a cron expression that can never fire',
      schedule().replace('"30 2 * * *"', '"0 0 30 2 *"'),
      [
        `${FILE}:6:13: spec.schedule: can never fire: no date matches day of month "30" in February`,
      ],
    ],
    [
      'an unknown template variable',
      schedule().replace('[pg_dump, -Fc]', '[pg_dump, -f, "/b/{{ dat }}.dump"]'),
      [
        `${FILE}:8:28: spec.task.command[2]: unknown template variable "{{ dat }}" (did you mean "{{ date }}"?)`,
      ],
    ],
    [
      'a params path that is not in params',
      schedule('  params: { databases: [app] }').replace(
        '[pg_dump, -Fc]',
        '[pg_dump, -f, "{{ params.databases.1 }}"]',
      ),
      [
        `${FILE}:8:28: spec.task.command[2]: template "{{ params.databases.1 }}" refers to a missing param: params.databases is a list of 1 item, it has no item "1"`,
      ],
    ],
    [
      'a duplicate key, at the second one',
      schedule('  timeout: 5m', '  timeout: 6m'),
      [`${FILE}:10:3: spec.timeout: duplicate key "timeout" (first set on line 9)`],
    ],
    [
      'an unknown apiVersion',
      schedule().replace('cronops/v1', 'batch/v1'),
      [`${FILE}:1:13: apiVersion: unknown apiVersion "batch/v1" (expected "cronops/v1")`],
    ],
    [
      'an unknown kind',
      schedule().replace('kind: Schedule', 'kind: CronJob'),
      [`${FILE}:2:7: kind: unknown kind "CronJob" (expected Schedule or Defaults)`],
    ],
    [
      'a misspelt kind',
      schedule().replace('kind: Schedule', 'kind: Schedul'),
      [
        `${FILE}:2:7: kind: unknown kind "Schedul" (expected Schedule or Defaults; did you mean "Schedule"?)`,
      ],
    ],
    [
      'a bad name',
      schedule().replace('name: nightly-db-backup', 'name: Nightly_Backup'),
      [
        `${FILE}:4:9: metadata.name: expected a name of lowercase letters, digits and "-" that starts and ends with a letter or digit (like "nightly-db-backup"), got "Nightly_Backup"`,
      ],
    ],
    [
      'a name that is too long',
      schedule().replace('name: nightly-db-backup', `name: ${'a'.repeat(64)}`),
      [`${FILE}:4:9: metadata.name: expected a name of at most 63 characters, got 64`],
    ],
    [
      'two task kinds',
      schedule('    shell: pg_dump -Fc'),
      [
        `${FILE}:7:3: spec.task: a task needs exactly one of command, shell or http, got command and shell`,
      ],
    ],
    [
      'an empty argv',
      schedule().replace('[pg_dump, -Fc]', '[]'),
      [
        `${FILE}:8:5: spec.task.command: expected a non-empty list (the program and its arguments), got an empty list`,
      ],
    ],
    [
      'an env value that is neither a string nor a secret reference',
      schedule('    env:', '      PGPASSWORD: { fromEnvironment: PGPASSWORD }'),
      [
        `${FILE}:10:7: spec.task.env.PGPASSWORD: a secret reference needs exactly one of fromEnv or fromFile, got none`,
        `${FILE}:10:21: spec.task.env.PGPASSWORD.fromEnvironment: unknown field "fromEnvironment" (did you mean "fromEnv"?)`,
      ],
    ],
    [
      'an activeFrom without a zone',
      schedule('  activeFrom: 2026-01-01'),
      [
        `${FILE}:9:15: spec.activeFrom: expected an ISO 8601 date-time with a zone, like "2026-01-01T00:00:00Z", got "2026-01-01"`,
      ],
    ],
    [
      'an active window that ends before it starts',
      schedule('  activeFrom: 2026-06-01T00:00:00Z', '  activeUntil: 2026-01-01T00:00:00Z'),
      [
        `${FILE}:10:16: spec.activeUntil: expected activeUntil to be after activeFrom (2026-06-01T00:00:00.000Z), got 2026-01-01T00:00:00.000Z`,
      ],
    ],
    [
      'a YAML 1.1 boolean',
      schedule('  suspend: no'),
      [
        `${FILE}:9:12: spec.suspend: expected true or false, got "no" (manifests are YAML 1.2: only true and false are booleans)`,
      ],
    ],
    [
      'a number where a string belongs',
      schedule().replace(
        '  name: nightly-db-backup',
        '  name: nightly-db-backup\n  labels: { tier: 1 }',
      ),
      [
        `${FILE}:5:19: metadata.labels.tier: expected a string, got 1 (quote it to make it a string)`,
      ],
    ],
    [
      'a document that is not a mapping',
      '- apiVersion: cronops/v1\n',
      [`${FILE}:1:1: expected a mapping with apiVersion, kind, metadata and spec, got a list`],
    ],
    [
      'a document without kind',
      'apiVersion: cronops/v1\nmetadata: { name: x }\n',
      [`${FILE}:1:1: kind: missing required field "kind" (expected Schedule or Defaults)`],
    ],
  ])('reports %s', (_what, text, expected) => {
    expect(report(text)).toEqual(expected);
  });

  it('reports every error of a file, one line each, in order', () => {
    const text = schedule('  timezone: Europe/Berln', '  timout: 5m', '  catchUp: sometimes');
    expect(report(text)).toEqual([
      `${FILE}:9:13: spec.timezone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)`,
      `${FILE}:10:3: spec.timout: unknown field "timout" (did you mean "timeout"?)`,
      `${FILE}:11:12: spec.catchUp: expected one of latest, all, none, got "sometimes"`,
    ]);
  });

  it('reports the errors of every document of a file', () => {
    const text = `${schedule('  timout: 5m')}---\n${schedule('  jitter: soon').replace('nightly-db-backup', 'second')}`;
    expect(report(text)).toEqual([
      `${FILE}:9:3: spec.timout: unknown field "timout" (did you mean "timeout"?)`,
      `${FILE}:19:11: spec.jitter: expected a duration like "500ms", "90s", "15m", "1h30m", "2d" or a whole number of seconds, got "soon"`,
    ]);
  });

  it('still checks the rest of a document whose schedule was not quoted', () => {
    const text = schedule('  timout: 5m').replace(
      '"30 2 * * *"',
      '*/5 * * * * # every five minutes',
    );
    expect(report(text)).toEqual([
      `${FILE}:6:13: spec.schedule: quote the schedule: schedule: "*/5 * * * *"`,
      `${FILE}:9:3: spec.timout: unknown field "timout" (did you mean "timeout"?)`,
    ]);
  });

  it('refuses a billion-laughs document quickly', () => {
    const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let level = 1; level <= 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      lines.push(
        `${name}: &${name} [${Array.from({ length: 10 }, () => `*${previous}`).join(', ')}]`,
      );
    }
    const started = performance.now();
    expect(report(`${lines.join('\n')}\n`)).toEqual([
      `${FILE}:1:1: this document expands aliases too often (more than 1000 times); refusing it as a resource exhaustion attack`,
    ]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('reads YAML 1.2 whatever %YAML directive the file has', () => {
    const text = `%YAML 1.1\n---\n${schedule(
      '  params: { time: 02:30, answer: no, on: yes }',
    ).replace('  name: nightly-db-backup', '  name: nightly-db-backup\n  description: no')}`;
    const parsed = parseManifestText(FILE, text);
    expect(parsed.issues).toEqual([]);
    const [document] = parsed.documents;
    expect(document?.kind === 'Schedule' && document.metadata.description).toBe('no');
    expect(document?.kind === 'Schedule' && document.spec.params).toEqual({
      time: '02:30',
      answer: 'no',
      on: 'yes',
    });
  });

  it('ignores empty documents', () => {
    const parsed = parseManifestText(FILE, `---\n${schedule()}---\n# nothing here\n---\n`);
    expect(parsed.issues).toEqual([]);
    expect(parsed.documents).toHaveLength(1);
  });

  it('refuses a text larger than 1 MiB', () => {
    const text = `${schedule()}# ${'x'.repeat(1024 * 1024)}\n`;
    expect(report(text)).toEqual([
      `${FILE}:1:1: file is 1.0 MiB; manifest files larger than 1 MiB are refused`,
    ]);
  });

  it('never shows zod wording', () => {
    const texts = [
      schedule(
        '  retries: 3',
        '  history: { successfulRunsLimit: -1 }',
        '  notify: [{ on: [] }]',
        '  params: [1]',
      ),
      schedule('  task2: {}', '  output: 5', '  jitter: [1]', '  suspend: null'),
      schedule().replace('[pg_dump, -Fc]', '{ x: 1 }'),
      schedule().replace(
        '    command: [pg_dump, -Fc]',
        '    http: { url: ftp://x, method: FETCH, expectStatus: [99, "2xx", abc] }',
      ),
      'apiVersion: cronops/v1\nkind: Schedule\nmetadata: 5\nspec: []\n',
    ];
    const lines = texts.flatMap(report);
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines)
      expect(line).not.toMatch(
        /Invalid input|Invalid option|Too small|Too big|Unrecognized key|received/,
      );
  });
});

describe('manifest/validate on damaged input', () => {
  const ORIGINAL = schedule(
    '  timezone: Europe/Berlin',
    '  retries: { limit: 2, delay: 30s }',
    '  params: { db: [app] }',
    '  notify:',
    '    - on: [failure]',
    '      webhook: { url: "https://h.example/{{ name }}", headers: { A: { fromEnv: TOKEN } } }',
  );
  const PIECES = [
    ' ',
    '\n',
    ':',
    '-',
    '"',
    "'",
    '[',
    ']',
    '{',
    '}',
    '#',
    '*',
    '&',
    '\t',
    '  ',
    '{{',
    '}}',
    'x',
    '0',
  ];
  /** One to three edits, as many insertions as deletions. */
  const EDITS = { pieces: PIECES, maxEdits: 3, insertShare: 0.5, maxDelete: 3 };

  it('never throws, and every issue has a position and plain words', () => {
    const random = createRandom(42);
    let withIssues = 0;
    for (let round = 0; round < 400; round++) {
      const text = damageText(ORIGINAL, random, EDITS);
      const parsed = parseManifestText(FILE, text);
      if (parsed.issues.length > 0) withIssues++;
      for (const issue of parsed.issues) {
        expect(issue.line, formatIssue(issue)).toBeGreaterThanOrEqual(1);
        expect(issue.col, formatIssue(issue)).toBeGreaterThanOrEqual(1);
        expect(issue.message, text).not.toMatch(
          /^Invalid|Invalid input|Too small|Too big|Unrecognized key|received/,
        );
      }
    }
    expect(withIssues).toBeGreaterThan(200);
  });
});
