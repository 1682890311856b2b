// Regenerates the dashboard screenshots in docs/images/ from a real daemon running the sample and example schedules.
//
//   npm run build && node scripts/screenshots.js
//
// Needs Chromium at /usr/bin/chromium (Debian: apt-get install -y chromium) and playwright-core
// (a devDependency). The daemon runs on copies of schedules.d/ and of the example manifests in a
// temp directory. To have some history to show, the sample jobs and one example (whose program is
// not installed here, so its runs fail) first fire every few seconds for a while; the daemon then
// restarts on the manifests exactly as written, on the same state directory. A generated fleet.yaml
// brings the dashboard to FLEET_TOTAL schedules (some failing, two every second, one whose active
// window has ended) to show it at scale; the desktop image has "Problems only" switched on.
/* global document, window, fetch -- used in functions that run in the page */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist/cli/main.js');
const IMAGES = join(ROOT, 'docs/images');
const HISTORY_SECONDS = 40;
const FLEET_TOTAL = 50;
const FLEET_NAMES = ['etl', 'report', 'backup', 'sync', 'cleanup', 'export', 'digest', 'rotate'];
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Faster schedules for the history phase: file, text as written, text used meanwhile. */
const SPEED_UPS = [
  ['hello.yaml', "schedule: '@every 30s'", "schedule: '@every 2s'"],
  ['disk-report.yaml', "schedule: '*/5 * * * *'", "schedule: '@every 5s'"],
  ['poster-badges.yaml', "schedule: '20 */2 * * *'", "schedule: '@every 9s'"],
];

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function copyManifests(dir) {
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(join(ROOT, 'schedules.d'))) {
    if (name.endsWith('.yaml')) await copyFile(join(ROOT, 'schedules.d', name), join(dir, name));
  }
  // Only the files directly in examples/ are manifests: compose/ and kubernetes/ are not, and
  // team-defaults/ has its own Defaults (one per directory).
  for (const name of await readdir(join(ROOT, 'examples'))) {
    if (name.endsWith('.yaml')) {
      await copyFile(join(ROOT, 'examples', name), join(dir, name));
    }
  }
}

/** One generated schedule of the fleet: its index picks its kind. */
function buildFleetSchedule(index) {
  const name = `${FLEET_NAMES[index % FLEET_NAMES.length]}-${String(index).padStart(2, '0')}`;
  const spec = { task: { shell: 'true' } };
  if (index === 0)
    Object.assign(spec, { schedule: '0 4 * * *', activeUntil: '2026-01-01T00:00:00Z' });
  else if (index === 1) spec.schedule = '@every 1s';
  else if (index === 2)
    Object.assign(spec, {
      schedule: '@every 1s',
      task: { shell: 'echo "upstream timed out" >&2; exit 1' },
    });
  else if (index % 9 === 4)
    Object.assign(spec, {
      schedule: '@every 7s',
      task: { shell: 'echo "no route to host" >&2; exit 1' },
    });
  else if (index % 3 === 0)
    Object.assign(spec, {
      schedule: `${(index * 7) % 60} ${index % 24} * * *`,
      timezone: 'Europe/Berlin',
    });
  else spec.schedule = `*/${(index % 4) * 5 + 10} * * * *`;
  return JSON.stringify({ apiVersion: 'cronops/v1', kind: 'Schedule', metadata: { name }, spec });
}

/** Add fleet.yaml to `dir` so that it holds FLEET_TOTAL schedules in all. */
async function writeFleet(dir) {
  let count = 0;
  for (const name of await readdir(dir)) {
    count += ((await readFile(join(dir, name), 'utf8')).match(/^kind: Schedule$/gm) ?? []).length;
  }
  const docs = Array.from({ length: Math.max(0, FLEET_TOTAL - count) }, (_, i) =>
    buildFleetSchedule(i),
  );
  await writeFile(join(dir, 'fleet.yaml'), docs.join('\n---\n') + '\n');
}

/** Switch the SPEED_UPS schedules to their fast form (`fast: true`) or back to the text as written. */
async function setSpeed(dir, fast) {
  for (const [file, original, quick] of SPEED_UPS) {
    const path = join(dir, file);
    const text = await readFile(path, 'utf8');
    const [search, replace] = fast ? [original, quick] : [quick, original];
    if (!text.includes(search)) throw new Error(`${file}: expected to find ${search}`);
    await writeFile(path, text.replace(search, replace));
  }
}

