// Hot reload of the real daemon: ConfigMap swaps, editor saves, git checkouts, bad edits, SIGHUP.
import {
  mkdir,
  open,
  readFile,
  rename,
  rm,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  manifest,
  readRuns,
  readStatus,
  stopDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
  useDaemons,
} from './daemon-harness.js';

const daemons = useDaemons('cronops-reload-');
const { setup } = daemons;

function daemon(dir: string, state: string, ...extra: string[]): RunningDaemon {
  return daemons.daemon(['--dir', dir, '--state-dir', state, '--listen', 'off', ...extra]);
}

/** Fires every second and exits at once. */
const EVERY_SECOND = { schedule: '*/1 * * * * *', task: { shell: 'exit 0' } };
/** Never fires while a test runs. */
const yearly = (minute = 0) => ({ schedule: `${minute} 0 1 1 *`, task: { shell: 'exit 0' } });

interface Reconciled {
  trigger: string;
  created: number;
  updated: number;
  removed: number;
  unchanged: number;
  errors: number;
  parsed: number;
}

interface StatusDoc {
  watch: string;
  files: {
    file: string;
    ok: boolean;
    schedules: string[];
    errors: { line: number; col: number; path: string; text: string }[];
  }[];
  schedules: {
    name: string;
    file: string;
    schedule: string;
    degraded: boolean;
    health: string;
    specHash: string;
  }[];
}

/** Every `reconciled` log line so far. */
function reconciles(d: RunningDaemon): Reconciled[] {
  return d
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"reconciled"'))
    .map((line) => JSON.parse(line) as Reconciled);
}

/** Reconciles after start-up. */
function reloads(d: RunningDaemon): Reconciled[] {
  return reconciles(d).filter((r) => r.trigger !== 'startup');
}

async function status(state: string): Promise<StatusDoc | undefined> {
  return (await readStatus(state)) as StatusDoc | undefined;
}

/** Wait until status.json passes `check`, and return it. */
function statusWhere(
  state: string,
  what: string,
  check: (s: StatusDoc) => boolean,
  timeoutMs = 10_000,
): Promise<StatusDoc> {
  return waitFor(
    what,
    async () => {
      const s = await status(state);
      return s && check(s) ? s : undefined;
    },
    timeoutMs,
  );
}

const scheduleOf = (s: StatusDoc, name: string) => s.schedules.find((x) => x.name === name);

/** Until the daemon runs its schedules and (unless `--watch off`) its watcher is ready. */
async function waitStarted(d: RunningDaemon, watching = true): Promise<void> {
  const line = watching ? '"msg":"watching for changes"' : '"msg":"cronops started"';
  await waitFor('the daemon to start', () => d.output().includes(line), 15_000);
}

/** Let a possible second reconcile of the same change show up before counting. */
const settle = () => new Promise((r) => setTimeout(r, 800));

