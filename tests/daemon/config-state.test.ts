// The daemon's view of the manifest directory, on real files in a fresh temp directory per test.
import { mkdir, mkdtemp, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigState, type ConfigSnapshot } from '../../src/daemon/config-state.js';
import { ManualClock } from '../../src/shared/clock.js';

const roots: string[] = [];

afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function makeDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cronops-config-state-'));
  roots.push(dir);
  return dir;
}

/** One Schedule document; `name` is on line 4, column 9. */
function schedule(name: string, cron = '0 3 * * *', extra = ''): string {
  return `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: ${name}
spec:
  schedule: "${cron}"
${extra}  task:
    shell: echo ${name}
`;
}

function docs(...texts: string[]): string {
  return texts.join('---\n');
}

/**
 * A ConfigMap volume as the kubelet lays it out: the keys (alpha in a.yaml, beta in b.yaml) in a timestamped
 * directory `v1`, `..data` linking to it, a link per key through `..data`; `v2` names the next version.
 */
async function configMapVolume(dir: string): Promise<{ v1: string; v2: string }> {
  const v1 = '..2026_11_22_12_00_00.1234';
  const v2 = '..2026_11_22_12_05_00.5678';
  await mkdir(join(dir, v1));
  await writeFile(join(dir, v1, 'a.yaml'), schedule('alpha'));
  await writeFile(join(dir, v1, 'b.yaml'), schedule('beta'));
  await symlink(v1, join(dir, '..data'));
  await symlink('..data/a.yaml', join(dir, 'a.yaml'));
  await symlink('..data/b.yaml', join(dir, 'b.yaml'));
  return { v1, v2 };
}

/** Far after every file's mtime: every file counts as settled. */
const settledClock = (): ManualClock => new ManualClock('2099-01-01T00:00:00.000Z');

function names(snapshot: ConfigSnapshot): string[] {
  return [...snapshot.desired.keys()].sort();
}

function fileOf(snapshot: ConfigSnapshot, name: string): string | undefined {
  return snapshot.desired.get(name)?.file;
}