function startDaemon(dir, state, listen) {
  const proc = spawn(
    process.execPath,
    [CLI, 'run', '--dir', dir, '--state-dir', state, '--listen', listen, '--log-format', 'json'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  proc.stdout.on('data', (chunk) => (output += chunk.toString()));
  proc.stderr.on('data', (chunk) => (output += chunk.toString()));
  const exited = new Promise((done) => proc.on('exit', (code) => done(code)));
  return { proc, output: () => output, exited };
}

async function stopDaemon(daemon) {
  daemon.proc.kill('SIGTERM');
  const timer = setTimeout(() => daemon.proc.kill('SIGKILL'), 15_000);
  await daemon.exited;
  clearTimeout(timer);
}

async function waitForUrl(daemon) {
  for (let tries = 0; tries < 200; tries += 1) {
    const match = /"url":"(http:\/\/[^"]+)"/.exec(daemon.output());
    if (match) return match[1];
    await sleep(50);
  }
  throw new Error(`the daemon did not report its URL:\n${daemon.output()}`);
}

async function waitForDashboard(page) {
  await page.locator('tr[data-schedule]').first().waitFor({ timeout: 15_000 });
  await page.locator('[data-run-row]').first().waitFor({ timeout: 15_000 });
  await page.waitForFunction(
    () => !document.querySelector('.spark-empty')?.textContent?.includes('…'),
    null,
    {
      timeout: 15_000,
    },
  );
  await sleep(1_200);
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'cronops-screenshots-'));
  const dir = join(root, 'schedules.d');
  const state = join(root, 'state');
  const profile = join(root, 'chromium');
  let daemon;
  let context;
  try {
    await copyManifests(dir);
    await writeFleet(dir);
    await setSpeed(dir, true);
    process.stdout.write(`building ${HISTORY_SECONDS} s of history…\n`);
    daemon = startDaemon(dir, state, 'off');
    await sleep(HISTORY_SECONDS * 1_000);
    await stopDaemon(daemon);
    await setSpeed(dir, false);
    daemon = startDaemon(dir, state, '127.0.0.1:0');
    const url = await waitForUrl(daemon);

    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      colorScheme: 'light',
      viewport: { width: 1400, height: 1000 },
    });
    await mkdir(IMAGES, { recursive: true });

    const desktop = await context.newPage();
    await desktop.goto(url);
    await waitForDashboard(desktop);
    await desktop.locator('#problems-only').check();
    await sleep(500);
    // The whole page down to the first dozen runs of the history.
    const bottom = await desktop.evaluate(() => {
      const rows = document.querySelectorAll('[data-run-row]');
      const last = rows[Math.min(rows.length, 12) - 1];
      return Math.ceil(last.getBoundingClientRect().bottom + window.scrollY) + 1;
    });
    await desktop.screenshot({
      path: join(IMAGES, 'dashboard.png'),
      fullPage: true,
      clip: { x: 0, y: 0, width: 1400, height: bottom },
    });

    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(url);
    await waitForDashboard(phone);
    await phone.screenshot({ path: join(IMAGES, 'dashboard-phone.png') });

    const runId = await desktop.evaluate(async () => {
      const answer = await fetch('/api/v1/runs?schedule=disk-report&status=succeeded&limit=1');
      const body = await answer.json();
      return body.runs[0]?.id;
    });
    if (!runId) throw new Error('no succeeded disk-report run to show');
    const view = await context.newPage();
    await view.goto(url);
    await waitForDashboard(view);
    await view.locator('#run-schedule').selectOption('disk-report');
    await view.locator(`[data-run-row] button[data-run="${runId}"]`).click({ timeout: 15_000 });
    await view.locator('#run-view pre.output').first().waitFor({ timeout: 15_000 });
    // The click scrolled the history into view; show the top of the page behind the dialog.
    await view.evaluate(() => window.scrollTo(0, 0));
    await sleep(300);
    await view.screenshot({ path: join(IMAGES, 'run-view.png') });
    process.stdout.write(
      `wrote ${['dashboard.png', 'dashboard-phone.png', 'run-view.png'].map((name) => join('docs/images', name)).join(', ')}\n`,
    );
  } finally {
    await context?.close().catch(() => undefined);
    if (daemon && daemon.proc.exitCode === null && daemon.proc.signalCode === null)
      await stopDaemon(daemon);
    await rm(root, { recursive: true, force: true });
  }
}

await main();
