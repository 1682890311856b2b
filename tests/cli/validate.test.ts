// End-to-end tests of `cronops validate`: the built CLI on real files in a fresh temp dir.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  escapeGithubData,
  escapeGithubProperty,
  formatGithubAnnotation,
} from '../../src/cli/commands/validate.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const DEFAULTS = `apiVersion: cronops/v1
kind: Defaults
spec:
  timezone: Europe/Berlin
  timeout: 5m
`;

const TWO_SCHEDULES = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: nightly-db-backup
spec:
  schedule: '30 2 * * *'
  task:
    command: ['pg_dump', '-f', '/backups/{{ date }}.dump']
---
apiVersion: cronops/v1
kind: Schedule
metadata:
  name: cache-warmer
spec:
  schedule: '*/15 * * * *'
  task:
    shell: echo warm
`;

const ONE_SCHEDULE = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: library-scan
spec:
  schedule: '@every 6h'
  task:
    http:
      url: http://jellyfin:8096/Library/Refresh
      method: POST
      expectStatus: 204
`;

// Line 6 col 13: the zone's value; line 7 col 3: the misspelt key.
const TWO_ERRORS = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: backup
spec:
  timezone: Europe/Berln
  timout: 5m
  schedule: '30 2 * * *'
  task:
    command: ['true']
`;

const ONE_ERROR = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: report
spec:
  schedule: '0 9 1,15 * *'
  task:
    shell: echo {{ dat }}
