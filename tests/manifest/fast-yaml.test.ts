import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isScalar, parseAllDocuments } from 'yaml';
import { readFastYaml, resolvePlainScalar } from '../../src/manifest/fast-yaml.js';
import {
  parseYamlText,
  parseYamlTextFast,
  type PathSegment,
  type YamlDocument,
} from '../../src/manifest/yaml.js';
import { createRandom, damageText } from '../support/damage.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/manifests');

function readWithLibrary(text: string): unknown[] {
  return parseAllDocuments(text, { version: '1.2', schema: 'core', merge: true })
    .filter(
      (doc) => doc.contents !== null && !(isScalar(doc.contents) && doc.contents.source === ''),
    )
    .map((doc) => doc.toJS());
}

function listPaths(value: unknown, path: PathSegment[] = []): PathSegment[][] {
  const paths: PathSegment[][] = [path];
  if (Array.isArray(value))
    value.forEach((item, index) => paths.push(...listPaths(item, [...path, index])));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value))
      paths.push(...listPaths(item, [...path, key]), [...path, key, 'missing']);
  }
  return paths;
}

function locateEverything(doc: YamlDocument): unknown[] {
  return listPaths(doc.value).flatMap((path) => [
    path,
    doc.locate(path, 'value'),
    doc.locate(path, 'key'),
    doc.locate(path, 'parent'),
  ]);
}

/** The fast reader either gives up or agrees with the yaml library on values and on every position. */
function expectAgreement(text: string): boolean {
  const fast = parseYamlTextFast(text);
  if (fast === undefined) return false;
  const slow = parseYamlText(text);
  expect(slow.issues).toEqual([]);
  expect(fast.map((doc) => doc.value)).toEqual(readWithLibrary(text));
  expect(fast.map((doc) => [doc.index, doc.line, doc.col])).toEqual(
    slow.documents.map((doc) => [doc.index, doc.line, doc.col]),
  );
  expect(fast.map(locateEverything)).toEqual(slow.documents.map(locateEverything));
  return true;
}

const SCALARS = [
  'word',
  'two words',
  'True',
  'TRUE',
  'true',
  'false',
  'False',
  'FALSE',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  '~',
  'null',
  'Null',
  'NULL',
  'nil',
  '0',
  '007',
  '-0',
  '+5',
  '-12',
  '0o17',
  '0o8',
  '0x1F',
  '0xG',
  '1e3',
  '1E-2',
  '.5',
  '1.',
  '-1.5',
  '+.5',
  '.inf',
  '-.inf',
  '+.INF',
  '.nan',
  '.NaN',
  '1_000',
  '12:30',
  '02:30',
  '2026-01-01',
  '2026-01-01T00:00:00Z',
  '64KiB',
  '1h30m',
  '30s',
  '-Fc',
  'a#b',
  'a:b',
  'https://x.example/a?b=c',
  '"quoted # not a comment"',
  "'single ''quoted'''",
  '"esc \\" \\\\ \\n \\t \\/"',
  '"{{ date }}"',
  '"*/5 * * * *"',
  '30 2 * * *',
  '0 0 * * 1,3',
  '"@every 15m"',
  '@daily',
  '""',
  "''",
  '[]',
  '{}',
  '[a, "b", 1]',
  '{ a: 1, "b c": [x, y] }',
  '[[1, 2], {k: v}]',
];

/** A schedule as a generator writes it: one line of JSON. */
const JSON_SCHEDULE = {
  apiVersion: 'cronops/v1',
  kind: 'Schedule',
  metadata: { name: 'a', labels: { team: 'data' } },
  spec: {
    schedule: '*/15 12 1,15 5 *',
    timezone: 'Europe/Berlin',
    params: { database: 'auth', keep: 7 },
    task: { command: ['pg_dump', '-Fc', '-f', '/backups/{{ date }}.dump'] },
  },
};

