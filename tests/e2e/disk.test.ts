// A full state disk, on a real 2 MiB tmpfs: fires go on (their intents in the fire journal's reserve), the
// daemon says why it is not ready, and every run that ran has a correct record once space returns.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFireJournal, type FireIntent } from '../../src/history/journal.js';
import {
  JOBS,
  makeDirs,
  manifest,
  readRuns,
  startDaemon,
  stopDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
  type StoredRun,
} from './daemon-harness.js';
import { mountTmpfs, type Tmpfs } from './tmpfs.js';

const node = process.execPath;
const started: RunningDaemon[] = [];
const mounts: Tmpfs[] = [];
const roots: string[] = [];

afterEach(async () => {
  for (const d of started.splice(0)) {
    if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
    await d.exited;
  }
  for (const mount of mounts.splice(0)) await mount.unmount();
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** A config dir on the normal disk, the state dir on a fresh 2 MiB tmpfs, one every-second schedule. */
async function setup(): Promise<{ dir: string; state: string; disk: Tmpfs }> {
  const { root, dir } = await makeDirs('cronops-disk-');
  roots.push(root);
  const disk = await mountTmpfs('2m');
  mounts.push(disk);
  await writeManifest(
    dir,
    'tick.yaml',
    manifest('tick', {
      schedule: '*/1 * * * * *',
      task: { command: [node, join(JOBS, 'exit-0.js')] },
      // Every run of the test stays in the history (retention would drop the oldest successes).
      history: { successfulRunsLimit: 1000, failedRunsLimit: 1000 },
    }),
  );
  return { dir, state: join(disk.dir, 'state'), disk };
}

function daemon(dir: string, state: string): RunningDaemon {
  const d = startDaemon(['--dir', dir, '--state-dir', state, '--listen', '127.0.0.1:0']);
  started.push(d);
  return d;
}

interface LogLine {
  msg: string;
  level: number;
  runId?: string;
  schedule?: string;
  scheduledAt?: string;
  status?: string;
}

function logLines(d: RunningDaemon, from = 0): LogLine[] {
  return d
    .output()
    .slice(from)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

/** Runs the daemon logged as started (from output offset `from`). */
function startedRuns(d: RunningDaemon, from = 0): LogLine[] {
  return logLines(d, from).filter((line) => line.msg === 'run started');
}

async function urlOf(d: RunningDaemon): Promise<string> {
  return waitFor(
    'the listening url',
    () => /"url":"(http:\/\/[^"]+)"/.exec(d.output())?.[1],
    30_000,
  );
}

async function readyz(url: string): Promise<{ status: number; reasons: string[] }> {
  const res = await fetch(`${url}/readyz`);
  const body = (await res.json()) as { reasons?: string[] };
  return { status: res.status, reasons: body.reasons ?? [] };
}

/** No instant ran twice, and no missed record covers an instant that ran. */
function checkNeverTwice(runs: readonly StoredRun[]): void {
  const ran = runs.filter((run) => run.status !== 'missed' && run.status !== 'skipped');
  const instants = ran.map((run) => run.scheduledAt);
  expect(new Set(instants).size).toBe(instants.length);
  for (const missed of runs.filter((run) => run.missed !== undefined)) {
    const covered = instants.filter(
      (at) => at >= missed.missed!.first && at <= missed.missed!.last,
    );
    expect(covered, `missed ${missed.missed!.first}..${missed.missed!.last}`).toEqual([]);
  }
}

describe('e2e/disk', { timeout: 180_000 }, () => {
  it('starts on a full state disk: fires run, /readyz is 503 with the reason, a warning is logged', async () => {
    const { dir, state, disk } = await setup();
    const first = daemon(dir, state);
    await waitFor(
      'two recorded runs',
      async () => (await readRuns(state, 'tick')).length >= 2,
      30_000,
    );
    expect(await stopDaemon(first)).toEqual({ code: 0, signal: null });
    await disk.fill();
    const second = daemon(dir, state);
    const url = await urlOf(second);
    const ready = await waitFor(
      '/readyz 503',
      async () => {
        const answer = await readyz(url);
        return answer.status === 503 ? answer : undefined;
      },
      30_000,
    );
    expect(ready.reasons.join('; ')).toMatch(/history not writable: .*ENOSPC/);
    await waitFor(
      'three runs started on the full disk',
      () => startedRuns(second).length >= 3,
      30_000,
    );
    const warned = logLines(second).find((line) =>
      line.msg.startsWith('starting on a state directory that cannot be written'),
    );
    expect(warned?.level).toBe(40);
    expect(second.output()).not.toMatch(/cronops: ENOSPC/);
    // Space returns: the runs kept in memory reach the disk.
    await disk.free();
    const ids = startedRuns(second).map((line) => line.runId);
    await waitFor(
      'the runs of the full disk on disk',
      async () => {
        const recorded = new Set((await readRuns(state, 'tick')).map((run) => run.id));
        return ids.every((id) => recorded.has(id!));
      },
      30_000,
    );
    await waitFor('/readyz 200', async () => (await readyz(url)).status === 200, 30_000);
    expect(await stopDaemon(second)).toEqual({ code: 0, signal: null });
    checkNeverTwice(await readRuns(state, 'tick'));
  });

  it('fires keep running while the disk is full; once space returns every run has its correct record', async () => {
    const { dir, state, disk } = await setup();
    const d = daemon(dir, state);
    const url = await urlOf(d);
    await waitFor(
      'two recorded runs',
      async () => (await readRuns(state, 'tick')).length >= 2,
      30_000,
    );
    const mark = d.output().length;
    await disk.fill();
    await waitFor('/readyz 503', async () => (await readyz(url)).status === 503, 30_000);
    await waitFor(
      'five runs started on the full disk',
      () => startedRuns(d, mark).length >= 5,
      30_000,
    );
    await disk.free();
    await waitFor('/readyz 200', async () => (await readyz(url)).status === 200, 30_000);
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    const logged = startedRuns(d);
    const finished = new Map(
      logLines(d)
        .filter((line) => line.msg.startsWith('run ') && line.msg !== 'run started')
        .map((line) => [line.runId, line.msg.slice('run '.length)]),
    );
    const runs = await readRuns(state, 'tick');
    const byId = new Map(runs.map((run) => [run.id, run]));
    // Every run that started has its record, with the status the daemon logged when it ended.
    for (const line of logged) {
      expect(byId.get(line.runId!)?.status, line.runId).toBe(
        finished.get(line.runId) ?? 'interrupted',
      );
      expect(byId.get(line.runId!)?.scheduledAt).toBe(line.scheduledAt);
    }
    console.log(
      `disk full then freed: ${logged.length} runs started, ${logged.filter((l) => byId.has(l.runId!)).length} recorded (${startedRuns(d, mark).length} while full)`,
    );
    expect(runs.filter((run) => run.status === 'missed')).toEqual([]);
    checkNeverTwice(runs);
  });

  it('kill -9 while the disk is full, restart once space returns: no run that ran becomes missed, none runs twice', async () => {
    const { dir, state, disk } = await setup();
    const first = daemon(dir, state);
    await urlOf(first);
    await waitFor(
      'two recorded runs',
      async () => (await readRuns(state, 'tick')).length >= 2,
      30_000,
    );
    const mark = first.output().length;
    await disk.fill();
    // Past a journal checkpoint (every 60 s): runs only in memory must keep their intents through it.
    await new Promise((resolve) => setTimeout(resolve, 65_000));
    const ran = startedRuns(first);
    const whileFull = startedRuns(first, mark);
    expect(whileFull.length).toBeGreaterThanOrEqual(30);
    first.proc.kill('SIGKILL');
    await first.exited;
    await disk.free();
    const second = daemon(dir, state);
    await urlOf(second);
    await waitFor(
      'a record for every run that ran',
      async () => {
        const recorded = new Set((await readRuns(state, 'tick')).map((run) => run.id));
        return ran.every((line) => recorded.has(line.runId!));
      },
      60_000,
    ).catch(async (err: unknown) => {
      const recorded = new Map((await readRuns(state, 'tick')).map((run) => [run.id, run]));
      const missing = ran.filter((line) => !recorded.has(line.runId!));
      throw new Error(
        `${String(err)}: ${missing.length} of ${ran.length} runs have no record (${missing
          .slice(0, 5)
          .map((line) => `${line.runId} ${line.scheduledAt}`)
          .join(', ')}); on disk: ${[...recorded.values()]
          .map((run) => `${run.scheduledAt.slice(11, 19)} ${run.status}`)
          .join(', ')}; second daemon: ${logLines(second)
          .filter((line) => line.level >= 40)
          .map((line) => line.msg)
          .join(' | ')}`,
      );
    });
    await waitFor('two runs after the restart', () => startedRuns(second).length >= 2, 30_000);
    expect(await stopDaemon(second)).toEqual({ code: 0, signal: null });
    const runs = await readRuns(state, 'tick');
    const byId = new Map(runs.map((run) => [run.id, run]));
    for (const line of ran) {
      // Finished before the disk filled: succeeded; ran while it was full: the outcome died with the daemon.
      expect(['succeeded', 'interrupted'], line.runId).toContain(byId.get(line.runId!)?.status);
    }
    const recovered = whileFull.filter((line) => byId.get(line.runId!)?.status === 'interrupted');
    console.log(
      `kill -9 on a full disk: ${ran.length} runs started (${whileFull.length} while full), ${ran.filter((l) => byId.has(l.runId!)).length} recorded after the restart, ${recovered.length} interrupted, ${runs.filter((r) => r.status === 'missed').length} missed records`,
    );
    checkNeverTwice(runs);
  });

  it('when the reserve itself is exhausted, a fire is not started: it is recorded missed with the reason', async () => {
    const { dir, state, disk } = await setup();
    await mkdir(state, { recursive: true });
    // A disk with 128 KiB left: the journal takes half of it. Its ring is then filled with fires of another
    // schedule whose runs never reached the history (a crash on a full disk).
    await disk.fill(128 * 1024);
    const journal = createFireJournal(state);
    let n = 0;
    const ghost = (count: number): FireIntent[] =>
      Array.from({ length: count }, () => {
        n += 1;
        return {
          runId: `01GHOST${String(n).padStart(19, '0')}`,
          schedule: 'ghost',
          scheduledAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
          trigger: 'schedule' as const,
          specHash: 'x',
        };
      });
    for (const size of [50, 5, 1]) {
      for (;;) {
        const full = await journal.append(ghost(size)).then(
          () => false,
          () => true,
        );
        if (full) break;
      }
    }
    await journal.close();
    await disk.fill();
    const d = daemon(dir, state);
    const url = await urlOf(d);
    const refused = await waitFor(
      'a fire refused for lack of a durable intent',
      () => logLines(d).find((line) => line.msg === 'fires missed' && line.level === 50),
      30_000,
    );
    expect(refused.level).toBe(50);
    expect(refused.schedule).toBe('tick');
    // The status follows the failed append within moments (the error line is written at once).
    const ready = await waitFor(
      '/readyz to name the journal',
      async () => {
        const answer = await readyz(url);
        return /fire journal: the fire journal's reserve is exhausted/.test(
          answer.reasons.join('; '),
        )
          ? answer
          : undefined;
      },
      10_000,
    );
    expect(ready.status).toBe(503);
    expect(startedRuns(d)).toEqual([]);
    await disk.free();
    const missed = await waitFor(
      'the missed record on disk',
      async () =>
        (await readRuns(state, 'tick')).find(
          (run) => run.status === 'missed' && run.id === refused.runId,
        ),
      30_000,
    );
    expect(missed.reason).toMatch(
      /could not be made durable before its start \(.*reserve is exhausted.*\); it was not started, so that it can never run twice/,
    );
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
  });
});
