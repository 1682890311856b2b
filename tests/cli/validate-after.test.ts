// End-to-end tests of `cronops validate` on `spec.after`: the built CLI on real files in a fresh temp dir.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples', import.meta.url));

/** A schedule in its own file; with `upstream`, its name is at line 6, column 17. */
function step(name: string, upstream?: string): string {
  const trigger =
    upstream === undefined ? `  schedule: '0 2 * * *'` : `  after:\n    - schedule: ${upstream}`;
  return `apiVersion: cronops/v1
kind: Schedule
metadata: { name: ${name} }
spec:
${trigger}
  task: { command: [echo, '${name}'] }
`;
}

let work: string;

async function runCli(args: string[]) {
  const result = await execa('node', [CLI, ...args], { cwd: work, reject: false });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
});

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'cronops-cli-validate-after-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('cli/validate (after)', () => {
  it('accepts a chain across files', async () => {
    await writeFile(join(work, 'extract.yaml'), step('extract'));
    await writeFile(join(work, 'transform.yaml'), step('transform', 'extract'));
    await writeFile(join(work, 'load.yaml'), step('load', 'transform'));
    expect(await runCli(['validate', '.'])).toEqual({
      exitCode: 0,
      stdout: 'ok: 3 files, 3 schedules',
      stderr: '',
    });
  });

  it('reports a cycle across three files at each member, and an unknown upstream with a suggestion', async () => {
    await writeFile(join(work, 'a.yaml'), step('a', 'c'));
    await writeFile(join(work, 'b.yaml'), step('b', 'a'));
    await writeFile(join(work, 'c.yaml'), step('c', 'b'));
    await writeFile(join(work, 'extract.yaml'), step('extract'));
    await writeFile(join(work, 'verify.yaml'), step('verify', 'extrct'));
    const result = await runCli(['validate', '.']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout.split('\n')).toEqual([
      'a.yaml:6:17: spec.after[0].schedule: "after" makes a cycle: a → b → c → a (each runs after the one before it); remove one of these links',
      'b.yaml:6:17: spec.after[0].schedule: "after" makes a cycle: b → c → a → b (each runs after the one before it); remove one of these links',
      'c.yaml:6:17: spec.after[0].schedule: "after" makes a cycle: c → a → b → c (each runs after the one before it); remove one of these links',
      'verify.yaml:6:17: spec.after[0].schedule: unknown schedule "extrct" (did you mean "extract"?); "after" names another schedule\'s metadata.name',
    ]);
    expect(result.stderr).toBe('4 errors in 4 files');
  });

  it('accepts the pipeline examples', async () => {
    const files = ['postgres-pipeline.yaml', 'video-pipeline.yaml'].map((f) => join(EXAMPLES, f));
    expect(await runCli(['validate', ...files])).toEqual({
      exitCode: 0,
      stdout: 'ok: 2 files, 7 schedules',
      stderr: '',
    });
  });
});
