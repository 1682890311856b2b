// Benchmark of `cronops render kubernetes` on 1,000 schedules: end to end (the real binary) and the pure renderer in process.
// Run with `node bench/render.js` after `npx tsc -p tsconfig.build.json`.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const SCHEDULES = 1_000;
const FILES = 100;
const RUNS = 5;
const TARGET_MS = 2_000;

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const { loadManifestDir } = await import(new URL('../dist/manifest/load.js', import.meta.url).href);
const { renderKubernetes } = await import(
  new URL('../dist/render/render-kubernetes.js', import.meta.url).href
);
const { formatRenderedYaml } = await import(
  new URL('../dist/render/format-output.js', import.meta.url).href
);

// Every one renders; '30 2 * * *' in Europe/Berlin also warns (DST), '@every 15m' warns (phase).
const EXPRESSIONS = [
  '30 2 * * *',
  '*/5 * * * *',
  '0 */6 * * *',
  '0 8-23 * * 1-5',
  '0 9 1,15 * *',
  '15 3 * * SUN',
  '@daily',
  '@every 15m',
];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Europe/London'];
const POLICIES = ['Forbid', 'Allow', 'Replace'];

function scheduleDocument(n) {
  const name = `job-${String(n).padStart(4, '0')}`;
  return `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: ${name}
  description: Generated schedule ${n} for the render benchmark
  labels: { team: team-${n % 7}, tier: ${n % 3 === 0 ? 'critical' : 'normal'} }
spec:
  schedule: '${EXPRESSIONS[n % EXPRESSIONS.length]}'
  timezone: ${ZONES[n % ZONES.length]}
  concurrencyPolicy: ${POLICIES[n % POLICIES.length]}
  timeout: ${5 + (n % 50)}m
  retries: { limit: ${n % 4}, backoff: exponential, delay: 30s, maxDelay: 10m }
  task:
    command: ['pg_dump', '-Fc', '-f', '/srv/{{ date }}-${name}.dump']
    env:
      PGHOST: db-${n % 5}.internal
      PGPASSWORD: { fromEnv: DB_PASSWORD_${n % 10} }
      CA: { fromFile: /run/secrets/ca-${n % 3}.pem }
`;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Preloaded into the measured process: reports its own CPU time (user + system) on stderr at
 * exit, so a busy machine's wall-clock noise can be told apart from the work done.
 */
const CPU_MARKER = 'cronops-bench-cpu-us=';
const REPORT_CPU = `data:text/javascript,process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('\\n${CPU_MARKER}'+(u.user+u.system))})`;

function time(args) {
  const began = performance.now();
  const result = spawnSync(process.execPath, ['--import', REPORT_CPU, CLI, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - began;
  if (result.status !== 0) throw new Error(`cronops ${args.join(' ')}: ${result.stderr}`);
  const cpu = Number(result.stderr.split(CPU_MARKER)[1] ?? NaN) / 1000;
  return { ms, cpu, stdout: result.stdout, stderr: result.stderr.split(CPU_MARKER)[0] };
}

const dir = await mkdtemp(join(tmpdir(), 'cronops-bench-render-'));
try {
  const perFile = SCHEDULES / FILES;
  for (let file = 0; file < FILES; file++) {
    const docs = [];
    for (let i = 0; i < perFile; i++) docs.push(scheduleDocument(file * perFile + i));
    await writeFile(join(dir, `team-${String(file).padStart(3, '0')}.yaml`), docs.join('---\n'));
  }
  const load = loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
  const floor = [];
  const end = [];
  const floorCpu = [];
  const endCpu = [];
  let last;
  for (let run = 0; run < RUNS; run++) {
    const validated = time(['validate', dir]);
    floor.push(validated.ms);
    floorCpu.push(validated.cpu);
    last = time(['render', 'kubernetes', '--dir', dir, '--image', 'registry.example/jobs:1']);
    end.push(last.ms);
    endCpu.push(last.cpu);
  }
  const cronJobs = (last.stdout.match(/^kind: CronJob$/gm) ?? []).length;
  const configMaps = (last.stdout.match(/^kind: ConfigMap$/gm) ?? []).length;
  const warnings = last.stderr.split('\n').filter((line) => line.includes(': warning: ')).length;

  // In process: the pure renderer and the YAML printing, on schedules already loaded.
  const loaded = await loadManifestDir(dir);
  const files = await Promise.all(
    loaded.files.map(async (f) => ({ path: f.file, text: await readFile(f.file, 'utf8') })),
  );
  const pure = [];
  for (let run = 0; run < RUNS; run++) {
    const began = performance.now();
    const result = renderKubernetes(
      loaded.schedules,
      files,
      { image: 'x', namePrefix: '' },
      new Date(),
    );
    formatRenderedYaml(result, undefined);
    pure.push(performance.now() - began);
  }

  const endMs = median(end);
  const pass = endMs < TARGET_MS && cronJobs === SCHEDULES;
  const row = (what, values, cpu, target = '', result = '') =>
    `| ${what} | ${median(values).toFixed(0)} | ${Math.min(...values).toFixed(0)} | ${Math.max(...values).toFixed(0)} | ${cpu === undefined ? '' : median(cpu).toFixed(0)} | ${target} | ${result} |`;
  console.log(`## render kubernetes: ${SCHEDULES.toLocaleString('en')} schedules in ${FILES} files (bench/render.js)

${SCHEDULES} schedules (8 expressions, 5 zones, 3 policies, retries, a \`fromEnv\` and a \`fromFile\` secret each) in ${FILES} files; ${RUNS} runs each, alternating. Floor: \`cronops validate\` on the same directory in the same run (start Node, load and validate every file), which rendering must also do. Output: ${cronJobs} CronJobs, ${configMaps} ConfigMap(s), ${(Buffer.byteLength(last.stdout) / 1024).toFixed(0)} KiB of YAML, ${warnings} warnings. ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average at start (1 / 5 / 15 min) ${load}.

| what | wall median ms | wall min ms | wall max ms | CPU user+sys median ms | target | result |
| --- | ---: | ---: | ---: | ---: | ---: | --- |
${row('floor: `cronops validate DIR`', floor, floorCpu)}
${row('`cronops render kubernetes --dir DIR --image …` (end to end)', end, endCpu, `< ${TARGET_MS}`, pass ? 'PASS' : 'FAIL')}
${row('in process: renderKubernetes() + YAML text, schedules already loaded', pure)}

Overall: ${pass ? 'PASS' : 'FAIL'} (target: 1,000 schedules rendered end to end in under 2 s; render − floor = ${(endMs - median(floor)).toFixed(0)} ms)`);
  process.exitCode = pass ? 0 : 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
