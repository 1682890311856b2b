// Benchmark of `cronops validate` on a large directory: 1,000 files × 10 schedules (2,000 of them in
// `after` chains), end to end and in process; the same directory without chains is the floor.
// Run with `node bench/validate.js` after `npx tsc -p tsconfig.build.json`.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const FILES = 1_000;
const SCHEDULES_PER_FILE = 10;
const RUNS = 5;
const TARGET_MS = 3_000;
/** Schedules 0 and 1 of every file are in chains of CHAIN_LENGTH steps, one step per file. */
const CHAINED_PER_FILE = 2;
const CHAIN_LENGTH = 10;

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const LOAD = new URL('../dist/manifest/load.js', import.meta.url);

/**
 * Preloaded into the measured process: reports its own CPU time (user + system) on stderr at
 * exit, so a busy machine's wall-clock noise can be told apart from the work done.
 */
const CPU_MARKER = 'cronops-bench-cpu-us=';
const REPORT_CPU = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\n${CPU_MARKER}'+(u.user+u.system))})`;

const EXPRESSIONS = [
  '30 2 * * *',
  '*/5 * * * *',
  '0 */6 * * *',
  '0 8-23 * * 1-5',
  '0 9,15,21 * * 0,6',
  '0 9 1,15 * *',
  '15 3 * * sun',
  '0 0 1 jan,jul *',
  '*/30 * * * * *',
  '@daily',
  '@hourly',
  '@every 90s',
  '@every 1h30m',
  '0 0 L * *',
  '0 12 * * 5#2',
];
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Tokyo',
  'Europe/London',
  'Australia/Sydney',
];
const POLICIES = ['Forbid', 'Allow', 'Replace', 'Queue'];

/** The i-th schedule document: one of three task kinds, with templates, params, secrets and notifications. */
const nameOf = (file, index) => `job-${String(file).padStart(4, '0')}-${index}`;

/**
 * What starts the schedule: its expression, or for a chained step after the root, `after` the step in
 * the file before (every third one with times of its own as well, every seventh when: failed).
 */
function renderTrigger(file, index, expression, chains) {
  const step = file % CHAIN_LENGTH;
  if (!chains || index >= CHAINED_PER_FILE || step === 0) return `  schedule: '${expression}'\n`;
  const when = file % 7 === 0 ? 'failed' : 'succeeded';
  const own = file % 3 === 0 ? `  schedule: '${expression}'\n` : '';
  return `${own}  after:\n    - schedule: ${nameOf(file - 1, index)}\n      when: ${when}\n`;
}

