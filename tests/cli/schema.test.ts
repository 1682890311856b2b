// End-to-end test of `cronops schema`: the built CLI prints exactly the committed JSON Schema.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const COMMITTED = fileURLToPath(new URL('../../schema/cronops.schema.json', import.meta.url));

beforeAll(() => {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
});

describe('cli/schema', () => {
  it('prints JSON that equals schema/cronops.schema.json byte for byte (run `npm run schema` when it differs)', async () => {
    const result = await execa('node', [CLI, 'schema'], {
      reject: false,
      stripFinalNewline: false,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    const printed = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(printed).toEqual(JSON.parse(await readFile(COMMITTED, 'utf8')));
    expect(result.stdout).toBe(await readFile(COMMITTED, 'utf8'));
  });

  it('is a draft 2020-12 schema of Schedule and Defaults documents', async () => {
    const result = await execa('node', [CLI, 'schema']);
    const schema = JSON.parse(result.stdout) as {
      $schema?: string;
      oneOf?: unknown[];
      anyOf?: unknown[];
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(result.stdout).toContain('"Schedule"');
    expect(result.stdout).toContain('"Defaults"');
  });
});
