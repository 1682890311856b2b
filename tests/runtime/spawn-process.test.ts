// Starting a job's process without execa: how it ended, as the flags toRunOutcome takes.
import { describe, expect, it } from 'vitest';
import { spawnProcess } from '../../src/runtime/spawn-process.js';

describe('runtime/spawn-process', () => {
  it.each([
    ['exit 0', ['-c', 'exit 0'], { failed: false, isTerminated: false, exitCode: 0 }],
    ['exit 3', ['-c', 'exit 3'], { failed: true, isTerminated: false, exitCode: 3 }],
    ['a signal', ['-c', 'kill -USR1 $$'], { failed: true, isTerminated: true, signal: 'SIGUSR1' }],
  ])('%s', async (_what, args, end) => {
    const started = spawnProcess({ file: '/bin/sh', args, env: {} });
    started.stdout.resume();
    started.stderr.resume();
    expect(started.pid).toBeGreaterThan(0);
    expect(await started.ended).toEqual(end);
  });

  it('a missing file never starts: no pid, the spawn error code', async () => {
    const started = spawnProcess({ file: '/nonexistent/job', args: [], env: {} });
    expect(started.pid).toBeUndefined();
    expect(await started.ended).toEqual({ failed: true, isTerminated: false, code: 'ENOENT' });
  });

  it('starts the process in a group of its own, with the given env, cwd and input', async () => {
    const started = spawnProcess({
      file: '/bin/sh',
      args: ['-c', 'echo "$(ps -o pgid= -p $$ | tr -d " ") $GREETING $(pwd) $(cat)"'],
      env: { PATH: process.env['PATH'], GREETING: 'hello' },
      cwd: '/tmp',
      input: 'piped',
    });
    let out = '';
    started.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    started.stderr.resume();
    expect(await started.ended).toMatchObject({ failed: false, exitCode: 0 });
    expect(out).toBe(`${started.pid} hello /tmp piped\n`);
  });
});
