// A template value in a shell task is data, never code: the real daemon and `cronops exec` run a param built
// to break out of quotes, and it arrives byte for byte while the command it carries never runs.
import { execFile } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CLI,
  manifest,
  readRuns,
  stopDaemon,
  waitFor,
  writeManifest,
  useDaemons,
} from './daemon-harness.js';

const run = promisify(execFile);
const INJECTION = `'; touch pwned; '`;
const QUOTE_BREAKER = `"; touch pwned2; "`;
const SHELL = `printf '[%s]\\n' {{ params.v }} "in {{ params.v }}" {{ params.w }} "in {{ params.w }}" {{ params.list }}`;
const EXPECTED = [
  `[${INJECTION}]`,
  `[in ${INJECTION}]`,
  `[${QUOTE_BREAKER}]`,
  `[in ${QUOTE_BREAKER}]`,
  `[["a b","c"]]`,
  '',
].join('\n');

const { setup, daemon } = useDaemons('cronops-e2e-shell-');

async function setUp(schedule: string): Promise<{ dir: string; state: string; work: string }> {
  const { root, dir, state } = await setup();
  const work = join(root, 'work');
  await mkdir(work);
  await writeManifest(
    dir,
    'inject.yaml',
    manifest('inject', {
      schedule,
      params: { v: INJECTION, w: QUOTE_BREAKER, list: ['a b', 'c'] },
      task: { shell: SHELL, workingDir: work },
    }),
  );
  return { dir, state, work };
}

describe('e2e/shell-templates', { timeout: 60_000 }, () => {
  it('the daemon passes a quote-breaking param intact and runs none of it', async () => {
    const { dir, state, work } = await setUp('*/1 * * * * *');
    const d = daemon(['--dir', dir, '--state-dir', state, '--listen', 'off']);
    const done = await waitFor(
      'a finished run that started a process',
      async () =>
        (await readRuns(state, 'inject')).find(
          (r) => r.attempts.length > 0 && r.status !== 'running',
        ),
      30_000,
    );
    await stopDaemon(d);
    expect(done.status).toBe('succeeded');
    expect(done.attempts[0]?.outputTail).toBe(EXPECTED);
    expect(await readdir(work)).toEqual([]);
  });

  it('`cronops exec` renders the same way', async () => {
    const { dir, work } = await setUp('0 0 1 1 *');
    const { stdout } = await run(process.execPath, [CLI, 'exec', 'inject', '--dir', dir], {
      timeout: 30_000,
    });
    expect(stdout).toBe(EXPECTED);
    expect(await readdir(work)).toEqual([]);
  });
});
