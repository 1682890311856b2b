// The shipped manifests stay valid: `cronops validate` on schedules.d/ and on every example.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/cli/main.js');
const MODELINE = '# yaml-language-server: $schema=';

/** Every manifest shipped with cronops, and how many schedules each holds. */
const MANIFESTS: [path: string, schedules: number][] = [
  ['schedules.d', 2],
  ['examples/postgres-backup.yaml', 2],
  ['examples/jellyfin-library-scan.yaml', 1],
  ['examples/poster-badges.yaml', 1],
  ['examples/channel-quick-sync.yaml', 1],
  ['examples/berlin-workflow.yaml', 2],
  ['examples/report-1st-15th.yaml', 1],
  ['examples/team-defaults', 1],
];

async function runCli(args: string[]) {
  return execa('node', [CLI, ...args], { cwd: ROOT, reject: false, env: { CRONOPS_DIR: '' } });
}

async function listYaml(dir: string): Promise<string[]> {
  const names = await readdir(join(ROOT, dir));
  return names.filter((name) => /\.ya?ml$/.test(name)).map((name) => join(dir, name));
}

beforeAll(() => {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
});

describe('cli/examples', () => {
  it.each(MANIFESTS)('cronops validate %s exits 0 with %i schedule(s)', async (path, schedules) => {
    const result = await runCli(['validate', '--format', 'json', path]);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as {
      valid: boolean;
      schedules: string[];
      errors: unknown[];
    };
    expect(report.errors).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.schedules).toHaveLength(schedules);
    expect(result.exitCode).toBe(0);
  });

  it('cronops validate examples passes: the deployment files live in subdirectories it does not read', async () => {
    const result = await runCli(['validate', 'examples']);
    expect(result.stdout).toBe('ok: 8 files, 15 schedules');
    expect(result.exitCode).toBe(0);
  });

  it.each([
    [
      'examples/compose/compose.yaml',
      'examples/compose/compose.yaml:4:1: not a cronops manifest (found top-level keys services, volumes; expected apiVersion: cronops/v1 with kind Schedule or Defaults)',
    ],
    [
      'examples/kubernetes/deployment.yaml',
      'examples/kubernetes/deployment.yaml:4:1: not a cronops manifest (found kind Deployment of apiVersion apps/v1; expected apiVersion: cronops/v1 with kind Schedule or Defaults)',
    ],
  ])('cronops validate %s says in one line that it is not a manifest', async (path, line) => {
    const result = await runCli(['validate', path]);
    expect(result.stdout).toBe(line);
    expect(result.stderr).toBe('1 error in 1 file');
    expect(result.exitCode).toBe(1);
  });

  it('schedule names are unique across all examples (they can share one directory)', async () => {
    const result = await runCli([
      'validate',
      '--format',
      'json',
      ...MANIFESTS.slice(1).map(([path]) => path),
    ]);
    const report = JSON.parse(result.stdout) as { valid: boolean; schedules: string[] };
    expect(report.valid).toBe(true);
    expect(new Set(report.schedules).size).toBe(report.schedules.length);
  });

  it('every manifest file starts with the yaml-language-server modeline pointing at the schema', async () => {
    const files = [
      ...(await listYaml('schedules.d')),
      ...MANIFESTS.filter(([path]) => path.startsWith('examples/') && path.endsWith('.yaml')).map(
        ([path]) => path,
      ),
      ...(await listYaml('examples/team-defaults')),
    ];
    for (const file of files) {
      const firstLine = (await readFile(join(ROOT, file), 'utf8')).split('\n')[0] ?? '';
      const depth = file.split('/').length - 1;
      expect(firstLine, file).toBe(`${MODELINE}${'../'.repeat(depth)}schema/cronops.schema.json`);
    }
  });

  it('the sample hello schedule fires every 30 seconds on the epoch grid', async () => {
    const result = await runCli([
      'next',
      'hello',
      '--dir',
      'schedules.d',
      '--from',
      '2026-01-01T00:00:10Z',
      '-n',
      '2',
      '--json',
    ]);
    expect(result.stdout).toBe('["2026-01-01T00:00:30.000Z","2026-01-01T00:01:00.000Z"]');
  });
});
