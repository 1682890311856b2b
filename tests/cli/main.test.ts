// End-to-end tests of the cronops program itself: help, version, exit statuses, one-line errors.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));

async function runCli(args: string[]) {
  const result = await execa('node', [CLI, ...args], {
    cwd: tmpdir(),
    reject: false,
    stripFinalNewline: false,
    env: { CRONOPS_DIR: '' },
  });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
});

/** The packages a module of dist/ loads when imported (every module URL node loads, through a loader hook). */
async function listLoadedPackages(module: string): Promise<string[]> {
  const hooks = `data:text/javascript,${encodeURIComponent(
    'export async function load(url, context, next) { process.stderr.write(`LOADED ${url}\\n`); return next(url, context); }',
  )}`;
  const script = `import { register } from 'node:module'; register(${JSON.stringify(hooks)}); await import(${JSON.stringify(module)});`;
  const result = await execa('node', ['--input-type=module', '-e', script], { reject: false });
  const packages = new Set<string>();
  for (const match of result.stderr.matchAll(/^LOADED .*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//gm))
    packages.add(match[1] ?? '');
  return [...packages].sort();
}

describe('cli/main', () => {
  it('loads no parser, cron validator, describer, PostgreSQL driver or watcher before the daemon starts: they load when needed', async () => {
    const run = fileURLToPath(new URL('../../dist/cli/commands/run.js', import.meta.url));
    const packages = await listLoadedPackages(run);
    expect(packages).toContain('commander');
    for (const later of ['zod', 'yaml', 'pg', 'chokidar', 'node-cron', 'cronstrue'])
      expect(packages).not.toContain(later);
  });

  it('starts with a shell line that execs node, so the bin runs directly', async () => {
    const [shebang, launcher] = (await readFile(CLI, 'utf8')).split('\n');
    expect(shebang).toBe('#!/bin/sh');
    expect(launcher).toMatch(/^\/\/bin\/true; exec node .*"\$0" "\$@"$/);
  });

  it('--version prints the version from package.json', async () => {
    const { version } = JSON.parse(await readFile(PACKAGE_JSON, 'utf8')) as { version: string };
    expect(await runCli(['--version'])).toEqual({
      exitCode: 0,
      stdout: `${version}\n`,
      stderr: '',
    });
  });

  it.each([
    [['--help'], 'Usage: cronops [options] [command]'],
    [['validate', '--help'], 'Usage: cronops validate [options] [paths...]'],
    [['schema', '--help'], 'Usage: cronops schema [options]'],
    [['next', '--help'], 'Usage: cronops next [options] [name]'],
    [['help', 'next'], 'Usage: cronops next [options] [name]'],
  ])('%j prints usage with examples and exits 0', async (args, usage) => {
    const result = await runCli(args);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.startsWith(`${usage}\n`)).toBe(true);
    expect(result.stdout).toContain('Examples:');
    expect(result.stderr).toBe('');
  });

  it('an unknown command is a usage error (exit 2, one line)', async () => {
    expect(await runCli(['valdate'])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: "cronops: unknown command 'valdate' (Did you mean validate?)\n",
    });
  });

  it('no command prints the help on stderr and exits 2', async () => {
    const result = await runCli([]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: cronops');
  });

  it('an error is one line without a stack trace', async () => {
    const result = await runCli(['next', '--cron', '0 9 * * *', '--tz', 'Mars/Olympus']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^cronops: --tz: unknown time zone "Mars\/Olympus"[^\n]*\n$/);
    expect(result.stderr).not.toContain('    at ');
  });

  it('--debug adds the stack trace', async () => {
    const result = await runCli(['--debug', 'next', '--cron', '0 9 * * *', '--tz', 'Mars/Olympus']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split('\n')[0]).toMatch(
      /^cronops: --tz: unknown time zone "Mars\/Olympus"/,
    );
    expect(result.stderr).toContain('SchedulerError');
    expect(result.stderr).toContain('    at ');
  });

  it('--debug also works after the command', async () => {
    const result = await runCli(['next', 'x', '--dir', '.', '--debug']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('    at ');
  });
});
