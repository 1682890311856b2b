// The real daemon: SIGTERM in the middle of a burst of fires due at one instant.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifest, readRuns, waitFor, writeManifest, useDaemons } from './daemon-harness.js';

const { setup, daemon } = useDaemons('cronops-burst-');

const JOBS = 500;

describe('e2e/burst-shutdown', { timeout: 180_000 }, () => {
  it('SIGTERM during a burst stops starting fires within a second, records every fire, exits 0', async () => {
    const dirs = await setup();
    const { dir, state, root } = dirs;
    const log = join(root, 'starts.log');
    // One future second of the day, far enough ahead for start-up on a loaded machine.
    const instant = new Date(Math.ceil((Date.now() + 15_000) / 1000) * 1000);
    const cron = `${instant.getUTCSeconds()} ${instant.getUTCMinutes()} ${instant.getUTCHours()} * * *`;
    const docs: string[] = [];
    for (let i = 0; i < JOBS; i += 1) {
      const name = `burst-${String(i).padStart(3, '0')}`;
      // `>>` opens with O_APPEND: each start is one whole line, whatever the order.
      docs.push(
        manifest(name, {
          schedule: cron,
          timezone: 'UTC',
          task: { shell: `echo ${name} $(date +%s%N) >> ${log}` },
        }),
      );
    }
    await writeManifest(dir, 'burst.yaml', ...docs);
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    await waitFor('the daemon to start', () => d.output().includes('cronops started'), 60_000);
    expect(Date.now()).toBeLessThan(instant.getTime() - 500);
    await waitFor('the burst to begin', () => existsSync(log), 30_000);
    await new Promise((done) => setTimeout(done, 500));
    const signalledMs = Date.now();
    d.proc.kill('SIGTERM');
    const exit = await Promise.race([
      d.exited,
      new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), 60_000)),
    ]);
    const exitedMs = Date.now();
    expect(exit).toEqual({ code: 0, signal: null });

    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    const starts = lines.map((line) => {
      const [name, ns] = line.split(' ');
      return { name: name!, ms: Number(BigInt(ns!) / 1_000_000n) };
    });
    const first = Math.min(...starts.map((s) => s.ms));
    const last = Math.max(...starts.map((s) => s.ms));
    console.log(
      `burst: ${starts.length}/${JOBS} started; first start ${first - instant.getTime()} ms after the instant; ` +
        `last start ${last - signalledMs} ms after SIGTERM; exit ${exitedMs - signalledMs} ms after SIGTERM`,
    );
    // The signal came mid-burst: some fires started, the rest did not.
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.length).toBeLessThan(JOBS);
    // No job started more than about a second after the signal (its shell writes the line a little later).
    expect(last - signalledMs).toBeLessThan(1_500);

    // Every fire of the instant has exactly one record: run, or skipped with the reason.
    const startedNames = new Set(starts.map((s) => s.name));
    let skipped = 0;
    for (let i = 0; i < JOBS; i += 1) {
      const name = `burst-${String(i).padStart(3, '0')}`;
      const runs = (await readRuns(state, name)).filter(
        (r) => Date.parse(r.scheduledAt) === instant.getTime(),
      );
      expect(runs, name).toHaveLength(1);
      const run = runs[0]!;
      if (startedNames.has(name)) {
        expect(run.status, name).toBe('succeeded');
      } else {
        expect(run.status, name).toBe('skipped');
        expect(run.reason, name).toMatch(/shutting down|shut down before the fire started/);
        skipped += 1;
      }
    }
    expect(skipped + startedNames.size).toBe(JOBS);
  });
});
