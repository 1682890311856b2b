// The three job starters bench/cost.js runs side by side (the cronops daemon, node-cron by hand, a bare loop),
// started as processes of their own so that each one's CPU and memory can be read from /proc/<pid>.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manifest, spawnDaemon } from './daemon.js';

const SCRIPTS = {
  'node-cron': fileURLToPath(new URL('node-cron-starter.js', import.meta.url)),
  bare: fileURLToPath(new URL('bare-loop.js', import.meta.url)),
  floor: fileURLToPath(new URL('idle-floor.js', import.meta.url)),
};

/** Schedules per manifest file written for the daemon. */
const PER_FILE = 100;

/**
 * Follow a starter's stdout line by line: `ready` resolves with the first line `isReady` accepts, or rejects
 * when the process exits first (with the tail of its stderr).
 */
function follow(label, proc, isReady) {
  let stderr = '';
  proc.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)));
  const exited = new Promise((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise((resolve, reject) => {
    let buffered = '';
    proc.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (isReady(line)) resolve(line);
      }
      // Keep no more than a partial line: the daemon logs a line per run.
      if (buffered.length > 65_536) buffered = buffered.slice(-65_536);
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`${label} exited (${code ?? signal}) before it was ready: ${stderr}`)),
    );
  });
  return { label, proc, ready, exited };
}

/**
 * Write `schedules` ({ name, expression, job }) as daemon manifests in `dir` (PER_FILE a file), start the built
 * daemon on them and resolve, once it logged `cronops started` with all of them, with the starter.
 */
export async function startCronops(dir, state, schedules) {
  for (let start = 0; start < schedules.length; start += PER_FILE) {
    const docs = schedules
      .slice(start, start + PER_FILE)
      .map(({ name, expression, job }) =>
        manifest(name, { schedule: expression, task: { shell: job } }),
      );
    const file = `jobs-${String(start / PER_FILE).padStart(4, '0')}.yaml`;
    await writeFile(join(dir, file), docs.join('\n---\n'));
  }
  const proc = spawnDaemon(dir, state, { shutdownGrace: '5s' });
  const starter = follow('cronops', proc, (line) => line.includes('"cronops started"'));
  const started = JSON.parse(await starter.ready);
  if (started.schedules !== schedules.length)
    throw new Error(`cronops started ${started.schedules} schedules, expected ${schedules.length}`);
  return starter;
}

/**
 * Start node-cron by hand (`kind` 'node-cron', spec `{ schedules: [{ expression, job }] }`), the bare loop
 * (`kind` 'bare', spec `{ second, jobs }`) or the idle floor (`kind` 'floor', spec `{}`: a Node process that only
 * waits), the spec written to `specFile`; resolves once it printed `ready`.
 */
export async function startScript(kind, specFile, spec) {
  await writeFile(specFile, JSON.stringify(spec));
  const proc = spawn(process.execPath, [SCRIPTS[kind], specFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const starter = follow(kind, proc, (line) => line.startsWith('ready '));
  await starter.ready;
  return starter;
}

/** VmRSS and VmHWM (the peak) of a process, in MB, from /proc/<pid>/status. */
export function readMemoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}