function renderSchedule(file, index, chains) {
  const n = file * SCHEDULES_PER_FILE + index;
  const name = nameOf(file, index);
  const expression = EXPRESSIONS[n % EXPRESSIONS.length];
  const header = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: ${name}
  description: Generated schedule ${n} for the validate benchmark
  labels: { team: team-${n % 7}, tier: ${n % 3 === 0 ? 'critical' : 'normal'} }
spec:
${renderTrigger(file, index, expression, chains)}  timezone: ${ZONES[n % ZONES.length]}
  concurrencyPolicy: ${POLICIES[n % POLICIES.length]}
  startingDeadline: ${1 + (n % 4)}h
  timeout: ${5 + (n % 50)}m
  retries: { limit: ${n % 4}, backoff: exponential, delay: 30s, maxDelay: 10m }
  params:
    retentionDays: ${7 + (n % 60)}
    databases: [app, auth, billing]
    target: /srv/data/${name}
`;
  switch (n % 3) {
    case 0:
      return `${header}  task:
    command: ['pg_dump', '-Fc', '-f', '{{ params.target }}/{{ date }}-{{ params.databases.0 }}.dump', '{{ params.databases.1 }}']
    env:
      PGHOST: db-${n % 5}.internal
      PGPASSWORD: { fromEnv: PGPASSWORD }
      RUN_LABEL: '{{ name }}-{{ runId }}-{{ attempt }}'${chains && index < CHAINED_PER_FILE && file % CHAIN_LENGTH !== 0 ? "\n      UPSTREAM: '{{ upstream.schedule }}/{{ upstream.runId }} at {{ logicalTime }}'" : ''}
  output: { maxBytes: 64KiB }
  history: { successfulRunsLimit: 20, failedRunsLimit: 50 }
`;
    case 1:
      return `${header}  task:
    shell: find {{ params.target }} -mtime +{{ params.retentionDays }} -delete && echo "{{ datetime }} week {{ week }}"
    workingDir: /srv
  maxSuccessAge: 26h
  notify:
    - on: [failure, recovery]
      webhook: { url: 'https://hooks.example.com/cron/{{ name }}', headers: { Authorization: { fromFile: /run/secrets/hook } } }
`;
    default:
      return `${header}  task:
    http:
      url: 'http://media-${n % 9}:8096/Library/Refresh?run={{ runId }}'
      method: POST
      headers: { X-Emby-Token: { fromEnv: JELLYFIN_API_KEY } }
      body: { scheduled: '{{ scheduledTime }}', day: '{{ weekday }}', keep: '{{ params.retentionDays }}' }
      expectStatus: [200, '202-204']
`;
  }
}

async function generateDirectory(chains) {
  const dir = await mkdtemp(join(tmpdir(), 'cronops-bench-validate-'));
  await writeFile(
    join(dir, '00-defaults.yaml'),
    `apiVersion: cronops/v1
kind: Defaults
metadata:
  labels: { managed-by: bench }
spec:
  killGracePeriod: 15s
  jitter: 5s
  task:
    env: { ENVIRONMENT: production }
  notify:
    - on: [failure]
      command: ['/usr/local/bin/notify', '{{ name }}']
`,
  );
  for (let file = 0; file < FILES; file += 1) {
    const documents = [];
    for (let index = 0; index < SCHEDULES_PER_FILE; index += 1)
      documents.push(renderSchedule(file, index, chains));
    await writeFile(
      join(dir, `schedules-${String(file).padStart(4, '0')}.yaml`),
      documents.join('---\n'),
    );
  }
  return dir;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeCli(dir) {
  const durations = [];
  const cpu = [];
  let output = '';
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    const result = spawnSync(process.execPath, ['--import', REPORT_CPU, CLI, 'validate', dir], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    durations.push(performance.now() - started);
    if (result.status !== 0) {
      throw new Error(
        `cronops validate exited ${result.status}: ${(result.stdout + result.stderr).slice(0, 2000)}`,
      );
    }
    const marker = result.stderr.lastIndexOf(CPU_MARKER);
    if (marker >= 0) cpu.push(Number(result.stderr.slice(marker + CPU_MARKER.length)) / 1000);
    output = result.stdout.trim();
  }
  return { durations, cpu, output };
}

async function timeInProcess(dir) {
  const { loadManifestDir } = await import(LOAD.href);
  const durations = [];
  const cpu = [];
  let schedules = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    const startedCpu = process.cpuUsage();
    const result = await loadManifestDir(dir);
    durations.push(performance.now() - started);
    const used = process.cpuUsage(startedCpu);
    cpu.push((used.user + used.system) / 1000);
    if (result.issues.length > 0)
      throw new Error(`unexpected issues: ${JSON.stringify(result.issues.slice(0, 3))}`);
    schedules = result.schedules.length;
  }
  return { durations, cpu, schedules };
}

const format = (ms) => `${Math.round(ms)} ms`;

const dir = await generateDirectory(true);
const floorDir = await generateDirectory(false);
try {
  const cli = timeCli(dir);
  const inProcess = await timeInProcess(dir);
  const floor = timeCli(floorDir);
  const floorInProcess = await timeInProcess(floorDir);
  const cliMedian = median(cli.durations);
  const verdict = cliMedian < TARGET_MS ? 'PASS' : 'FAIL';
  const load = loadavg()
    .map((value) => value.toFixed(1))
    .join(' / ');
  const row = (label, result) =>
    `| ${label} | ${format(median(result.durations))} | ${result.cpu.length > 0 ? format(median(result.cpu)) : 'n/a'} | ${result.durations.map(format).join(', ')} |`;
  const chained = FILES * CHAINED_PER_FILE;
  const lines = [
    '## validate: 1,000 files × 10 schedules, 2,000 of them in `after` chains',
    '',
    `${FILES + 1} files (one \`Defaults\`), ${FILES * SCHEDULES_PER_FILE} schedules: ${EXPRESSIONS.length} cron/macro/@every expressions, ${ZONES.length} zones, command/shell/http tasks with templates, params, secrets and notifications. ${chained} schedules are in ${chained / CHAIN_LENGTH} chains of ${CHAIN_LENGTH} steps across ${CHAIN_LENGTH} files (\`after\`, some with times of their own too, some \`when: failed\`, \`{{ upstream.* }}\` templates). Floor: the same directory with every schedule on its own times (no \`after\`), measured in the same run. Median of ${RUNS} runs; Node ${process.version}, ${cpus().length} CPUs, load average ${load} (1/5/15 min) at the end.`,
    '',
    '| Measurement | Wall (median) | CPU user+sys (median) | Wall, each run |',
    '| --- | ---: | ---: | --- |',
    row('`node dist/cli/main.js validate DIR` (process start included)', cli),
    row('`loadManifestDir(DIR)` in process', inProcess),
    row('floor: `validate` of the same directory without chains', floor),
    row('floor: `loadManifestDir` without chains', floorInProcess),
    '',
    `CLI output: \`${cli.output}\`; schedules loaded in process: ${inProcess.schedules}. Chains cost ${format(median(inProcess.durations) - median(floorInProcess.durations))} in process over the floor.`,
    '',
    `Target: end to end (wall, median) under ${TARGET_MS / 1000} s. **${verdict}**`,
  ];
  console.log(lines.join('\n'));
  if (verdict === 'FAIL') process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
  await rm(floorDir, { recursive: true, force: true });
}