describe('manifest/fast-yaml', () => {
  it.each(SCALARS)('reads %s as the yaml library does', (scalar) => {
    const text = `key: ${scalar}\nlist:\n  - ${scalar}\n  - ${scalar} # comment\nflow: [${scalar.startsWith('[') || scalar.startsWith('{') ? '1' : scalar}]\n`;
    const took = expectAgreement(text);
    // Everything in the list except a few flow-hostile scalars is on the fast path.
    if (!/[:#,@]/.test(scalar)) expect(took).toBe(true);
  });

  it.each([
    ['resolves core schema words', 'TRUE', true],
    ['resolves octal', '0o17', 15],
    ['resolves hex', '0x1F', 31],
    ['keeps 02:30 a string', '02:30', '02:30'],
    ['keeps no a string', 'no', 'no'],
    ['resolves exponents', '1e3', 1000],
  ])('%s', (_what, text, expected) => {
    expect(resolvePlainScalar(text)).toEqual(expected);
  });

  it.each([
    ['an anchor', 'a: &x 1\nb: *x\n'],
    ['a block scalar', 'a: |\n  text\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['a tab', 'a:\n\tb: 1\n'],
    ['CRLF line ends', 'a: 1\r\nb: 2\r\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a tag', 'a: !!str 1\n'],
    ['an explicit key', '? a\n: 1\n'],
    ['a directive', '%YAML 1.2\n---\na: 1\n'],
    ['a multi-line flow collection', 'a: [1,\n  2]\n'],
    ['an unclosed quote', 'a: "open\nb: 1\n'],
    ['a merge key', 'a: {x: 1}\nb:\n  <<: {y: 2}\n'],
    ['a nested compact list', '- - a\n'],
    ['a key without a space after the colon', 'a:1\n'],
    ['a document end marker', 'a: 1\n...\n'],
    ['a __proto__ key', '__proto__: 1\n'],
    ['JSON over several lines', '{\n  "a": 1\n}\n'],
    ['a plain key with no space after its colon', '{a:1}\n'],
    ['a flow collection with more after it', '{"a": 1}: x\n'],
    ['a JSON escape it does not read', '{"a":"\\u00e9"}\n'],
  ])('leaves %s to the yaml library', (_what, text) => {
    expect(readFastYaml(text)).toBeUndefined();
  });

  it.each([
    [
      'a list at the indentation of its key',
      'notify:\n- on: [failure]\n  command:\n  - mail\n  - "{{ name }}"\nafter: 1\n',
    ],
    ['compact mappings in lists', 'items:\n  -   name: a\n      value: 1\n  - name: b\n'],
    ['empty values', 'a:\nb:\n  c:\nd: [] # empty\n'],
    ['comments everywhere', '# head\na: 1 # one\n    # odd indent\nb:\n  # inside\n  c: 2\n'],
    ['several documents', '# lead\n---\na: 1\n--- # second\nb: 2\n---\n# empty\n---\nc: 3\n'],
    ['a top-level list', '- 1\n- two\n- {three: 3}\n'],
    ['quoted keys', '"a b": 1\n\'c\': 2\nx.y/z-w_v: 3\n'],
    ['trailing spaces', 'a: 1   \nb:   \n  - x   \n'],
    [
      'documents that are one line of JSON',
      `${JSON.stringify(JSON_SCHEDULE)}\n---\n${JSON.stringify({ ...JSON_SCHEDULE, metadata: { name: 'b' } })} # two\n`,
    ],
    [
      'JSON scalars',
      '{"a":-0,"b":1.5e3,"c":true,"d":null,"e":[],"f":{},"g":"x\\"y","h":[1,"2",[false]]}\n',
    ],
    ['a top-level flow list', '[1, "two", {three: 3}]\n'],
    ['a flow mapping with spaces', '{ "a": 1 , b: [x, "y"] }\n'],
    ['JSON-like keys in a block value', 'a: {"b":1,"c":[2]}\n'],
  ])('agrees with the yaml library on %s', (_what, text) => {
    expect(expectAgreement(text)).toBe(true);
  });

  it('collects each distinct string value once in a shared table', () => {
    const strings = new Map<string, string>();
    const first = readFastYaml(
      'zone: Europe/Berlin\nurl: "http://example.test/a/long/path"\nn: 3\n',
      strings,
    );
    const second = readFastYaml('zone: Europe/Berlin\nother: UTC\n', strings);
    expect(first?.[0]?.value).toEqual({
      zone: 'Europe/Berlin',
      url: 'http://example.test/a/long/path',
      n: 3,
    });
    expect(second?.[0]?.value).toEqual({ zone: 'Europe/Berlin', other: 'UTC' });
    expect([...strings.keys()].sort()).toEqual([
      'Europe/Berlin',
      'UTC',
      'http://example.test/a/long/path',
    ]);
  });

  it('agrees with the yaml library on every fixture manifest', () => {
    let fastFiles = 0;
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.ya?ml$/.test(entry.name)) {
          const text = readFileSync(path, 'utf8');
          if (parseYamlText(text).issues.length === 0 && expectAgreement(text)) fastFiles++;
        }
      }
    };
    walk(FIXTURES);
    expect(fastFiles).toBeGreaterThan(3);
  });
});

describe('manifest/fast-yaml on damaged input', () => {
  const ORIGINAL = readFileSync(join(FIXTURES, 'valid', 'backup.yaml'), 'utf8');
  const PIECES = [
    ' ',
    '  ',
    '\n',
    ':',
    ': ',
    '- ',
    '-',
    '"',
    "'",
    '[',
    ']',
    '{',
    '}',
    ',',
    '#',
    ' #',
    '~',
    '0',
    '.5',
    'true',
    'x',
  ];
  /** One or two edits, mostly insertions. */
  const EDITS = { pieces: PIECES, maxEdits: 2, insertShare: 0.6, maxDelete: 2 };

  /** The same manifest as one line of JSON per document. */
  const ORIGINAL_JSON = readWithLibrary(ORIGINAL)
    .map((document) => JSON.stringify(document))
    .join('\n---\n');

  it.each([
    ['block YAML', ORIGINAL, 7],
    ['one-line JSON', ORIGINAL_JSON, 11],
  ])(
    'accepts only what the yaml library accepts, and reads it the same way: %s',
    (_what, original, seed) => {
      const random = createRandom(seed);
      let accepted = 0;
      for (let round = 0; round < 600; round++) {
        const text = damageText(original, random, EDITS);
        if (readFastYaml(text) === undefined) continue;
        accepted++;
        expect(expectAgreement(text), text).toBe(true);
      }
      expect(accepted).toBeGreaterThan(100);
    },
  );
});
