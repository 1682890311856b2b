// End-to-end tests of `cronops next`: the built CLI, for --cron expressions and for named schedules in a temp dir.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZonedFormatter, formatUtc, parseFrom } from '../../src/cli/commands/next.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const BACKUP = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: nightly-db-backup
spec:
  schedule: '30 2 * * *'
  timezone: Europe/Berlin
  task:
    command: ['pg_dump']
`;

const WINDOWED = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: campaign-report
spec:
  schedule: '0 9 * * *'
  activeFrom: 2026-05-02T00:00:00Z
  activeUntil: 2026-05-04T12:00:00Z
  task:
    shell: echo report
`;

const BROKEN = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: cache-warmer
spec:
  schedule: '*/15 * * * *'
  timout: 5m
  task:
    shell: echo warm
`;

let work: string;

async function runCli(args: string[]) {
  const result = await execa('node', [CLI, ...args], {
    cwd: work,
    reject: false,
    stripFinalNewline: false,
    env: { CRONOPS_DIR: '' },
  });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
  work = await mkdtemp(join(tmpdir(), 'cronops-cli-next-'));
  await mkdir(join(work, 'schedules.d'));
  await writeFile(join(work, 'schedules.d', 'backup.yaml'), BACKUP);
  await writeFile(join(work, 'schedules.d', 'report.yaml'), WINDOWED);
  await writeFile(join(work, 'schedules.d', 'warmer.yaml'), BROKEN);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('cli/next', () => {
  describe('--cron', () => {
    it('--json prints only a JSON array of ISO 8601 UTC instants (DST gap fires once after it)', async () => {
      const result = await runCli([
        'next',
        '--cron',
        '30 2 * * *',
        '--tz',
        'America/New_York',
        '--from',
        '2026-03-07T12:00:00Z',
        '-n',
        '3',
        '--json',
      ]);
      expect(result).toEqual({
        exitCode: 0,
        stdout:
          '["2026-03-08T07:00:00.000Z","2026-03-09T06:30:00.000Z","2026-03-10T06:30:00.000Z"]\n',
        stderr: '',
      });
    });

    it('prints the description and zone, then each instant in the zone and in UTC', async () => {
      const result = await runCli([
        'next',
        '--cron',
        '30 2 * * *',
        '--tz',
        'America/New_York',
        '--from',
        '2026-03-07T12:00:00Z',
        '-n',
        '3',
      ]);
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toBe('');
      const lines = result.stdout.split('\n');
      expect(lines[0]).toContain('02:30');
      expect(lines[0]).toContain('America/New_York');
      expect(lines.slice(1)).toEqual([
        '2026-03-08 03:00:00 EDT (-04:00)  2026-03-08T07:00:00Z',
        '2026-03-09 02:30:00 EDT (-04:00)  2026-03-09T06:30:00Z',
        '2026-03-10 02:30:00 EDT (-04:00)  2026-03-10T06:30:00Z',
        '',
      ]);
    });

    it('defaults to UTC and 5 instants, strictly after --from', async () => {
      const result = await runCli([
        'next',
        '--cron',
        '@every 90s',
        '--from',
        '2026-03-07T12:00:00Z',
        '--json',
      ]);
      expect(result.exitCode).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([
        '2026-03-07T12:01:30.000Z',
        '2026-03-07T12:03:00.000Z',
        '2026-03-07T12:04:30.000Z',
        '2026-03-07T12:06:00.000Z',
        '2026-03-07T12:07:30.000Z',
      ]);
    });

    it('applies the Vixie OR rule when both day fields are restricted', async () => {
      const result = await runCli([
        'next',
        '--cron',
        '0 0 1,15 * 5',
        '--from',
        '2026-01-01T00:00:00Z',
        '-n',
        '4',
        '--json',
      ]);
      expect(JSON.parse(result.stdout)).toEqual([
        '2026-01-02T00:00:00.000Z',
        '2026-01-09T00:00:00.000Z',
        '2026-01-15T00:00:00.000Z',
        '2026-01-16T00:00:00.000Z',
      ]);
    });

    it('prints up to 10000 instants', async () => {
      const result = await runCli([
        'next',
        '--cron',
        '* * * * * *',
        '-n',
        '10000',
        '--json',
        '--from',
        '2026-01-01',
      ]);
      expect(result.exitCode).toBe(0);
      const instants = JSON.parse(result.stdout) as string[];
      expect(instants).toHaveLength(10_000);
      expect(instants.at(-1)).toBe('2026-01-01T02:46:40.000Z');
    });
  });

  describe('named schedules', () => {
    it('reads the schedule from --dir and fires in its zone', async () => {
      const result = await runCli([
        'next',
        'nightly-db-backup',
        '--dir',
        'schedules.d',
        '--from',
        '2026-03-28T00:00:00Z',
        '-n',
        '2',
        '--json',
      ]);
      expect(result).toEqual({
        exitCode: 0,
        stdout: '["2026-03-28T01:30:00.000Z","2026-03-29T01:00:00.000Z"]\n',
        stderr: '',
      });
    });

    it('prints the name, description and zone in the human form', async () => {
      const result = await runCli([
        'next',
        'nightly-db-backup',
        '--dir',
        'schedules.d',
        '--from',
        '2026-03-28T00:00:00Z',
        '-n',
        '2',
      ]);
      expect(result.exitCode).toBe(0);
      const lines = result.stdout.split('\n');
      expect(lines[0]).toMatch(/^nightly-db-backup: .*02:30.*\(Europe\/Berlin\)$/);
      expect(lines.slice(1)).toEqual([
        '2026-03-28 02:30:00 CET (+01:00)   2026-03-28T01:30:00Z',
        '2026-03-29 03:00:00 CEST (+02:00)  2026-03-29T01:00:00Z',
        '',
      ]);
    });

    it('shows only the fires inside activeFrom..activeUntil', async () => {
      const result = await runCli([
        'next',
        'campaign-report',
        '--dir',
        'schedules.d',
        '--from',
        '2026-04-01T00:00:00Z',
        '--json',
      ]);
      expect(JSON.parse(result.stdout)).toEqual([
        '2026-05-02T09:00:00.000Z',
        '2026-05-03T09:00:00.000Z',
        '2026-05-04T09:00:00.000Z',
      ]);
    });

    it('suggests the closest name for an unknown one (exit 1)', async () => {
      expect(await runCli(['next', 'nightly-db-bakup', '--dir', 'schedules.d'])).toEqual({
        exitCode: 1,
        stdout: '',
        stderr:
          'cronops: no schedule named "nightly-db-bakup" in schedules.d (did you mean "nightly-db-backup"?)\n',
      });
    });

    it("prints the errors of the schedule's file and exits 1", async () => {
      expect(await runCli(['next', 'cache-warmer', '--dir', 'schedules.d', '--json'])).toEqual({
        exitCode: 1,
        stdout: '',
        stderr: [
          'schedules.d/warmer.yaml:7:3: spec.timout: unknown field "timout" (did you mean "timeout"?)',
          'cronops: schedule "cache-warmer" is in schedules.d/warmer.yaml, which has an error',
          '',
        ].join('\n'),
      });
    });
  });

  describe('errors are one line on stderr', () => {
    it.each([
      [
        'an invalid cron field',
        ['--cron', '61 * * * *'],
        1,
        /^cronops: invalid schedule "61 \* \* \* \*": .*minute.*"61"/,
      ],
      [
        'a cron that never fires',
        ['--cron', '0 0 30 2 *'],
        1,
        /^cronops: invalid schedule "0 0 30 2 \*": .*never/,
      ],
      [
        'an unknown zone',
        ['--cron', '0 9 * * *', '--tz', 'Europe/Berln'],
        1,
        /^cronops: --tz: unknown time zone "Europe\/Berln" \(did you mean "Europe\/Berlin"\?\)\n$/,
      ],
      ['neither NAME nor --cron', [], 2, /^cronops: give a schedule NAME or --cron EXPR/],
      [
        'both NAME and --cron',
        ['nightly-db-backup', '--cron', '* * * * *'],
        2,
        /^cronops: give either a schedule NAME or --cron, not both/,
      ],
      [
        '--tz with a NAME',
        ['nightly-db-backup', '--tz', 'UTC'],
        2,
        /^cronops: --tz applies to --cron/,
      ],
      [
        '-n 0',
        ['--cron', '* * * * *', '-n', '0'],
        2,
        /^cronops: option '-n, --count <n>' argument '0' is invalid/,
      ],
      [
        '-n 10001',
        ['--cron', '* * * * *', '-n', '10001'],
        2,
        /argument '10001' is invalid\. expected an integer from 1 to 10000/,
      ],
      [
        '--from without an offset',
        ['--cron', '* * * * *', '--from', '2026-03-07T12:00:00'],
        2,
        /^cronops: --from: expected an ISO 8601 instant/,
      ],
      [
        'a --dir that does not exist',
        ['x', '--dir', 'missing.d'],
        2,
        /^cronops: no such file or directory: missing\.d\n$/,
      ],
    ])('%s', async (_name, args, exitCode, message) => {
      const result = await runCli(['next', ...args, '--json']);
      expect(result.exitCode).toBe(exitCode);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n')).toHaveLength(2);
      expect(result.stderr).toMatch(message);
    });
  });

  describe('formatting', () => {
    it.each([
      ['2026-03-08T07:00:00Z', 'America/New_York', '2026-03-08 03:00:00 EDT (-04:00)'],
      ['2026-01-15T08:00:00Z', 'Europe/Berlin', '2026-01-15 09:00:00 CET (+01:00)'],
      ['2026-07-01T12:00:00Z', 'Europe/London', '2026-07-01 13:00:00 BST (+01:00)'],
      ['2026-07-01T12:00:00Z', 'Asia/Kolkata', '2026-07-01 17:30:00 (+05:30)'],
      ['2026-07-01T12:00:00Z', 'UTC', '2026-07-01 12:00:00 UTC (+00:00)'],
    ])('%s in %s → %s', (iso, zone, text) => {
      expect(createZonedFormatter(zone)(new Date(iso))).toBe(text);
    });

    it.each([
      ['2026-03-08T07:00:00.000Z', '2026-03-08T07:00:00Z'],
      ['2026-03-08T07:00:00.250Z', '2026-03-08T07:00:00.250Z'],
    ])('formatUtc(%s) = %s', (iso, text) => {
      expect(formatUtc(new Date(iso))).toBe(text);
    });

    it.each([
      ['2026-03-07T12:00:00Z', '2026-03-07T12:00:00.000Z'],
      ['2026-03-07T12:00:00+01:00', '2026-03-07T11:00:00.000Z'],
      ['2026-03-07T12:00Z', '2026-03-07T12:00:00.000Z'],
      ['2026-03-07', '2026-03-07T00:00:00.000Z'],
    ])('parseFrom(%s) = %s', (text, iso) => {
      expect(parseFrom(text).toISOString()).toBe(iso);
    });
  });
});
