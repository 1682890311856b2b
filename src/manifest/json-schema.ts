// The published JSON Schema of one manifest document, generated from the zod schema with zod 4's own z.toJSONSchema.
import { z } from 'zod';
import { EXACTLY_ONE_OF } from './exactly-one.js';
import { ManifestSchema } from './schema.js';

/** Where the schema says it lives; editors use it only as an identifier. */
export const JSON_SCHEMA_ID = 'https://cronops.dev/schema/cronops.schema.json';

/**
 * The JSON Schema (draft 2020-12) of a Schedule or Defaults document, in its input form:
 * durations and sizes are "string with a pattern, or an integer", defaults are shown as written.
 */
export function buildJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ManifestSchema, {
    io: 'input',
    target: 'draft-2020-12',
    override: (ctx) => {
      // "Exactly one of" is checked in code; tell editors too.
      const keys = EXACTLY_ONE_OF.get(ctx.zodSchema as unknown as z.ZodType);
      if (keys !== undefined) ctx.jsonSchema.oneOf = keys.map((key) => ({ required: [key] }));
    },
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: JSON_SCHEMA_ID,
    title: 'cronops manifest',
    description:
      'One document of a cronops manifest file: a Schedule, or the Defaults of its directory.',
    ...rest,
  };
}