describe('daemon/config-state', () => {
  it('loads manifests directly in the directory and ignores editor litter, dot entries and subdirectories', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), schedule('alpha'));
    await writeFile(join(dir, 'b.yml'), schedule('beta'));
    for (const litter of [
      '.a.yaml.swp',
      'a.yaml~',
      '4913',
      'a.yaml.tmp',
      '.#a.yaml',
      'notes.txt',
    ]) {
      await writeFile(join(dir, litter), schedule(`litter-${litter.length}`));
    }
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'c.yaml'), schedule('nested'));
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, '.git', 'd.yaml'), schedule('in-git'));
    await mkdir(join(dir, 'dir.yaml'));
    const state = new ConfigState(dir, { clock: settledClock() });
    const snapshot = await state.reload();
    expect(names(snapshot)).toEqual(['alpha', 'beta']);
    expect(snapshot.files.map((f) => f.file)).toEqual([join(dir, 'a.yaml'), join(dir, 'b.yml')]);
    expect(snapshot.issues).toEqual([]);
  });

  it('reads again only files whose stat changed, and parses only files whose text changed', async () => {
    const dir = await makeDir();
    for (const name of ['a', 'b', 'c']) await writeFile(join(dir, `${name}.yaml`), schedule(name));
    const state = new ConfigState(dir, { clock: settledClock() });
    await state.reload();
    expect(state.lastReload).toEqual({
      listed: 3,
      checked: 3,
      read: 3,
      parsed: 3,
      cached: 0,
      resolved: 3,
    });
    await state.reload();
    expect(state.lastReload).toEqual({
      listed: 3,
      checked: 3,
      read: 0,
      parsed: 0,
      cached: 0,
      resolved: 0,
    });
    await writeFile(join(dir, 'b.yaml'), schedule('b')); // same text, new mtime
    await writeFile(join(dir, 'c.yaml'), schedule('c', '5 3 * * *'));
    const snapshot = await state.reload();
    expect(state.lastReload).toEqual({
      listed: 3,
      checked: 3,
      read: 2,
      parsed: 1,
      cached: 0,
      resolved: 1,
    });
    expect(state.parsedLastReload).toBe(1);
    expect(snapshot.desired.get('c')?.spec.schedule).toBe('5 3 * * *');
  });

  it('told which files changed (a watcher batch), stats, reads and resolves only those', async () => {
    const dir = await makeDir();
    for (const name of ['a', 'b', 'c'])
      await writeFile(join(dir, `${name}.yaml`), docs(schedule(`${name}1`), schedule(`${name}2`)));
    const state = new ConfigState(dir, { clock: settledClock() });
    const before = await state.reload();
    await writeFile(join(dir, 'b.yaml'), docs(schedule('b1', '7 3 * * *'), schedule('b2')));
    const after = await state.reload(['b.yaml']);
    expect(state.lastReload).toEqual({
      listed: 3,
      checked: 1,
      read: 1,
      parsed: 1,
      cached: 0,
      resolved: 2,
    });
    expect(after.desired.get('b1')?.spec.schedule).toBe('7 3 * * *');
    // The schedules of the files not named are the very same objects: not resolved again.
    for (const name of ['a1', 'a2', 'c1', 'c2'])
      expect(after.desired.get(name)).toBe(before.desired.get(name));
    expect(after.files.map((f) => f.schedules)).toEqual([
      ['a1', 'a2'],
      ['b1', 'b2'],
      ['c1', 'c2'],
    ]);
  });

  it('told which files changed, still sees files added and removed (the listing), but no unnamed edit', async () => {
    const dir = await makeDir();
    for (const name of ['a', 'b', 'c']) await writeFile(join(dir, `${name}.yaml`), schedule(name));
    const state = new ConfigState(dir, { clock: settledClock() });
    await state.reload();
    await writeFile(join(dir, 'd.yaml'), schedule('d'));
    await unlink(join(dir, 'c.yaml'));
    await writeFile(join(dir, 'b.yaml'), schedule('b', '9 3 * * *')); // not named
    const snapshot = await state.reload(['a.yaml']);
    expect(state.lastReload).toEqual({
      listed: 3,
      checked: 2,
      read: 1,
      parsed: 1,
      cached: 0,
      resolved: 1,
    });
    expect(names(snapshot)).toEqual(['a', 'b', 'd']);
    expect(snapshot.desired.get('b')?.spec.schedule).toBe('0 3 * * *');
    // A full reload (SIGHUP, a rescan) looks at every file.
    const full = await state.reload();
    expect(state.lastReload).toMatchObject({ listed: 3, checked: 3, read: 1, parsed: 1 });
    expect(full.desired.get('b')?.spec.schedule).toBe('9 3 * * *');
  });

  it('told which files changed, still reads again a file read too recently to trust its stat', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), schedule('a'));
    await writeFile(join(dir, 'b.yaml'), schedule('b'));
    const { mtimeMs } = await stat(join(dir, 'b.yaml'));
    const clock = new ManualClock(new Date(mtimeMs + 100));
    const state = new ConfigState(dir, { clock });
    await state.reload();
    await state.reload(['a.yaml']);
    expect(state.lastReload).toMatchObject({ checked: 2, read: 2, parsed: 0 });
    clock.tick(5_000);
    await state.reload(['a.yaml']); // both are read once more, now settled
    await state.reload(['a.yaml']);
    expect(state.lastReload).toMatchObject({ checked: 1, read: 0, parsed: 0 });
  });

  it('a batch naming ..data (a ConfigMap swap) looks at every file', async () => {
    const dir = await makeDir();
    const { v1, v2 } = await configMapVolume(dir);
    const state = new ConfigState(dir, { clock: settledClock() });
    await state.reload();
    await mkdir(join(dir, v2));
    await writeFile(join(dir, v2, 'a.yaml'), schedule('alpha', '1 3 * * *'));
    await writeFile(join(dir, v2, 'b.yaml'), schedule('beta', '2 3 * * *'));
    await symlink(v2, join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await rm(join(dir, v1), { recursive: true });
    const after = await state.reload(['..data']);
    expect(state.lastReload).toEqual({
      listed: 2,
      checked: 2,
      read: 2,
      parsed: 2,
      cached: 0,
      resolved: 2,
    });
    expect(after.desired.get('alpha')?.spec.schedule).toBe('1 3 * * *');
    expect(after.desired.get('beta')?.spec.schedule).toBe('2 3 * * *');
  });

  it('a reload that fails makes the next one look at every file', async () => {
    const dir = await makeDir();
    const configDir = join(dir, 'config');
    await mkdir(configDir);
    await writeFile(join(configDir, 'a.yaml'), schedule('a'));
    await writeFile(join(configDir, 'b.yaml'), schedule('b'));
    const state = new ConfigState(configDir, { clock: settledClock() });
    await state.reload();
    await rename(configDir, join(dir, 'away'));
    await expect(state.reload(['a.yaml'])).rejects.toMatchObject({ code: 'ENOENT' });
    await rename(join(dir, 'away'), configDir);
    await writeFile(join(configDir, 'b.yaml'), schedule('b', '4 3 * * *'));
    const snapshot = await state.reload(['a.yaml']);
    expect(state.lastReload).toMatchObject({ checked: 2, read: 1, parsed: 1 });
    expect(snapshot.desired.get('b')?.spec.schedule).toBe('4 3 * * *');
  });

  it('reads a file again when it was modified too recently for its stat to be trusted', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), schedule('a'));
    const { mtimeMs } = await stat(join(dir, 'a.yaml'));
    // Read 100 ms after the write: a second write within the same timestamp tick would look unchanged.
    const clock = new ManualClock(new Date(mtimeMs + 100));
    const state = new ConfigState(dir, { clock });
    await state.reload();
    await state.reload();
    expect(state.lastReload).toEqual({
      listed: 1,
      checked: 1,
      read: 1,
      parsed: 0,
      cached: 0,
      resolved: 0,
    });
    clock.tick(5_000);
    await state.reload();
    await state.reload();
    expect(state.lastReload).toEqual({
      listed: 1,
      checked: 1,
      read: 0,
      parsed: 0,
      cached: 0,
      resolved: 0,
    });
  });

  it('invalidate() makes the next reload read every file (SIGHUP)', async () => {
    const dir = await makeDir();
    for (const name of ['a', 'b']) await writeFile(join(dir, `${name}.yaml`), schedule(name));
    const state = new ConfigState(dir, { clock: settledClock() });
    await state.reload();
    state.invalidate();
    // Even when told which files changed: SIGHUP means every file.
    await state.reload(['a.yaml']);
    expect(state.lastReload).toEqual({
      listed: 2,
      checked: 2,
      read: 2,
      parsed: 0,
      cached: 0,
      resolved: 0,
    });
    await state.reload();
    expect(state.lastReload).toEqual({
      listed: 2,
      checked: 2,
      read: 0,
      parsed: 0,
      cached: 0,
      resolved: 0,
    });
  });

  it('returns the same snapshot when nothing changed', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), schedule('a'));
    const state = new ConfigState(dir, { clock: settledClock() });
    const first = await state.reload();
    await writeFile(join(dir, 'a.yaml~'), 'backup');
    expect(await state.reload()).toBe(first);
  });

  it('an invalid edit keeps the last good version running, degraded, with errors by line and column', async () => {
    const dir = await makeDir();
    const file = join(dir, 'backup.yaml');
    await writeFile(file, docs(schedule('backup'), schedule('report')));
    const state = new ConfigState(dir, { clock: settledClock() });
    const good = await state.reload();
    // Line 6: an impossible minute; line 7: a misspelt key.
    await writeFile(
      file,
      docs(schedule('backup', '61 3 * * *', '  timout: 5m\n'), schedule('report')),
    );
    const bad = await state.reload();
    expect(names(bad)).toEqual(['backup', 'report']);
    expect(bad.desired.get('backup')).toMatchObject({
      degraded: true,
      hash: good.desired.get('backup')?.hash,
    });
    expect(bad.desired.get('backup')?.spec.schedule).toBe('0 3 * * *');
    expect(bad.desired.get('report')?.degraded).toBe(true);
    const report = bad.files.find((f) => f.file === file);
    expect(report).toMatchObject({ ok: false, schedules: ['backup', 'report'] });
    expect(report?.issues.map((i) => [i.line, i.col, i.path])).toEqual([
      [6, 13, 'spec.schedule'],
      [7, 3, 'spec.timout'],
    ]);
    expect(bad.issues).toEqual(report?.issues);
    await writeFile(file, docs(schedule('backup', '30 3 * * *'), schedule('report')));
    const fixed = await state.reload();
    expect(fixed.desired.get('backup')).toMatchObject({
      degraded: false,
      spec: { schedule: '30 3 * * *' },
    });
    expect(fixed.files).toEqual([{ file, ok: true, issues: [], schedules: ['backup', 'report'] }]);
  });

  it('a file invalid from the start contributes nothing and the others still load', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), schedule('alpha'));
    await writeFile(
      join(dir, 'b.yaml'),
      'apiVersion: cronops/v1\nkind: Schedule\nmetadata: [unclosed\n',
    );
    const snapshot = await new ConfigState(dir, { clock: settledClock() }).reload();
    expect(names(snapshot)).toEqual(['alpha']);
    const report = snapshot.files.find((f) => f.file === join(dir, 'b.yaml'));
    expect(report?.ok).toBe(false);
    expect(report?.schedules).toEqual([]);
    expect(report?.issues[0]?.line).toBeGreaterThan(0);
  });

  it('a deleted file takes its schedules with it, also while it was invalid', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), schedule('alpha'));
    await writeFile(join(dir, 'b.yaml'), schedule('beta'));
    const state = new ConfigState(dir, { clock: settledClock() });
    await state.reload();
    await writeFile(join(dir, 'b.yaml'), 'not: [valid');
    expect(names(await state.reload())).toEqual(['alpha', 'beta']);
    await unlink(join(dir, 'b.yaml'));
    await unlink(join(dir, 'a.yaml'));
    const snapshot = await state.reload();
    expect(names(snapshot)).toEqual([]);
    expect(snapshot.files).toEqual([]);
    expect(snapshot.issues).toEqual([]);
  });

  it('a schedule moved to another file in one reload keeps its fingerprint', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), docs(schedule('stay'), schedule('mover')));
    const state = new ConfigState(dir, { clock: settledClock() });
    const before = await state.reload();
    await writeFile(join(dir, 'b.yaml'), schedule('mover'));
    await writeFile(join(dir, 'a.yaml'), schedule('stay'));
    const after = await state.reload();
    expect(fileOf(after, 'mover')).toBe(join(dir, 'b.yaml'));
    expect(after.desired.get('mover')?.hash).toBe(before.desired.get('mover')?.hash);
    expect(after.issues).toEqual([]);
  });

  it.each([
    { running: 'b.yaml', added: 'a.yaml' },
    { running: 'a.yaml', added: 'b.yaml' },
  ])(
    'a name defined twice keeps the running one ($running) and reports $added',
    async ({ running, added }) => {
      const dir = await makeDir();
      await writeFile(join(dir, running), schedule('dup', '0 1 * * *'));
      const state = new ConfigState(dir, { clock: settledClock() });
      await state.reload();
      await writeFile(join(dir, added), docs(schedule('other'), schedule('dup', '0 2 * * *')));
      const snapshot = await state.reload();
      expect(fileOf(snapshot, 'dup')).toBe(join(dir, running));
      expect(snapshot.desired.get('dup')?.spec.schedule).toBe('0 1 * * *');
      expect(names(snapshot)).toEqual(['dup', 'other']);
      expect(snapshot.issues).toEqual([
        {
          file: join(dir, added),
          line: 13,
          col: 9,
          path: 'metadata.name',
          message: `duplicate schedule name "dup": defined at ${join(dir, running)}:4:9 and at ${join(dir, added)}:13:9; names must be unique`,
        },
      ]);
      const addedReport = snapshot.files.find((f) => f.file === join(dir, added));
      expect(addedReport).toMatchObject({ ok: false, schedules: ['other'] });
    },
  );

  it('a name defined twice in files that are both new goes to the first file by path', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'b.yaml'), schedule('dup', '0 2 * * *'));
    await writeFile(join(dir, 'a.yaml'), schedule('dup', '0 1 * * *'));
    const snapshot = await new ConfigState(dir, { clock: settledClock() }).reload();
    expect(fileOf(snapshot, 'dup')).toBe(join(dir, 'a.yaml'));
    expect(snapshot.issues.map((i) => `${i.file}:${i.line}:${i.col}`)).toEqual([
      `${join(dir, 'b.yaml')}:4:9`,
    ]);
  });

  it('an edited Defaults document changes the fingerprint of every schedule under it', async () => {
    const dir = await makeDir();
    const defaults = (timeout: string) =>
      `apiVersion: cronops/v1\nkind: Defaults\nspec:\n  timeout: ${timeout}\n`;
    await writeFile(join(dir, '00-defaults.yaml'), defaults('5m'));
    await writeFile(join(dir, 'a.yaml'), docs(schedule('a1'), schedule('a2')));
    const state = new ConfigState(dir, { clock: settledClock() });
    const before = await state.reload();
    expect(before.desired.get('a1')?.spec.timeout).toBe(300_000);
    await writeFile(join(dir, '00-defaults.yaml'), defaults('10m'));
    const after = await state.reload();
    expect(state.lastReload.parsed).toBe(1);
    for (const name of ['a1', 'a2']) {
      expect(after.desired.get(name)?.spec.timeout).toBe(600_000);
      expect(after.desired.get(name)?.hash).not.toBe(before.desired.get(name)?.hash);
    }
  });

  it('an edited Defaults resolves every schedule again; another edited file only its own', async () => {
    const dir = await makeDir();
    const defaults = (timeout: string) =>
      `apiVersion: cronops/v1\nkind: Defaults\nspec:\n  timeout: ${timeout}\n`;
    await writeFile(join(dir, '00-defaults.yaml'), defaults('5m'));
    await writeFile(join(dir, 'a.yaml'), docs(schedule('a1'), schedule('a2')));
    await writeFile(join(dir, 'b.yaml'), docs(schedule('b1'), schedule('b2'), schedule('b3')));
    const state = new ConfigState(dir, { clock: settledClock() });
    const first = await state.reload();
    expect(state.lastReload.resolved).toBe(5);
    await writeFile(join(dir, 'a.yaml'), docs(schedule('a1', '1 3 * * *'), schedule('a2')));
    const edited = await state.reload(['a.yaml']);
    expect(state.lastReload).toMatchObject({ checked: 1, parsed: 1, cached: 0, resolved: 2 });
    expect(edited.desired.get('b1')).toBe(first.desired.get('b1'));
    expect(edited.desired.get('a1')?.spec.timeout).toBe(300_000);
    await writeFile(join(dir, '00-defaults.yaml'), defaults('10m'));
    const after = await state.reload(['00-defaults.yaml']);
    expect(state.lastReload).toMatchObject({ checked: 1, parsed: 1, cached: 0, resolved: 5 });
    for (const name of ['a1', 'a2', 'b1', 'b2', 'b3'])
      expect(after.desired.get(name)?.spec.timeout).toBe(600_000);
  });

  it('a file turning invalid and back resolves nothing again: its last good schedules run degraded', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), docs(schedule('a1'), schedule('a2')));
    await writeFile(join(dir, 'b.yaml'), schedule('b1'));
    const state = new ConfigState(dir, { clock: settledClock() });
    const good = await state.reload();
    await writeFile(join(dir, 'a.yaml'), 'not: [valid');
    const bad = await state.reload(['a.yaml']);
    expect(state.lastReload).toMatchObject({ parsed: 1, cached: 0, resolved: 0 });
    expect(bad.desired.get('a1')).toMatchObject({
      degraded: true,
      hash: good.desired.get('a1')?.hash,
    });
    expect(bad.desired.get('b1')).toBe(good.desired.get('b1'));
  });

  it.each([
    { variant: 'the old version directory deleted', keepOld: false },
    { variant: 'the old version directory kept', keepOld: true },
  ])(
    'reads a ConfigMap volume through ..data and, after a swap ($variant), parses only changed files',
    async ({ keepOld }) => {
      const dir = await makeDir();
      const { v1, v2 } = await configMapVolume(dir);
      const state = new ConfigState(dir, { clock: settledClock() });
      const before = await state.reload();
      expect(names(before)).toEqual(['alpha', 'beta']);
      expect(fileOf(before, 'alpha')).toBe(join(dir, 'a.yaml'));

      await mkdir(join(dir, v2));
      await writeFile(join(dir, v2, 'a.yaml'), schedule('alpha'));
      await writeFile(join(dir, v2, 'b.yaml'), schedule('beta', '15 3 * * *'));
      await writeFile(join(dir, v2, 'c.yaml'), schedule('gamma'));
      await symlink(v2, join(dir, '..data_tmp'));
      await rename(join(dir, '..data_tmp'), join(dir, '..data'));
      await symlink('..data/c.yaml', join(dir, 'c.yaml'));
      if (!keepOld) await rm(join(dir, v1), { recursive: true });

      const after = await state.reload();
      expect(names(after)).toEqual(['alpha', 'beta', 'gamma']);
      expect(after.desired.get('beta')?.spec.schedule).toBe('15 3 * * *');
      expect(after.desired.get('alpha')).toBe(before.desired.get('alpha'));
      // Every file is new to stat (new inodes behind the links), but only changed text is parsed.
      expect(state.lastReload).toEqual({
        listed: 3,
        checked: 3,
        read: 3,
        parsed: 2,
        cached: 0,
        resolved: 2,
      });
      expect(after.files.map((f) => f.file)).toEqual(
        ['a.yaml', 'b.yaml', 'c.yaml'].map((f) => join(dir, f)),
      );
    },
  );

  it('rejects when the directory cannot be listed', async () => {
    const dir = await makeDir();
    await expect(new ConfigState(join(dir, 'missing')).reload()).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('keeps an oversized file at its last good version and reports it', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), schedule('alpha'));
    const state = new ConfigState(dir, { clock: settledClock() });
    await state.reload();
    await writeFile(join(dir, 'a.yaml'), 'x'.repeat(1024 * 1024 + 1));
    const snapshot = await state.reload();
    expect(snapshot.desired.get('alpha')?.degraded).toBe(true);
    expect(snapshot.issues.map((i) => i.message)).toEqual([
      'file is 1.0 MiB; manifest files larger than 1 MiB are refused',
    ]);
  });

  it('holds back every schedule while the Defaults is invalid and has no good version; uses the last good one otherwise', async () => {
    const dir = await makeDir();
    const defaults = (zone: string) =>
      `apiVersion: cronops/v1\nkind: Defaults\nspec:\n  timezone: ${zone}\n`;
    await writeFile(join(dir, 'defaults.yaml'), defaults('Europe/Berln'));
    await writeFile(join(dir, 'a.yaml'), schedule('alpha'));
    const config = new ConfigState(dir, { clock: settledClock() });
    const cold = await config.reload();
    expect(names(cold)).toEqual([]);
    expect(cold.files.find((f) => f.file.endsWith('a.yaml'))?.issues.map((i) => i.message)).toEqual(
      [
        `not loaded: the Defaults in ${join(dir, 'defaults.yaml')} is invalid, and these schedules would run without it; fix that file first`,
      ],
    );
    await writeFile(join(dir, 'defaults.yaml'), defaults('Europe/Berlin'));
    const fixed = await config.reload();
    expect(fixed.desired.get('alpha')?.spec.timezone).toBe('Europe/Berlin');
    await writeFile(join(dir, 'defaults.yaml'), defaults('Mars/Olympus') + 'timout: 1m\n');
    const broken = await config.reload();
    // The last good Defaults still applies.
    expect(broken.desired.get('alpha')?.spec.timezone).toBe('Europe/Berlin');
  });
});
