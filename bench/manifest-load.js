// Benchmark: loading a directory of 1,000 manifest files × 10 schedules (parse, validate, resolve).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadManifestDir } from '../dist/manifest/load.js';

const FILES = 1000;
const SCHEDULES_PER_FILE = 10;
const TARGET_MS = 3000;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'];

function renderFile(fileIndex) {
  let text = '# yaml-language-server: $schema=../schema/cronops.schema.json\n';
  for (let j = 0; j < SCHEDULES_PER_FILE; j++) {
    text += `---
apiVersion: cronops/v1
kind: Schedule
metadata:
  name: job-${fileIndex}-${j}
  description: Backup ${j} of group ${fileIndex}
  labels: { team: data, tier: critical }
spec:
  schedule: "${j} ${fileIndex % 24} * * *"
  timezone: ${ZONES[(fileIndex + j) % ZONES.length]}
  concurrencyPolicy: Forbid
  timeout: 15m
  retries: { limit: 2, backoff: exponential, delay: 30s, maxDelay: 10m }
  params: { retentionDays: 30, databases: [app, auth] }
  task:
    command: ["pg_dump", "-Fc", "-f", "/backups/{{ date }}-{{ params.databases.0 }}.dump"]
    env:
      PGHOST: db
      PGPASSWORD: { fromEnv: PGPASSWORD }
  output: { maxBytes: 64KiB }
  notify:
    - on: [failure, recovery]
      webhook: { url: "https://hooks.example/cron", headers: { Authorization: { fromEnv: HOOK_TOKEN } } }
`;
  }
  return text;
}

async function measure(dir) {
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const result = await loadManifestDir(dir);
  const cpu = process.cpuUsage(cpuStart);
  return { wallMs: performance.now() - wallStart, cpuMs: (cpu.user + cpu.system) / 1000, result };
}

const dir = await mkdtemp(join(tmpdir(), 'cronops-bench-manifest-'));
try {
  for (let i = 0; i < FILES; i++)
    await writeFile(join(dir, `group-${String(i).padStart(4, '0')}.yaml`), renderFile(i));
  await writeFile(
    join(dir, '00-defaults.yaml'),
    'apiVersion: cronops/v1\nkind: Defaults\nspec:\n  timezone: Europe/Berlin\n  retries: { limit: 1 }\n  task:\n    env: { TZ: Europe/Berlin }\n',
  );
  const cold = await measure(dir);
  const warm = [await measure(dir), await measure(dir), await measure(dir)];
  const bestWarm = warm.reduce((best, run) => (run.wallMs < best.wallMs ? run : best));
  for (const run of [cold, ...warm]) {
    if (
      run.result.issues.length > 0 ||
      run.result.schedules.length !== FILES * SCHEDULES_PER_FILE
    ) {
      throw new Error(
        `unexpected result: ${run.result.schedules.length} schedules, ${run.result.issues.length} issues`,
      );
    }
  }
  const pass = cold.wallMs < TARGET_MS;
  const row = (name, m) =>
    `| ${name} | ${m.result.files.length} | ${m.result.schedules.length} | ${m.wallMs.toFixed(0)} | ${m.cpuMs.toFixed(0)} |`;
  const load = loadavg()
    .map((value) => value.toFixed(1))
    .join(' / ');
  console.log(`## Manifest loading (${FILES} files × ${SCHEDULES_PER_FILE} schedules, with a Defaults document)

| run | files | schedules | wall ms | cpu ms |
| --- | ---: | ---: | ---: | ---: |
${row('first load (cold process)', cold)}
${row('reload (best of 3)', bestWarm)}

Machine: ${cpus().length} CPUs, load average ${load} (1 / 5 / 15 min) while measuring.

Target: the first load under ${TARGET_MS} ms wall time. **${pass ? 'PASS' : 'FAIL'}**
`);
  process.exitCode = pass ? 0 : 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
