// Runs every benchmark in bench/ in sequence and rewrites bench/RESULTS.md with their Markdown and the machine.
// `node bench/run.js` (or `npm run bench`) runs them all; `node bench/run.js lateness burst` runs only those and
// prints them without touching RESULTS.md. Build first: `npx tsc -p tsconfig.build.json`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const RESULTS = join(BENCH_DIR, 'RESULTS.md');
const SELF = basename(fileURLToPath(import.meta.url));

if (!existsSync(fileURLToPath(new URL('../dist/cli/main.js', import.meta.url)))) {
  process.stderr.write(
    'bench: dist/ is missing; build first with `npx tsc -p tsconfig.build.json`\n',
  );
  process.exit(2);
}

const all = (await readdir(BENCH_DIR))
  .filter((name) => name.endsWith('.js') && name !== SELF)
  .sort();
const wanted = process.argv.slice(2).map((arg) => (arg.endsWith('.js') ? arg : `${arg}.js`));
const unknown = wanted.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  process.stderr.write(
    `bench: no such benchmark: ${unknown.join(', ')} (have: ${all.join(', ')})\n`,
  );
  process.exit(2);
}
const scripts = wanted.length > 0 ? wanted : all;

/** Run one script with this Node; its stdout is echoed and kept, its stderr echoed and its tail kept. */
function runScript(name) {
  return new Promise((resolve) => {
    const began = Date.now();
    const child = spawn(process.execPath, [join(BENCH_DIR, name)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
      process.stderr.write(chunk);
    });
    child.on('error', (error) =>
      resolve({ name, code: null, stdout, stderr: String(error), seconds: 0 }),
    );
    child.on('close', (code, signal) =>
      resolve({ name, code: code ?? signal, stdout, stderr, seconds: (Date.now() - began) / 1000 }),
    );
  });
}

const startedAt = new Date();
const load = loadavg()
  .map((n) => n.toFixed(2))
  .join(' / ');
const sections = [];
const crashed = [];
for (const name of scripts) {
  process.stderr.write(`\n=== bench/${name}\n`);
  const result = await runScript(name);
  const section = [result.stdout.trim() || `## bench/${name}`];
  if (result.code !== 0) {
    // Some scripts exit non-zero when a target fails; one that printed nothing did not run to the end.
    if (result.stdout.trim() === '') crashed.push(name);
    section.push('', `*bench/${name} exited with ${result.code}.*`);
    const tail = result.stderr.trim().split('\n').slice(-15).join('\n');
    if (tail !== '') section.push('', '```', tail, '```');
  }
  sections.push(
    `${section.join('\n')}\n\n<sub>bench/${name}: ${result.seconds.toFixed(0)} s</sub>`,
  );
}

const cpu = cpus();
const header = [
  '# Benchmark results',
  '',
  `Written by \`node bench/run.js\` (\`npm run bench\`); see bench/README.md for what each benchmark measures and how to run it alone.`,
  '',
  '| machine | |',
  '| --- | --- |',
  `| Node | ${process.version} |`,
  `| CPU | ${cpu[0]?.model ?? 'unknown'} |`,
  `| cores | ${cpu.length} |`,
  `| memory | ${(totalmem() / 2 ** 30).toFixed(1)} GiB |`,
  `| kernel | ${release()} |`,
  `| date | ${startedAt.toISOString()} |`,
  `| load average at start (1 / 5 / 15 min) | ${load} |`,
  '',
].join('\n');

if (wanted.length > 0) {
  process.stderr.write(
    '\nbench: ran a selection; bench/RESULTS.md is only rewritten when every benchmark runs\n',
  );
} else {
  await writeFile(RESULTS, `${header}\n${sections.join('\n\n')}\n`);
  process.stderr.write(`\nbench: wrote ${RESULTS}\n`);
}
if (crashed.length > 0) {
  process.stderr.write(`bench: ${crashed.join(', ')} printed no results\n`);
  process.exitCode = 1;
}
