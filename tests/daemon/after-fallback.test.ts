// Last known good for `spec.after`, through the daemon's ConfigState on real files in a fresh temp directory.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigState, type ConfigSnapshot } from '../../src/daemon/config-state.js';
import { formatIssue } from '../../src/manifest/issue.js';
import { ManualClock } from '../../src/shared/clock.js';

const roots: string[] = [];

afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function makeDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cronops-after-fallback-'));
  roots.push(dir);
  return dir;
}

/** A schedule with times of its own. */
function timed(name: string): string {
  return `apiVersion: cronops/v1
kind: Schedule
metadata: { name: ${name} }
spec:
  schedule: "0 2 * * *"
  task: { shell: "echo ${name}" }
`;
}

/** A schedule that runs only after `upstream`; the upstream's name is at line 5, column 23. */
function after(name: string, upstream: string): string {
  return `apiVersion: cronops/v1
kind: Schedule
metadata: { name: ${name} }
spec:
  after: [{ schedule: ${upstream} }]
  task: { shell: "echo ${name}" }
`;
}

/** Far after every file's mtime: every file counts as settled. */
const settledClock = (): ManualClock => new ManualClock('2099-01-01T00:00:00.000Z');

function view(snapshot: ConfigSnapshot, dir: string) {
  const strip = (text: string) => text.split(`${dir}/`).join('');
  return {
    schedules: [...snapshot.desired.values()]
      .map((job) => ({
        name: job.name,
        after: job.spec.after?.map((entry) => entry.schedule) ?? [],
        degraded: job.degraded,
        blocked: job.afterBlocked !== undefined,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    issues: snapshot.issues.map((issue) => strip(formatIssue(issue))),
    invalidFiles: snapshot.files.filter((f) => !f.ok).map((f) => strip(f.file)),
  };
}

describe('daemon/after-fallback', () => {
  it('keeps a downstream whose upstream was renamed, degraded and never run by after, and says why', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'dump.yaml'), timed('dump'));
    await writeFile(join(dir, 'verify.yaml'), after('verify', 'dump'));
    const config = new ConfigState(dir, { clock: settledClock() });
    expect(view(await config.reload(), dir)).toEqual({
      schedules: [
        { name: 'dump', after: [], degraded: false, blocked: false },
        { name: 'verify', after: ['dump'], degraded: false, blocked: false },
      ],
      issues: [],
      invalidFiles: [],
    });
    await writeFile(join(dir, 'dump.yaml'), timed('dump-db'));
    config.invalidate();
    const snapshot = await config.reload();
    expect(view(snapshot, dir)).toEqual({
      schedules: [
        { name: 'dump-db', after: [], degraded: false, blocked: false },
        { name: 'verify', after: ['dump'], degraded: true, blocked: true },
      ],
      issues: [
        'verify.yaml:5:23: spec.after[0].schedule: unknown schedule "dump" (did you mean "dump-db"?); "after" names another schedule\'s metadata.name',
      ],
      invalidFiles: ['verify.yaml'],
    });
    expect(snapshot.desired.get('verify')?.afterBlocked).toMatch(/unknown schedule "dump"/);

    // Renamed back: whole again.
    await writeFile(join(dir, 'dump.yaml'), timed('dump'));
    config.invalidate();
    expect(view(await config.reload(), dir).issues).toEqual([]);
  });

  it('runs the last good version of a downstream edited to name an unknown upstream', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'dump.yaml'), timed('dump'));
    await writeFile(join(dir, 'verify.yaml'), after('verify', 'dump'));
    const config = new ConfigState(dir, { clock: settledClock() });
    await config.reload();
    await writeFile(join(dir, 'verify.yaml'), after('verify', 'dumpp'));
    config.invalidate();
    expect(view(await config.reload(), dir)).toEqual({
      schedules: [
        { name: 'dump', after: [], degraded: false, blocked: false },
        { name: 'verify', after: ['dump'], degraded: true, blocked: false },
      ],
      issues: [
        'verify.yaml:5:23: spec.after[0].schedule: unknown schedule "dumpp" (did you mean "dump"?); "after" names another schedule\'s metadata.name',
      ],
      invalidFiles: ['verify.yaml'],
    });
  });

  it('sets aside the edit that closes a cycle and keeps the chain running', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), timed('a'));
    await writeFile(join(dir, 'b.yaml'), after('b', 'a'));
    await writeFile(join(dir, 'c.yaml'), after('c', 'b'));
    const config = new ConfigState(dir, { clock: settledClock() });
    await config.reload();
    await writeFile(join(dir, 'a.yaml'), after('a', 'c'));
    config.invalidate();
    expect(view(await config.reload(), dir)).toEqual({
      schedules: [
        { name: 'a', after: [], degraded: true, blocked: false },
        { name: 'b', after: ['a'], degraded: false, blocked: false },
        { name: 'c', after: ['b'], degraded: false, blocked: false },
      ],
      issues: [
        'a.yaml:5:23: spec.after[0].schedule: "after" makes a cycle: a → b → c → a (each runs after the one before it); remove one of these links',
      ],
      invalidFiles: ['a.yaml'],
    });
  });

  it('on a cold start, loads a cycle but runs none of it by after', async () => {
    const dir = await makeDir();
    await writeFile(join(dir, 'a.yaml'), after('a', 'b'));
    await writeFile(join(dir, 'b.yaml'), after('b', 'a'));
    const config = new ConfigState(dir, { clock: settledClock() });
    const seen = view(await config.reload(), dir);
    expect(seen.schedules).toEqual([
      { name: 'a', after: ['b'], degraded: true, blocked: true },
      { name: 'b', after: ['a'], degraded: true, blocked: true },
    ]);
    expect(seen.invalidFiles).toEqual(['a.yaml', 'b.yaml']);
  });
});
