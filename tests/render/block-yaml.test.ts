import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createBlockYamlWriter, STRINGIFY_OPTIONS } from '../../src/render/block-yaml.js';
import { renderKubernetes } from '../../src/render/render-kubernetes.js';
import { loadTexts } from './load-texts.js';

const ALL_VALUES = {
  words: ['on', 'On', 'OFF', 'yes', 'No', 'y', 'N', 'true', 'False', 'null', '~', ''],
  numbers: ['1', '0x1F', '0o17', '017', '1_000', '1:30', '1.5e3', '.5', '.inf', '.NaN', '-1'],
  dates: ['2026-12-06', '2026-12-06T10:00:00Z'],
  indicators: [
    '*/5 * * * *',
    '-',
    '--dir',
    '- x',
    '? x',
    ': x',
    '#x',
    'a #b',
    'a: b',
    '&a',
    '!x',
    '%x',
    '@x',
    '`x',
    '|',
    '>',
  ],
  spaces: [
    'a b',
    'a  b',
    'a ',
    ' a',
    'x - y',
    'a -b',
    'Generated schedule 0 for the render benchmark',
    'a /b c.d',
  ],
  quotes: ["it's", 'say "hi"', `both ' and "`, 'tab\there', '  padded  ', 'trail '],
  braces: ['{{ date }}', '/srv/{{ date }}-job.dump', '[x]', '$(CRONOPS_STORE)', 'a,b'],
  unicode: ['café', 'ünïcödé', '\u0001'],
  multiline: ['a\nb', 'a\nb\n', 'a\n\nb\n\n', ' lead\nx'],
  numbersTyped: [0, -3, 42, 1.5, 2 ** 60, Number.MAX_SAFE_INTEGER + 2],
  other: [true, false, null, [], {}, [[]], [{}], [[1, 2], ['a']], [{ a: 1, b: [] }]],
  nested: { a: { b: { c: 'd' } }, e: [{ f: [{ g: 'h' }] }] },
};

const KEYS = [
  'name',
  'app.kubernetes.io/managed-by',
  'on',
  'yes',
  '1',
  'a b',
  '/x',
  '-x',
  'Y',
  'x:y',
  '_k',
];

describe('render/block-yaml', () => {
  const writer = createBlockYamlWriter();

  it.each(Object.entries(ALL_VALUES))('writes %s exactly as the yaml library does', (_, values) => {
    for (const value of [values, { values }, { list: values, tail: 'x' }]) {
      const text = writer.writeDocument(value);
      expect(text).toBe(stringify(value, STRINGIFY_OPTIONS));
      expect(parse(text, { version: '1.1' })).toEqual(value);
    }
  });

  it.each(KEYS)('writes the key %j exactly as the yaml library does', (key) => {
    const value = { [key]: 'v', nested: { [key]: [key] } };
    expect(writer.writeDocument(value)).toBe(stringify(value, STRINGIFY_OPTIONS));
  });

  it('skips undefined entries as the yaml library does', () => {
    const value = { a: undefined, b: 1, c: { d: undefined }, e: [1] };
    expect(writer.writeDocument(value)).toBe(stringify(value, STRINGIFY_OPTIONS));
    expect(writer.writeDocument(value)).toBe('b: 1\nc: {}\ne:\n  - 1\n');
  });

  it('writes every object rendered from examples/ exactly as the yaml library does', () => {
    let objects = 0;
    for (const dir of ['examples', 'examples/team-defaults']) {
      const names = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name));
      if (names.length === 0) continue;
      const texts = Object.fromEntries(
        names.map((name) => [name, readFileSync(join(dir, name), 'utf8')]),
      );
      const loaded = loadTexts(texts, dir);
      const result = renderKubernetes(
        loaded.schedules,
        loaded.files,
        { image: 'x', namePrefix: '' },
        new Date('2026-03-01T00:00:00Z'),
      );
      for (const object of result.objects) {
        expect(writer.writeDocument(object)).toBe(stringify(object, STRINGIFY_OPTIONS));
        objects++;
      }
    }
    expect(objects).toBeGreaterThanOrEqual(8);
  });
});
