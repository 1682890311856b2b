// node-cron used by hand, for bench/cost.js: one `schedule()` per job, whose callback spawns `sh -c JOB`.
// `node bench/lib/node-cron-starter.js <spec.json>`, the spec being `{ "schedules": [{ "expression", "job" }] }`.
// Prints `ready <count>` on stdout once every task is scheduled; runs until it is killed (SIGTERM).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import cron from 'node-cron';

const { schedules } = JSON.parse(readFileSync(process.argv[2], 'utf8'));

/** Start the job and forget it, as a callback written by hand does; a failed spawn is reported, not fatal. */
function startJob(job) {
  const child = spawn('sh', ['-c', job], { stdio: 'ignore' });
  child.on('error', (error) => process.stderr.write(`spawn failed: ${error.message}\n`));
}

const tasks = schedules.map(({ expression, job }) =>
  cron.schedule(expression, () => startJob(job)),
);
process.stdout.write(`ready ${tasks.length}\n`);
