// What docs/manifest.md says redaction catches and misses, checked on the real daemon: the exact secret value
// is replaced, a transformed one (base64, lower-cased) is not recognised.
import { describe, expect, it } from 'vitest';
import {
  manifest,
  readRuns,
  stopDaemon,
  waitFor,
  writeManifest,
  useDaemons,
} from './daemon-harness.js';

const { setup, daemon } = useDaemons('cronops-e2e-redact-');

describe('e2e/redaction-limits', { timeout: 60_000 }, () => {
  it('redacts the exact value only: the documented example', async () => {
    const { dir, state } = await setup();
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
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off'], {
      DOC_PGPASSWORD: 'Hunter2',
    });
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
