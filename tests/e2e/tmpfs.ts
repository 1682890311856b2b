// A real small tmpfs for disk-fault tests: mounted and unmounted by the test (CI runs as root).
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Tmpfs {
  /** The mount point. */
  dir: string;
  /** Write a filler file until the disk refuses a single page, then give `leaveBytes` back. */
  fill(leaveBytes?: number): Promise<void>;
  /** Remove the filler: space returns. */
  free(): Promise<void>;
  /** Unmount (lazily if busy) and remove the mount point; safe to call twice. */
  unmount(): Promise<void>;
}

export async function mountTmpfs(size = '2m'): Promise<Tmpfs> {
  const dir = await mkdtemp(join(tmpdir(), 'cronops-tmpfs-'));
  await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  let mounted = true;
  const filler = join(dir, 'filler');
  return {
    dir,
    async fill(leaveBytes = 0) {
      const handle = await open(filler, 'a');
      try {
        for (const chunk of [65_536, 4096, 512, 1]) {
          const bytes = Buffer.alloc(chunk, 0x78);
          for (;;) {
            try {
              await handle.write(bytes);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
        if (leaveBytes > 0) {
          const { size } = await handle.stat();
          await handle.truncate(Math.max(0, size - leaveBytes));
        }
      } finally {
        await handle.close();
      }
    },
    async free() {
      await rm(filler, { force: true });
    },
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
      await rmdir(dir).catch(() => undefined);
    },
  };
}
