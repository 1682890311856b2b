// What docs/manifest.md says redaction catches and misses, checked on the real daemon: the exact secret value
// is replaced, a transformed one (base64, lower-cased) is not recognised.
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  makeDirs,
  manifest,
  readRuns,
  startDaemon,
  stopDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
} from './daemon-harness.js';

const started: RunningDaemon[] = [];
const roots: string[] = [];

afterEach(async () => {
  for (const d of started.splice(0)) {
    if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
  }
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe('e2e/redaction-limits', { timeout: 60_000 }, () => {
  it('redacts the exact value only: the documented example', async () => {
    const { root, dir, state } = await makeDirs('cronops-e2e-redact-');
    roots.push(root);
    await writeManifest(
      dir,
      'leak.yaml',
      manifest('leak', {
        schedule: '*/1 * * * * *',
        task: {
          shell: 'echo "$PGPASSWORD"; echo "$PGPASSWORD" | base64; echo "$PGPASSWORD" | tr A-Z a-z',
          env: { PGPASSWORD: { fromEnv: 'DOC_PGPASSWORD' } },
        },
      }),
    );
    const d = startDaemon(['--dir', dir, '--state-dir', state, '--listen', 'off'], {
      DOC_PGPASSWORD: 'Hunter2',
    });
    started.push(d);
    const run = await waitFor(
      'a finished run that started a process',
      async () =>
        (await readRuns(state, 'leak')).find(
          (r) => r.attempts.length > 0 && r.status !== 'running',
        ),
      30_000,
    );
    await stopDaemon(d);
    expect(run.status).toBe('succeeded');
    expect(run.attempts[0]?.outputTail).toBe('[redacted]\nSHVudGVyMgo=\nhunter2\n');
  });
});
