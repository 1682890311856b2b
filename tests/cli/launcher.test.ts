// End-to-end test of how the `cronops` program starts node: through its first lines, with the daemon's V8 flags.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const roots: string[] = [];

afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

/** A temp directory holding `cronops`, a symbolic link to the built CLI (what npm puts in `.bin`). */
async function linkedCli(): Promise<{ root: string; bin: string }> {
  const root = await mkdtemp(join(tmpdir(), 'cronops-launcher-'));
  roots.push(root);
  const bin = join(root, 'cronops');
  await symlink(CLI, bin);
  return { root, bin };
}

describe('the cronops program', () => {
  it('runs through a link as npm installs it, and answers like `node main.js`', async () => {
    const { bin } = await linkedCli();
    const viaLink = await execa(bin, ['--version'], { reject: false });
    const viaNode = await execa('node', [CLI, '--version'], { reject: false });
    expect(viaLink.exitCode).toBe(0);
    expect(viaLink.stderr).toBe('');
    expect(viaLink.stdout).toBe(viaNode.stdout);
  });

  it('starts the daemon as node with a 1 MiB young generation semi-space', async () => {
    const { root, bin } = await linkedCli();
    const daemon = spawn(
      bin,
      ['run', '--dir', root, '--state-dir', join(root, 'state'), '--listen', 'off'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const started = new Promise<void>((resolve, reject) => {
        let out = '';
        daemon.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('cronops started')) resolve();
        });
        daemon.on('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
      });
      await started;
      // exec replaced the shell: the pid is node's, with the flag before the script.
      const argv = (await readFile(`/proc/${daemon.pid}/cmdline`, 'utf8')).split('\0');
      expect(argv.slice(1, 3)).toEqual(['--max-semi-space-size=1', bin]);
    } finally {
      daemon.kill('SIGTERM');
      await new Promise((resolve) => daemon.once('exit', resolve));
    }
  }, 20_000);
});