describe('e2e/reload', () => {
  it.each([
    { variant: 'the old version directory deleted', keepOld: false },
    { variant: 'the old version directory kept', keepOld: true },
  ])(
    'a Kubernetes ConfigMap swap ($variant) applies the new version in one reconcile',
    async ({ keepOld }) => {
      const { dir, state } = await setup();
      const v1 = '..2026_11_22_12_00_00.1234';
      const v2 = '..2026_11_22_12_05_00.5678';
      await mkdir(join(dir, v1));
      await writeManifest(
        join(dir, v1),
        'a.yaml',
        manifest('cm-a', yearly(1)),
        manifest('cm-b', yearly(2)),
      );
      await symlink(v1, join(dir, '..data'));
      await symlink('..data/a.yaml', join(dir, 'a.yaml'));
      const d = daemon(dir, state);
      await waitStarted(d);
      // Fires start once every schedule is loaded; the watcher is ready after.
      const out = d.output();
      expect(out.indexOf('"msg":"cronops started"')).toBeGreaterThan(-1);
      expect(out.indexOf('"msg":"cronops started"')).toBeLessThan(
        out.indexOf('"msg":"watching for changes"'),
      );
      await statusWhere(state, 'both schedules', (s) => s.schedules.length === 2);

      // What the kubelet does: a new timestamped directory, ..data swapped by rename, new keys linked.
      await mkdir(join(dir, v2));
      await writeManifest(
        join(dir, v2),
        'a.yaml',
        manifest('cm-a', yearly(5)),
        manifest('cm-b', yearly(2)),
      );
      await writeManifest(join(dir, v2), 'c.yaml', manifest('cm-c', yearly(3)));
      await symlink(v2, join(dir, '..data_tmp'));
      await rename(join(dir, '..data_tmp'), join(dir, '..data'));
      await symlink('..data/c.yaml', join(dir, 'c.yaml'));
      if (!keepOld) await rm(join(dir, v1), { recursive: true });

      const s = await statusWhere(
        state,
        'the new version',
        (x) => scheduleOf(x, 'cm-a')?.schedule === '5 0 1 1 *' && x.schedules.length === 3,
      );
      expect(s.files.map((f) => f.file)).toEqual([join(dir, 'a.yaml'), join(dir, 'c.yaml')]);
      await settle();
      expect(reloads(d)).toMatchObject([
        { created: 1, updated: 1, removed: 0, unchanged: 1, errors: 0, parsed: 2 },
      ]);
      await stopDaemon(d);
    },
  );

  it('an editor save (temp file renamed over the file) is applied and removes nothing', async () => {
    const { dir, state } = await setup();
    await writeManifest(dir, 'a.yaml', manifest('edited', yearly(1)), manifest('other', yearly(2)));
    const d = daemon(dir, state);
    await waitStarted(d);
    await writeManifest(
      dir,
      'a.yaml.tmp-4711',
      manifest('edited', yearly(7)),
      manifest('other', yearly(2)),
    );
    await rename(join(dir, 'a.yaml.tmp-4711'), join(dir, 'a.yaml'));
    await statusWhere(
      state,
      'the saved version',
      (s) => scheduleOf(s, 'edited')?.schedule === '7 0 1 1 *',
    );
    await settle();
    expect(reloads(d)).toMatchObject([{ created: 0, updated: 1, removed: 0, unchanged: 1 }]);
    await stopDaemon(d);
  });

  it("vim's swap file, 4913 probe and ~ backup are ignored; its save is applied", async () => {
    const { dir, state } = await setup();
    await writeManifest(dir, 'a.yaml', manifest('edited', yearly(1)));
    const d = daemon(dir, state);
    await waitStarted(d);
    // The litter holds valid manifests: loading any of it would create a schedule.
    await writeManifest(dir, '.a.yaml.swp', manifest('from-swap', yearly(1)));
    await writeFile(join(dir, '4913'), '');
    await unlink(join(dir, '4913'));
    await rename(join(dir, 'a.yaml'), join(dir, 'a.yaml~'));
    await writeManifest(dir, 'a.yaml', manifest('edited', yearly(9)));
    await writeManifest(dir, 'b.yaml~', manifest('from-backup', yearly(1)));
    const s = await statusWhere(
      state,
      'the saved version',
      (x) => scheduleOf(x, 'edited')?.schedule === '9 0 1 1 *',
    );
    expect(s.schedules.map((x) => x.name)).toEqual(['edited']);
    expect(s.files.map((f) => f.file)).toEqual([join(dir, 'a.yaml')]);
    await settle();
    expect(reloads(d).every((r) => r.created === 0 && r.removed === 0)).toBe(true);
    await stopDaemon(d);
  });

  it('a git checkout rewriting 50 files is applied as ONE reconcile', async () => {
    const { dir, state } = await setup();
    const files = Array.from({ length: 50 }, (_, i) => `s${String(i).padStart(2, '0')}.yaml`);
    for (const [i, file] of files.entries())
      await writeManifest(dir, file, manifest(`job-${i}`, yearly(1)));
    await mkdir(join(dir, '.git'));
    const d = daemon(dir, state);
    await waitStarted(d);
    await writeFile(join(dir, '.git', 'index.lock'), 'lock');
    await Promise.all(
      files.map((file, i) => writeManifest(dir, file, manifest(`job-${i}`, yearly(2)))),
    );
    await rename(join(dir, '.git', 'index.lock'), join(dir, '.git', 'index'));
    await statusWhere(
      state,
      'all 50 updated',
      (s) => s.schedules.filter((x) => x.schedule === '2 0 1 1 *').length === 50,
    );
    await settle();
    expect(reloads(d)).toMatchObject([
      { created: 0, updated: 50, removed: 0, errors: 0, parsed: 50 },
    ]);
    await stopDaemon(d);
  });

  it('a file written in two parts 30 ms apart is never applied half-written', async () => {
    const { dir, state } = await setup();
    const text = (minute: number) =>
      [manifest('first', yearly(minute)), manifest('second', yearly(minute))].join('\n---\n');
    await writeFile(join(dir, 'pair.yaml'), text(1));
    const d = daemon(dir, state);
    await waitStarted(d);
    const next = text(4);
    // The first part alone is a valid file with one schedule: applying it would remove "second".
    const cut = next.indexOf('---') + 4;
    const handle = await open(join(dir, 'pair.yaml'), 'w');
    await handle.write(next.slice(0, cut));
    await new Promise((r) => setTimeout(r, 30));
    await handle.write(next.slice(cut));
    await handle.close();
    await statusWhere(
      state,
      'both updated',
      (s) => s.schedules.filter((x) => x.schedule === '4 0 1 1 *').length === 2,
    );
    await settle();
    expect(reloads(d)).toMatchObject([{ created: 0, updated: 2, removed: 0, errors: 0 }]);
    await stopDaemon(d);
  });

  it('an invalid edit keeps the last good version firing, degraded, with the error by line and column', async () => {
    const { dir, state } = await setup();
    const good = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: steady
spec:
  schedule: "*/1 * * * * *"
  task:
    shell: exit 0
`;
    await writeFile(join(dir, 'steady.yaml'), good);
    const d = daemon(dir, state);
    await waitStarted(d);
    await waitFor('a first run', async () =>
      (await readRuns(state, 'steady')).some((r) => r.status === 'succeeded'),
    );
    const hash = scheduleOf((await status(state))!, 'steady')?.specHash;
    await writeFile(join(dir, 'steady.yaml'), good.replace('  task:', '  timout: 5m\n  task:'));
    const bad = await statusWhere(state, 'the file error', (s) => s.files[0]?.ok === false);
    expect(bad.files[0]?.errors).toMatchObject([{ line: 7, col: 3, path: 'spec.timout' }]);
    expect(bad.files[0]?.errors[0]?.text).toMatch(
      new RegExp(`^${join(dir, 'steady.yaml')}:7:3: spec.timout: `),
    );
    expect(scheduleOf(bad, 'steady')).toMatchObject({
      degraded: true,
      health: 'degraded',
      specHash: hash,
    });
    const runsAtBadEdit = (await readRuns(state, 'steady')).length;
    await waitFor(
      'runs to go on',
      async () => (await readRuns(state, 'steady')).length >= runsAtBadEdit + 2,
    );
    await writeFile(join(dir, 'steady.yaml'), good);
    const fixed = await statusWhere(state, 'the fix', (s) => s.files[0]?.ok === true);
    expect(scheduleOf(fixed, 'steady')).toMatchObject({ degraded: false, specHash: hash });
    await stopDaemon(d);
  });

  it('an edit of one file among many looks at that file only, and is in definitions.json soon after', async () => {
    const { dir, state } = await setup();
    const names = Array.from({ length: 30 }, (_, i) => `group-${String(i).padStart(2, '0')}.yaml`);
    for (const [i, name] of names.entries()) {
      await writeManifest(
        dir,
        name,
        manifest(`g${i}-a`, yearly(1)),
        manifest(`g${i}-b`, yearly(1)),
      );
    }
    // Written long ago: their stat can be trusted at once, so no file is read again only for being new.
    const past = new Date(Date.now() - 3_600_000);
    for (const name of names) await utimes(join(dir, name), past, past);
    const d = daemon(dir, state);
    await waitStarted(d);
    await statusWhere(state, 'all schedules', (s) => s.schedules.length === 60);
    await writeManifest(
      dir,
      'group-07.yaml',
      manifest('g7-a', yearly(9)),
      manifest('g7-b', yearly(1)),
    );
    const s = await statusWhere(
      state,
      'the edit',
      (x) => scheduleOf(x, 'g7-a')?.schedule === '9 0 1 1 *',
    );
    await settle();
    expect(reloads(d)).toMatchObject([
      { updated: 1, unchanged: 59, checked: 1, parsed: 1, resolved: 2, errors: 0 },
    ]);
    // The status shows the fingerprint; the definition of that version is in definitions.json.
    expect(JSON.stringify(s)).not.toContain('"definition"');
    const definitions = await waitFor('definitions.json with the edit', async () => {
      const text = await readFile(join(state, 'definitions.json'), 'utf8').catch(() => '');
      const doc = text
        ? (JSON.parse(text) as {
            schedules: { name: string; specHash: string; definition: { schedule: string } }[];
          })
        : undefined;
      const entry = doc?.schedules.find((x) => x.name === 'g7-a');
      return entry?.specHash === scheduleOf(s, 'g7-a')?.specHash ? entry : undefined;
    });
    expect(definitions.definition.schedule).toBe('9 0 1 1 *');
    await stopDaemon(d);
  });

  it('a deleted file removes its schedules', async () => {
    const { dir, state } = await setup();
    await writeManifest(dir, 'keep.yaml', manifest('keep', yearly(1)));
    await writeManifest(
      dir,
      'drop.yaml',
      manifest('drop-1', yearly(1)),
      manifest('drop-2', yearly(1)),
    );
    const d = daemon(dir, state);
    await waitStarted(d);
    await statusWhere(state, 'three schedules', (s) => s.schedules.length === 3);
    await unlink(join(dir, 'drop.yaml'));
    const s = await statusWhere(state, 'the removal', (x) => x.schedules.length === 1);
    expect(s.schedules.map((x) => x.name)).toEqual(['keep']);
    expect(s.files.map((f) => f.file)).toEqual([join(dir, 'keep.yaml')]);
    await settle();
    expect(reloads(d)).toMatchObject([{ removed: 2, unchanged: 1 }]);
    await stopDaemon(d);
  });

  it('a schedule moved to another file in one batch is neither stopped nor restarted: no gap, no double fire', async () => {
    const { dir, state } = await setup();
    // Allow + catchUp all: even a fire delayed by a busy machine runs, so any gap is the reload's fault.
    const mover = manifest('mover', {
      ...EVERY_SECOND,
      concurrencyPolicy: 'Allow',
      catchUp: 'all',
    });
    await writeManifest(dir, 'a.yaml', manifest('anchor', yearly(1)), mover);
    const d = daemon(dir, state);
    await waitStarted(d);
    await waitFor(
      'two runs before the move',
      async () => (await readRuns(state, 'mover')).length >= 2,
    );
    await Promise.all([
      writeManifest(dir, 'b.yaml', mover),
      writeManifest(dir, 'a.yaml', manifest('anchor', yearly(1))),
    ]);
    await statusWhere(
      state,
      'mover in b.yaml',
      (s) => scheduleOf(s, 'mover')?.file === join(dir, 'b.yaml'),
    );
    const runsAtMove = (await readRuns(state, 'mover')).length;
    await waitFor(
      'three runs after the move',
      async () => (await readRuns(state, 'mover')).length >= runsAtMove + 3,
    );
    await stopDaemon(d);
    // An empty plan is not even logged: nothing was created, updated or removed.
    expect(reloads(d)).toEqual([]);
    const instants = (await readRuns(state, 'mover'))
      .map((r) => Date.parse(r.scheduledAt))
      .sort((a, b) => a - b);
    expect(new Set(instants).size).toBe(instants.length);
    expect(instants.slice(1).map((at, i) => at - (instants[i] as number))).toEqual(
      instants.slice(1).map(() => 1000),
    );
    expect(
      (await readRuns(state, 'mover')).every(
        (r) => r.status === 'succeeded' || r.status === 'interrupted',
      ),
    ).toBe(true);
  });

  it('--watch poll applies an edit', async () => {
    const { dir, state } = await setup();
    await writeManifest(dir, 'a.yaml', manifest('polled', yearly(1)));
    const d = daemon(dir, state, '--watch', 'poll');
    await waitStarted(d);
    await writeManifest(dir, 'a.yaml', manifest('polled', yearly(8)));
    const s = await statusWhere(
      state,
      'the edit',
      (x) => scheduleOf(x, 'polled')?.schedule === '8 0 1 1 *',
    );
    expect(s.watch).toBe('poll');
    await stopDaemon(d);
  });

  it('with --watch off, SIGHUP reloads', async () => {
    const { dir, state } = await setup();
    await writeManifest(dir, 'a.yaml', manifest('hup', yearly(1)));
    const d = daemon(dir, state, '--watch', 'off');
    await waitStarted(d, false);
    await writeManifest(dir, 'a.yaml', manifest('hup', yearly(6)));
    await writeManifest(dir, 'b.yaml', manifest('hup-new', yearly(1)));
    d.proc.kill('SIGHUP');
    const s = await statusWhere(
      state,
      'the reload',
      (x) => scheduleOf(x, 'hup')?.schedule === '6 0 1 1 *',
    );
    expect(s.watch).toBe('off');
    expect(s.schedules.map((x) => x.name)).toEqual(['hup', 'hup-new']);
    expect(reloads(d)).toMatchObject([{ trigger: 'SIGHUP', created: 1, updated: 1 }]);
    await stopDaemon(d);
  });
});
