// A reload's snapshot made from the last one and the changed files equals the snapshot of every file resolved again.
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigState, type ConfigSnapshot } from '../../src/daemon/config-state.js';
import { ManualClock } from '../../src/shared/clock.js';

const roots: string[] = [];

afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** Far after every file's mtime: every file counts as settled. */
const settledClock = (): ManualClock => new ManualClock('2099-01-01T00:00:00.000Z');

/** A small deterministic generator (mulberry32), so that a failing case can be replayed by its seed. */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const NAMES = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta', 'theta', 'iota', 'kappa'];
const FILES = ['a.yaml', 'b.yaml', 'c.yaml', 'd.yaml', 'e.yaml', 'f.yaml', '00-defaults.yaml'];

function scheduleDoc(name: string, cron: string): string {
  return `apiVersion: cronops/v1\nkind: Schedule\nmetadata:\n  name: ${name}\nspec:\n  schedule: "${cron}"\n  task:\n    shell: echo ${name}\n`;
}

function afterDoc(name: string, upstream: string): string {
  return `apiVersion: cronops/v1\nkind: Schedule\nmetadata: { name: ${name} }\nspec:\n  after: [{ schedule: ${upstream} }]\n  task: { shell: "echo ${name}" }\n`;
}

function defaultsDoc(timeout: string): string {
  return `apiVersion: cronops/v1\nkind: Defaults\nspec:\n  timeout: ${timeout}\n`;
}

/**
 * A file's text: mostly valid schedules with names drawn from a small pool (so that files sometimes
 * claim the same name), now and then an invalid expression, a YAML error, an `after` link or a Defaults
 * document (valid or not).
 */
function generateFile(pick: (n: number) => number, file: string, rare: boolean): string {
  if (file === '00-defaults.yaml')
    return defaultsDoc(['5m', '10m', '1h', '5 minutes'][pick(4)] as string);
  const docs: string[] = [];
  const count = 1 + pick(3);
  const first = pick(NAMES.length);
  for (let index = 0; index < count; index += 1) {
    // A name of the file's own (a file defining one twice is invalid) or, now and then, one any file may claim.
    const shared = pick(rare ? 3 : 30) === 0;
    const name = shared
      ? `shared-${NAMES[pick(NAMES.length)]}`
      : `${file.replace('.yaml', '')}-${NAMES[(first + index) % NAMES.length]}`;
    const roll = pick(rare ? 12 : 40);
    if (roll === 0) docs.push(scheduleDoc(name, '99 * * * *'));
    else if (roll === 1) docs.push('kind: Schedule\nmetadata: [unclosed\n');
    else if (roll === 2) docs.push(afterDoc(name, `a-${NAMES[pick(NAMES.length)]}`));
    else if (roll === 3) docs.push(defaultsDoc('2m'));
    else docs.push(scheduleDoc(name, `${pick(60)} ${pick(24)} * * *`));
  }
  return docs.join('---\n');
}

/** A snapshot without what tells snapshots apart, with `desired` by name. */
function comparable(snapshot: ConfigSnapshot): unknown {
  return {
    desired: [...snapshot.desired.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
    files: snapshot.files,
    issues: snapshot.issues,
  };
}

describe('daemon/config-increment', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])(
    'generated edits (seed %i): the incremental snapshot equals the full one after every reload',
    async (seed) => {
      const pick = random(seed);
      const dir = await mkdtemp(join(tmpdir(), 'cronops-config-increment-'));
      roots.push(dir);
      // Half the seeds have no Defaults, `after` or broken files but rarely: most reloads go incremental.
      const rare = seed % 2 === 0;
      for (const file of FILES.slice(0, 5))
        await writeFile(join(dir, file), generateFile(pick, file, rare));
      const incremental = new ConfigState(dir, { clock: settledClock() });
      const full = new ConfigState(dir, { clock: settledClock(), incremental: false });
      expect(comparable(await incremental.reload())).toEqual(comparable(await full.reload()));
      let increments = 0;
      for (let step = 0; step < 25; step += 1) {
        const file = FILES[pick(FILES.length)] as string;
        if (pick(6) === 0) await unlink(join(dir, file)).catch(() => undefined);
        // Padded with a comment of the step's number, so that no rewrite keeps the size and mtime.
        else await writeFile(join(dir, file), `# ${step}\n${generateFile(pick, file, rare)}`);
        const named = pick(8) === 0 ? undefined : [file];
        const a = await incremental.reload(named);
        const b = await full.reload(named);
        if (a.changed !== undefined) increments += 1;
        expect(b.changed).toBeUndefined();
        expect(comparable(a), `seed ${seed}, step ${step}, ${file}`).toEqual(comparable(b));
      }
      // The seeds with few ties between files take the incremental path most of the time.
      if (!rare) expect(increments).toBeGreaterThan(5);
    },
  );

  it('keeps the desired objects of unchanged files and names only what the edit changed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cronops-config-increment-'));
    roots.push(dir);
    await writeFile(join(dir, 'a.yaml'), scheduleDoc('a1', '0 1 * * *'));
    await writeFile(
      join(dir, 'b.yaml'),
      [scheduleDoc('b1', '0 2 * * *'), scheduleDoc('b2', '0 3 * * *')].join('---\n'),
    );
    const state = new ConfigState(dir, { clock: settledClock() });
    const first = await state.reload();
    await writeFile(
      join(dir, 'b.yaml'),
      [scheduleDoc('b1', '5 2 * * *'), scheduleDoc('b3', '0 3 * * *')].join('---\n'),
    );
    const second = await state.reload(['b.yaml']);
    expect(second.changed).toEqual({ since: first.serial, names: new Set(['b1', 'b2', 'b3']) });
    expect(second.desired.get('a1')).toBe(first.desired.get('a1'));
    expect(second.files[0]).toBe(first.files[0]);
    expect(state.lastReload.resolved).toBe(2);
    expect([...second.desired.keys()].sort()).toEqual(['a1', 'b1', 'b3']);
  });
});
