// The floor for bench/cost.js: a bare Node loop that sleeps to one second of every minute and spawns each job.
// `node bench/lib/bare-loop.js <spec.json>`, the spec being `{ "second": S, "jobs": ["sh -c text", …], "output": bool }`:
// with `output`, each job's stdout and stderr are piped and read to the end, in its own process group, as
// cronops starts a job; without, they are discarded.
// Prints `ready <count>` on stdout, then fires at second S of every minute until it is killed (SIGTERM).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const { second, jobs, output = false } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const options = output
  ? { stdio: ['ignore', 'pipe', 'pipe'], detached: true }
  : { stdio: 'ignore' };
const discard = () => undefined;

/** The next instant at `second` of a minute, at least 50 ms ahead. */
function nextInstant(now) {
  const instant = Math.floor(now / 60_000) * 60_000 + second * 1000;
  return instant <= now + 50 ? instant + 60_000 : instant;
}

/** Sleep to `instant`: one long timer ending 0.2 % + 3 ms early (as the daemon does), then short timers. */
async function sleepUntil(instant) {
  const early = instant - Date.now() - (0.002 * (instant - Date.now()) + 3);
  if (early > 0) await sleep(early);
  while (Date.now() < instant) await sleep(Date.now() < instant - 1 ? 1 : 0);
}

process.stdout.write(`ready ${jobs.length}\n`);
for (;;) {
  await sleepUntil(nextInstant(Date.now()));
  // Every job is started in one loop, none awaited: what a scheduler facing a burst does.
  for (const job of jobs) {
    const child = spawn('sh', ['-c', job], options);
    child.on('error', (error) => process.stderr.write(`spawn failed: ${error.message}\n`));
    child.stdout?.on('data', discard);
    child.stderr?.on('data', discard);
  }
}
