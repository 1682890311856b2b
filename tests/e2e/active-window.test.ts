// Schedules outside activeFrom/activeUntil, with the real daemon: no next run that will not happen in /status, `cronops status` or the timeline; health `inactive`.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  makeDirs,
  manifest,
  startDaemon,
  stopDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
} from './daemon-harness.js';

const run = promisify(execFile);

interface Schedule {
  name: string;
  nextFires: string[];
  health: string;
  window: string;
  activeFrom: string | null;
  activeUntil: string | null;
}

let daemon: RunningDaemon | undefined;
let root = '';
let url = '';

beforeAll(async () => {
  const dirs = await makeDirs('cronops-window-');
  root = dirs.root;
  const every = { schedule: '*/1 * * * * *', task: { shell: 'true' } };
  await writeManifest(
    dirs.dir,
    'windows.yaml',
    manifest('expired', { ...every, activeUntil: '2020-01-01T00:00:00Z' }),
    manifest('future', { ...every, activeFrom: '2099-06-01T09:30:00Z' }),
    manifest('current', { ...every, activeFrom: '2020-01-01T00:00:00Z' }),
  );
  daemon = startDaemon(['--dir', dirs.dir, '--state-dir', dirs.state, '--listen', '127.0.0.1:0']);
  url = await waitFor(
    'the status endpoint URL in the log',
    () => /"url":"(http:\/\/[^"]+)"/.exec(daemon!.output())?.[1],
    20_000,
  );
}, 60_000);

afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  if (root) await rm(root, { recursive: true, force: true });
});

async function readSchedules(): Promise<Map<string, Schedule>> {
  const body = (await (await fetch(`${url}/status`)).json()) as { schedules: Schedule[] };
  return new Map(body.schedules.map((schedule) => [schedule.name, schedule]));
}

describe('e2e/active-window', () => {
  it('/status: an ended or future schedule has no next fire, says where it stands, and is inactive', async () => {
    const schedules = await waitFor('three schedules in /status', async () => {
      const found = await readSchedules();
      return found.size === 3 ? found : undefined;
    });
    expect(schedules.get('expired')).toMatchObject({
      nextFires: [],
      window: 'ended',
      health: 'inactive',
      activeUntil: '2020-01-01T00:00:00.000Z',
    });
    // Its next fires are its first ones, from activeFrom on: they will happen.
    expect(schedules.get('future')?.nextFires[0]).toBe('2099-06-01T09:30:00.000Z');
    expect(schedules.get('future')).toMatchObject({
      window: 'not-started',
      health: 'inactive',
      activeFrom: '2099-06-01T09:30:00.000Z',
    });
    const current = schedules.get('current');
    expect(current?.window).toBe('active');
    expect(current?.nextFires.length).toBeGreaterThan(0);
    const summary = (await (await fetch(`${url}/status`)).json()) as {
      summary: { byHealth: Record<string, number> };
    };
    expect(summary.summary.byHealth['inactive']).toBe(2);
  }, 30_000);

  it('cronops status says "ended <date>" and "starts <date>" instead of a next run', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'status', '--url', url], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    const line = (name: string): string =>
      stdout.split('\n').find((text) => text.trimStart().startsWith(name)) ?? '';
    expect(line('expired')).toContain('ended 2020-01-01 00:00Z');
    expect(line('expired')).toContain('inactive');
    expect(line('future')).toContain('starts 2099-06-01 09:30Z');
    expect(line('current')).toMatch(/ now | in \d+s /);
  }, 30_000);

  it('the timeline draws no fire for them, and the cadence of the active one', async () => {
    const timeline = (await (await fetch(`${url}/api/v1/timeline`)).json()) as {
      schedules: { name: string; fires: string[] | null; everyMs: number | null }[];
    };
    const lanes = new Map(timeline.schedules.map((lane) => [lane.name, lane]));
    expect(lanes.get('expired')).toMatchObject({ fires: [], everyMs: null });
    expect(lanes.get('future')).toMatchObject({ fires: [], everyMs: null });
    expect(lanes.get('current')).toMatchObject({ fires: null, everyMs: 1000 });
  }, 30_000);
});
