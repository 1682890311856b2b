// libfaketime for the daemon under test: a clock offset, or a clock the test steps while the daemon runs.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';

/** Where Debian's faketime package puts the library (the `faketime` command preloads the same one). */
const LIBRARIES = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
];

export function findLibfaketime(): string {
  const found = LIBRARIES.find((path) => existsSync(path));
  if (!found)
    throw new Error(
      `libfaketime not found (looked in ${LIBRARIES.join(', ')}); .ci/run installs faketime`,
    );
  return found;
}

/**
 * The environment that runs a process on a fake wall clock read from `file` (re-read every second), so the
 * test can step it. Monotonic time stays real: Node's timers and the daemon's step detection use it.
 */
export function faketimeEnv(file: string): NodeJS.ProcessEnv {
  return {
    LD_PRELOAD: findLibfaketime(),
    FAKETIME_TIMESTAMP_FILE: file,
    FAKETIME_CACHE_DURATION: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
    TZ: 'UTC',
  };
}

/** Set the fake clock: "+365d" (an offset from the real clock) or "@2027-12-06 19:10:00" (from that instant on). */
export async function setFakeClock(file: string, spec: string): Promise<void> {
  await writeFile(file, `${spec}\n`);
}
