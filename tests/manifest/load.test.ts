import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  formatIssue,
  isManifestFileName,
  loadManifestDir,
  loadManifestPaths,
  readManifestFile,
} from '../../src/manifest/load.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/manifests');

const SMALL =
  'apiVersion: cronops/v1\nkind: Schedule\nmetadata:\n  name: NAME\nspec:\n  schedule: "@hourly"\n  task: { shell: "true" }\n';
const small = (name: string) => SMALL.replace('NAME', name);

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cronops-manifest-load-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('manifest/load', () => {
  it.each([
    ['backup.yaml', true],
    ['backup.yml', true],
    ['Backup.YAML', true],
    ['00-defaults.yaml', true],
    ['backup.json', false],
    ['backup', false],
    ['.hidden.yaml', false],
    ['..data', false],
    ['backup.yaml~', false],
    ['.backup.yaml.swp', false],
    ['.backup.yaml.swx', false],
    ['backup.yaml.swp', false],
    ['4913', false],
    ['.#backup.yaml', false],
    ['#backup.yaml#', false],
    ['backup.yaml.tmp', false],
    ['backup.yaml.bak', false],
    ['backup.yaml.orig', false],
    ['backup.yaml___jb_tmp___', false],
    ['.yaml', false],
  ])('isManifestFileName(%j) = %s', (name, expected) => {
    expect(isManifestFileName(name)).toBe(expected);
  });

  it('loads a directory and ignores dotfiles, dot-directories, editor litter and subdirectories', async () => {
    await cp(join(FIXTURES, 'valid'), dir, { recursive: true });
    const litter = [
      '.hidden.yaml',
      'backup.yaml~',
      '.backup.yaml.swp',
      '4913',
      '#backup.yaml#',
      'backup.yaml.tmp',
      'backup.yaml.bak',
      'notes.txt',
    ];
    for (const name of litter) await writeFile(join(dir, name), 'this: [is not valid');
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, '.git', 'config.yaml'), 'not: [valid');
    await mkdir(join(dir, 'nested'));
    await writeFile(join(dir, 'nested', 'deeper.yaml'), small('deeper'));
    await mkdir(join(dir, 'folder.yaml'));
    await symlink(join(dir, 'missing-target.yaml'), join(dir, 'dangling.yaml'));

    const result = await loadManifestDir(dir);
    expect(result.issues.map(formatIssue)).toEqual([]);
    expect(result.files.map((file) => file.file)).toEqual(
      ['00-defaults.yaml', 'backup.yaml', 'cleanup.yml', 'media.yaml'].map((name) =>
        join(dir, name),
      ),
    );
    expect(result.schedules.map((schedule) => schedule.name)).toEqual([
      'nightly-db-backup',
      'tmp-cleanup',
      'library-scan',
      'catalogue-sync',
    ]);
    const backup = result.schedules[0];
    expect(backup?.metadata.labels).toEqual({ team: 'platform', tier: 'critical' });
    expect(backup?.spec).toMatchObject({
      timezone: 'Europe/Berlin',
      retries: { limit: 2, backoff: 'exponential', delay: 30_000, maxDelay: 600_000 },
      history: { successfulRunsLimit: 50, failedRunsLimit: 100 },
      task: {
        env: {
          TZ: 'Europe/Berlin',
          LOG_FORMAT: 'json',
          PGHOST: 'db',
          PGPASSWORD: { fromEnv: 'PGPASSWORD' },
        },
        workingDir: '/srv',
      },
      activeFrom: '2026-01-01T00:00:00.000Z',
      maxSuccessAge: 93_600_000,
    });
    const scan = result.schedules[2];
    expect(scan?.spec.task).toEqual({
      kind: 'http',
      url: 'https://media.example/api/libraries/{{ params.library }}/scan',
      method: 'POST',
      headers: {
        'X-Api-Key': { fromFile: '/run/secrets/media-key' },
        'Content-Type': 'application/json',
      },
      body: '{"full":false,"requestedBy":"{{ name }}"}',
      expectStatus: [
        [200, 200],
        [202, 202],
      ],
      env: { TZ: 'Europe/Berlin', LOG_FORMAT: 'json' },
      workingDir: '/srv',
    });
    expect(scan?.compiled).toEqual({ kind: 'every', source: '@every 6h', everyMs: 21_600_000 });
  });

  it('follows symlinks the way a Kubernetes ConfigMap volume lays them out', async () => {
    await mkdir(join(dir, '..2026_01_01_00_00_00.000000001'));
    await writeFile(
      join(dir, '..2026_01_01_00_00_00.000000001', 'backup.yaml'),
      small('from-configmap'),
    );
    await symlink('..2026_01_01_00_00_00.000000001', join(dir, '..data'));
    await symlink(join('..data', 'backup.yaml'), join(dir, 'backup.yaml'));
    const result = await loadManifestDir(dir);
    expect(result.issues).toEqual([]);
    expect(result.schedules.map((schedule) => schedule.name)).toEqual(['from-configmap']);
  });

  it('reports every issue of every file, sorted by file, line and column', async () => {
    await cp(join(FIXTURES, 'invalid'), dir, { recursive: true });
    await writeFile(join(dir, 'a-dup.yaml'), small('report'));
    const result = await loadManifestDir(dir);
    expect(result.schedules.map((schedule) => schedule.name)).toEqual(['report']);
    expect(result.issues.map(formatIssue)).toEqual([
      `${join(dir, 'three-errors.yaml')}:6:13: spec.schedule: day of week: "FRY" in "MON-FRY" is not a day of week (0-7 or SUN-SAT)`,
      `${join(dir, 'three-errors.yaml')}:7:13: spec.timezone: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)`,
      `${join(dir, 'three-errors.yaml')}:8:3: spec.timout: unknown field "timout" (did you mean "timeout"?)`,
      `${join(dir, 'unquoted-star.yaml')}:6:13: spec.schedule: quote the schedule: schedule: "*/5 * * * *"`,
    ]);
  });

  it('refuses a file larger than 1 MiB without parsing it', async () => {
    const path = join(dir, 'huge.yaml');
    await writeFile(path, `${small('huge')}# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    const parsed = await readManifestFile(path);
    expect(parsed.documents).toEqual([]);
    expect(parsed.issues.map(formatIssue)).toEqual([
      `${path}:1:1: file is 2.0 MiB; manifest files larger than 1 MiB are refused`,
    ]);
  });

  it('turns read errors into issues', async () => {
    const missing = join(dir, 'gone.yaml');
    expect((await readManifestFile(missing)).issues.map(formatIssue)).toEqual([
      `${missing}: cannot read file: no such file or directory`,
    ]);
    expect((await readManifestFile(dir)).issues.map(formatIssue)).toEqual([
      `${dir}: cannot read file: is a directory, not a file`,
    ]);
    const absent = join(dir, 'absent');
    expect((await loadManifestDir(absent)).issues.map(formatIssue)).toEqual([
      `${absent}: cannot read directory: no such file or directory`,
    ]);
  });

  it('gives the same content hash for the same text', async () => {
    await writeFile(join(dir, 'a.yaml'), small('a'));
    await writeFile(join(dir, 'b.yaml'), small('a'));
    const [a, b] = (await loadManifestDir(dir)).files;
    expect(a?.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(a?.contentHash).toBe(b?.contentHash);
  });

  it('loads a mix of files and directories, each file once', async () => {
    await writeFile(join(dir, 'a.yaml'), small('a'));
    await mkdir(join(dir, 'more'));
    await writeFile(join(dir, 'more', 'b.yaml'), small('b'));
    await writeFile(join(dir, 'explicit.txt'), small('c'));
    const result = await loadManifestPaths([
      join(dir, 'more'),
      join(dir, 'a.yaml'),
      join(dir, 'a.yaml'),
      join(dir, 'explicit.txt'),
      join(dir, 'nope'),
    ]);
    expect(result.schedules.map((schedule) => schedule.name)).toEqual(['a', 'c', 'b']);
    expect(result.issues.map(formatIssue)).toEqual([
      `${join(dir, 'nope')}: cannot read: no such file or directory`,
    ]);
  });
});