`;

let work: string;

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(join(work, dir), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(work, dir, name), text);
}

async function runCli(args: string[], env: Record<string, string> = {}) {
  const result = await execa('node', [CLI, ...args], {
    cwd: work,
    reject: false,
    stripFinalNewline: false,
    env: { CRONOPS_DIR: '', ...env },
  });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
});

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'cronops-cli-validate-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('cli/validate', () => {
  describe('valid manifests', () => {
    beforeEach(async () => {
      await writeFiles('schedules.d', {
        'defaults.yaml': DEFAULTS,
        'db.yaml': TWO_SCHEDULES,
        'media.yml': ONE_SCHEDULE,
        // Editor litter and dotfiles are not manifests.
        '.db.yaml.swp': 'not: [yaml',
        'db.yaml~': 'not: [yaml',
      });
    });

    it('prints one ok line and exits 0 (default directory schedules.d)', async () => {
      expect(await runCli(['validate'])).toEqual({
        exitCode: 0,
        stdout: 'ok: 3 files, 3 schedules\n',
        stderr: '',
      });
    });

    it('takes the default directory from CRONOPS_DIR', async () => {
      await writeFiles('elsewhere', { 'media.yaml': ONE_SCHEDULE });
      expect(await runCli(['validate'], { CRONOPS_DIR: 'elsewhere' })).toEqual({
        exitCode: 0,
        stdout: 'ok: 1 file, 1 schedule\n',
        stderr: '',
      });
    });

    it('accepts files and directories together', async () => {
      await writeFiles('more', { 'one.yaml': ONE_ERROR.replace('{{ dat }}', '{{ date }}') });
      const result = await runCli(['validate', 'schedules.d', 'more/one.yaml']);
      expect(result).toEqual({ exitCode: 0, stdout: 'ok: 4 files, 4 schedules\n', stderr: '' });
    });

    it('--format json reports valid: true and the schedule names', async () => {
      const result = await runCli(['validate', '--format', 'json', 'schedules.d']);
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({
        valid: true,
        files: 3,
        schedules: ['nightly-db-backup', 'cache-warmer', 'library-scan'],
        errors: [],
      });
    });
  });

  describe('invalid manifests', () => {
    beforeEach(async () => {
      await writeFiles('schedules.d', {
        'backup.yaml': TWO_ERRORS,
        'report.yaml': ONE_ERROR,
        'ok.yaml': ONE_SCHEDULE,
      });
    });

    it('prints every error as file:line:col: path: message, then a summary on stderr, exit 1', async () => {
      expect(await runCli(['validate', 'schedules.d'])).toEqual({
        exitCode: 1,
        stdout: [
          'schedules.d/backup.yaml:6:13: spec.timezone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)',
          'schedules.d/backup.yaml:7:3: spec.timout: unknown field "timout" (did you mean "timeout"?)',
          'schedules.d/report.yaml:8:12: spec.task.shell: unknown template variable "{{ dat }}" (did you mean "{{ date }}"?)',
          '',
        ].join('\n'),
        stderr: '3 errors in 2 files\n',
      });
    });

    it('--format json: the errors as objects and nothing else on stdout', async () => {
      const result = await runCli(['validate', 'schedules.d', '--format', 'json']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({
        valid: false,
        files: 3,
        schedules: ['library-scan'],
        errors: [
          {
            file: 'schedules.d/backup.yaml',
            line: 6,
            col: 13,
            path: 'spec.timezone',
            message: 'unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)',
          },
          {
            file: 'schedules.d/backup.yaml',
            line: 7,
            col: 3,
            path: 'spec.timout',
            message: 'unknown field "timout" (did you mean "timeout"?)',
          },
          {
            file: 'schedules.d/report.yaml',
            line: 8,
            col: 12,
            path: 'spec.task.shell',
            message: 'unknown template variable "{{ dat }}" (did you mean "{{ date }}"?)',
          },
        ],
      });
    });

    it('--format github: one workflow annotation per error', async () => {
      const result = await runCli(['validate', '--format', 'github', 'schedules.d']);
      expect(result.exitCode).toBe(1);
      expect(result.stdout.split('\n')).toEqual([
        '::error file=schedules.d/backup.yaml,line=6,col=13,title=cronops::spec.timezone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)',
        '::error file=schedules.d/backup.yaml,line=7,col=3,title=cronops::spec.timout: unknown field "timout" (did you mean "timeout"?)',
        '::error file=schedules.d/report.yaml,line=8,col=12,title=cronops::spec.task.shell: unknown template variable "{{ dat }}" (did you mean "{{ date }}"?)',
        '',
      ]);
      expect(result.stderr).toBe('3 errors in 2 files\n');
    });

    it('--format github escapes "," and ":" in the file property', async () => {
      await writeFiles('odd', { 'a,b:c.yaml': ONE_ERROR });
      const result = await runCli(['validate', '--format', 'github', 'odd']);
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toBe(
        '::error file=odd/a%2Cb%3Ac.yaml,line=8,col=12,title=cronops::spec.task.shell: unknown template variable "{{ dat }}" (did you mean "{{ date }}"?)\n',
      );
    });

    it('reports a YAML syntax error with its position and exits 1', async () => {
      await writeFiles('broken', { 'x.yaml': 'apiVersion: cronops/v1\nkind: [Schedule\n' });
      const result = await runCli(['validate', 'broken']);
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toMatch(/^broken\/x\.yaml:\d+:\d+: /);
      expect(result.stderr).toMatch(/^\d+ errors? in 1 file\n$/);
    });
  });

  describe('usage errors exit 2 with one line', () => {
    it.each([
      ['an unknown flag', ['validate', '--strict'], "cronops: unknown option '--strict'\n"],
      [
        'a misspelt flag',
        ['validate', '--fromat', 'json'],
        "cronops: unknown option '--fromat' (Did you mean --format?)\n",
      ],
      [
        'a bad --format',
        ['validate', '--format', 'xml'],
        "cronops: option '--format <format>' argument 'xml' is invalid. Allowed choices are text, json, github.\n",
      ],
      [
        'a path that does not exist',
        ['validate', 'nope.d'],
        'cronops: no such file or directory: nope.d\n',
      ],
      [
        'a default directory that does not exist',
        ['validate'],
        'cronops: no such file or directory: schedules.d\n',
      ],
    ])('%s', async (_name, args, stderr) => {
      expect(await runCli(args)).toEqual({ exitCode: 2, stdout: '', stderr });
    });
  });

  describe('github escaping', () => {
    it.each([
      ['100%', '100%25', '100%25'],
      ['a\r\nb', 'a%0D%0Ab', 'a%0D%0Ab'],
      ['dir,x:y.yaml', 'dir%2Cx%3Ay.yaml', 'dir,x:y.yaml'],
    ])('%j → property %j, data %j', (input, property, data) => {
      expect(escapeGithubProperty(input)).toBe(property);
      expect(escapeGithubData(input)).toBe(data);
    });

    it('leaves out line and col for a problem with the whole file', () => {
      expect(
        formatGithubAnnotation({
          file: 'big.yaml',
          line: 0,
          col: 0,
          path: '',
          message: 'cannot read file: 100% gone',
        }),
      ).toBe('::error file=big.yaml,title=cronops::cannot read file: 100%25 gone');
    });
  });
});
