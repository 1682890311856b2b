import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildJsonSchema } from '../../src/manifest/json-schema.js';

const COMMITTED = join(import.meta.dirname, '../../schema/cronops.schema.json');

type Json = Record<string, unknown>;

function descend(schema: Json, ...keys: string[]): Json {
  let current: unknown = schema;
  for (const key of keys) current = (current as Json)[key];
  return current as Json;
}

describe('manifest/json-schema', () => {
  it('matches the committed schema/cronops.schema.json', () => {
    const expected = `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
    const committed = readFileSync(COMMITTED, 'utf8');
    if (committed !== expected)
      expect.fail('schema/cronops.schema.json is stale: run npm run schema');
  });

  it('describes both document kinds with real content', () => {
    const schema = buildJsonSchema();
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'cronops manifest',
    });
    expect(typeof schema.$id).toBe('string');
    const [scheduleDoc, defaultsDoc] = schema.oneOf as Json[];
    expect(descend(scheduleDoc as Json, 'properties', 'kind')).toMatchObject({ const: 'Schedule' });
    expect(descend(defaultsDoc as Json, 'properties', 'kind')).toMatchObject({ const: 'Defaults' });
    const spec = descend(scheduleDoc as Json, 'properties', 'spec');
    expect(spec.required).toEqual(['task']);
    expect(spec.anyOf).toEqual([{ required: ['schedule'] }, { required: ['after'] }]);
    expect(descend(spec, 'properties', 'after')).toMatchObject({ type: 'array', minItems: 1 });
    expect(spec.additionalProperties).toBe(false);
    const properties = spec.properties as Record<string, Json>;
    for (const [name, property] of Object.entries(properties)) {
      expect(typeof property.description, `spec.${name} has a description`).toBe('string');
    }
    expect(properties.concurrencyPolicy).toMatchObject({
      enum: ['Allow', 'Forbid', 'Replace', 'Queue'],
      default: 'Forbid',
    });
    expect(properties.timeout).toMatchObject({
      default: '30m',
      anyOf: [
        { type: 'string', pattern: expect.any(String) },
        { type: 'integer', minimum: 0 },
      ],
    });
    expect(descend(properties.output as Json, 'properties', 'maxBytes')).toMatchObject({
      default: '64KiB',
    });
    expect(properties.task?.oneOf).toEqual([
      { required: ['command'] },
      { required: ['shell'] },
      { required: ['http'] },
    ]);
    const defaultsSpec = descend(defaultsDoc as Json, 'properties', 'spec', 'properties');
    expect(Object.keys(defaultsSpec)).not.toContain('schedule');
    expect(Object.keys(defaultsSpec)).not.toContain('params');
  });
});
