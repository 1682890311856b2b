// The dashboard in a real browser against the real daemon: schedules, live runs, filters, the run view, phone width, config errors.
import { rm } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from './browser.js';
import {
  makeDirs,
  manifest,
  startDaemon,
  stopDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
} from './daemon-harness.js';

// The functions passed to waitForFunction/evaluate run in the page; this project compiles without
// the DOM library, so the little of it they use is declared here.
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  body: { scrollWidth: number };
  documentElement: { scrollWidth: number };
};
declare const window: { innerWidth: number; notReloaded?: boolean };

const MARKER = 'cronops-dashboard-output-7f3a';
const WAIT = { timeout: 10_000 };

const BROKEN = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: broken
spec:
  schedule: '0 3 * * *'
  timezone: Europe/Berln
  task:
    shell: 'true'
`;

let browser: LaunchedBrowser | undefined;
let daemon: RunningDaemon | undefined;
let root = '';
let url = '';
const pages: Page[] = [];
/** Page errors, console errors (CSP violations among them) and requests that left the daemon. */
const problems: string[] = [];

async function openDashboard(viewport = { width: 1280, height: 800 }): Promise<Page> {
  if (browser === undefined) throw new Error('Chromium did not start (see the error of beforeAll)');
  const page = await browser.context.newPage();
  pages.push(page);
  await page.setViewportSize(viewport);
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(url))
      problems.push(`request outside the daemon: ${request.url()}`);
  });
  await page.goto(url);
  await page.locator('tr[data-schedule]').first().waitFor(WAIT);
  return page;
}

/** The schedule names shown in the schedules table, in order. */
function shownSchedules(page: Page): Promise<string[]> {
  return page
    .locator('tr[data-schedule]')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-schedule') ?? ''));
}

beforeAll(async () => {
  const dirs = await makeDirs('cronops-dashboard-');
  root = dirs.root;
  await writeManifest(
    dirs.dir,
    'jobs.yaml',
    manifest('ok-job', { schedule: '*/1 * * * * *', task: { shell: `echo ${MARKER}` } }).replace(
      '"name": "ok-job"',
      '"name": "ok-job", "labels": { "team": "data" }',
    ),
    manifest('fails-job', {
      schedule: '*/1 * * * * *',
      task: { shell: 'echo oops; exit 3' },
    }).replace('"name": "fails-job"', '"name": "fails-job", "labels": { "team": "web" }'),
    manifest('nightly', {
      schedule: '30 2 * * *',
      timezone: 'Europe/Berlin',
      task: { shell: 'true' },
    }),
  );
  await writeManifest(dirs.dir, 'broken.yaml', BROKEN);
  daemon = startDaemon(['--dir', dirs.dir, '--state-dir', dirs.state, '--listen', '127.0.0.1:0']);
  url = await waitFor('the status endpoint URL in the log', () => {
    const match = /"url":"(http:\/\/[^"]+)"/.exec(daemon!.output());
    return match?.[1];
  });
  // Launching last: when Chromium is missing, this throws a clear error and every test fails.
  browser = await launchBrowser();
}, 60_000);

afterEach(async () => {
  for (const page of pages.splice(0)) await page.close().catch(() => undefined);
  const seen = problems.splice(0);
  expect(seen).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  if (daemon) await stopDaemon(daemon);
  if (root) await rm(root, { recursive: true, force: true });
});

describe('e2e/dashboard', () => {
  it('shows every schedule with its health, schedule and labels, and the daemon state in the header', async () => {
    const page = await openDashboard();
    await page.waitForFunction(
      () => document.querySelectorAll('tr[data-schedule]').length === 3,
      null,
      WAIT,
    );
    expect(await shownSchedules(page)).toEqual(['fails-job', 'nightly', 'ok-job']);
    const nightly = page.locator('tr[data-schedule="nightly"]');
    expect(await nightly.innerText()).toContain('Europe/Berlin');
    expect(await nightly.innerText()).toContain('30 2 * * *');
    await page.waitForFunction(
      () =>
        document.querySelector('tr[data-schedule="fails-job"] .health')?.textContent === 'failing',
      null,
      WAIT,
    );
    expect(await page.locator('tr[data-schedule="ok-job"] .chip').innerText()).toBe('team=data');
    expect(await page.locator('#version').innerText()).toMatch(/^v\d+\.\d+\.\d+/);
    expect(await page.locator('#facts').innerText()).toMatch(/Config: 1 error/);
    expect(await page.locator('#activity').innerText()).toMatch(/^(Idle|Running: \S+)/);
    await page.waitForFunction(
      () =>
        /Next: \S+ (in \d|due now)/.test(
          document.querySelector('#activity-next')?.textContent ?? '',
        ),
      null,
      WAIT,
    );
    // The timeline has one lane per schedule: a tick for the daily job, and a cadence label,
    // not a solid band, for each every-second job.
    await page.waitForSelector('#timeline-chart text.lane-name', WAIT);
    expect(await page.locator('#timeline-chart text.lane-name').count()).toBe(3);
    expect(await page.locator('#timeline-chart .tick').count()).toBe(1);
    expect(await page.locator('#timeline-chart .band').count()).toBe(0);
    expect(
      await page
        .locator('#timeline-chart text.cadence-label')
        .evaluateAll((labels) => labels.map((label) => label.textContent)),
    ).toEqual(['every 1s', 'every 1s']);
  });

  it('shows config errors with file:line:col and the message', async () => {
    const page = await openDashboard();
    const section = page.locator('#config-errors');
    await section.waitFor({ state: 'visible', ...WAIT });
    const text = await section.innerText();
    expect(text).toMatch(/broken\.yaml:\d+:\d+/);
    expect(text).toContain('Europe/Berln');
  });

  it('adds runs to the history live, without reloading the page', async () => {
    const page = await openDashboard();
    await page.waitForFunction(
      () => document.querySelectorAll('[data-run-row]').length > 0,
      null,
      WAIT,
    );
    await page.evaluate(() => {
      window.notReloaded = true;
    });
    const newest = await page.locator('[data-run-row]').first().getAttribute('data-run-row');
    await page.waitForFunction(
      () => document.querySelector('#connection')?.textContent === 'Live',
      null,
      WAIT,
    );
    // Well within the 10 s polling fallback: the event stream brought it.
    await page.waitForFunction(
      (before) => {
        const first = document.querySelector('[data-run-row]')?.getAttribute('data-run-row') ?? '';
        return first > (before ?? '');
      },
      newest,
      { timeout: 5_000 },
    );
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
  });

  it('filters the history by status', async () => {
    const page = await openDashboard();
    await page.locator('#run-status').selectOption('failed');
    await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('[data-run-row]')];
        return (
          rows.length > 0 &&
          rows.every((row) => row.querySelector('.badge')?.textContent === 'failed')
        );
      },
      null,
      WAIT,
    );
    const schedules = await page.locator('[data-run-row] td:nth-child(2)').allInnerTexts();
    expect(new Set(schedules)).toEqual(new Set(['fails-job']));
  });

  it('filters schedules and runs by label, from a chip or from the select', async () => {
    const page = await openDashboard();
    await page.locator('tr[data-schedule="fails-job"] .chip', { hasText: 'team=web' }).click();
    await page.waitForFunction(
      () => document.querySelectorAll('tr[data-schedule]').length === 1,
      null,
      WAIT,
    );
    expect(await shownSchedules(page)).toEqual(['fails-job']);
    expect(await page.locator('#label-filter').inputValue()).toBe('team=web');

    await page.locator('#label-filter').selectOption('team=data');
    await page.waitForFunction(
      () => document.querySelector('tr[data-schedule]')?.getAttribute('data-schedule') === 'ok-job',
      null,
      WAIT,
    );
    expect(await shownSchedules(page)).toEqual(['ok-job']);
    await page.waitForFunction(
      () => {
        const cells = [...document.querySelectorAll('[data-run-row] td:nth-child(2)')];
        return cells.length > 0 && cells.every((cell) => cell.textContent === 'ok-job');
      },
      null,
      WAIT,
    );

    await page.locator('#label-filter').selectOption('');
    await page.waitForFunction(
      () => document.querySelectorAll('tr[data-schedule]').length === 3,
      null,
      WAIT,
    );
    await page.locator('#schedule-filter').fill('night');
    await page.waitForFunction(
      () => document.querySelectorAll('tr[data-schedule]').length === 1,
      null,
      WAIT,
    );
    expect(await shownSchedules(page)).toEqual(['nightly']);
  });

  it("opens a run and shows each attempt's exit code and output tail", async () => {
    const page = await openDashboard();
    await page.locator('#run-schedule').selectOption('ok-job');
    await page.locator('#run-status').selectOption('succeeded');
    const button = page.locator('[data-run-row] button[data-run]').first();
    await button.waitFor(WAIT);
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-run-row] td:nth-child(2)')].every(
          (cell) => cell.textContent === 'ok-job',
        ),
      null,
      WAIT,
    );
    await page.locator('[data-run-row] button[data-run]').first().click();
    const dialog = page.locator('#run-view');
    await dialog.locator('pre.output', { hasText: MARKER }).waitFor(WAIT);
    const text = await dialog.innerText();
    expect(text).toContain('ok-job');
    expect(text).toContain('exit code 0');
    expect(text).toContain('Attempt 1');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', ...WAIT });
  });

  it('fits a phone screen (390×844) without horizontal scrolling', async () => {
    const page = await openDashboard({ width: 390, height: 844 });
    await page.waitForFunction(
      () => document.querySelectorAll('[data-run-row]').length > 0,
      null,
      WAIT,
    );
    const widths = await page.evaluate(() => ({
      viewport: window.innerWidth,
      document: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
    }));
    expect(widths.document).toBeLessThanOrEqual(widths.viewport);
    expect(widths.body).toBeLessThanOrEqual(widths.viewport);
    // The tables are cards: no column headers, a label beside every value.
    expect(await page.locator('table.t-schedules thead').isHidden()).toBe(true);
    expect(await page.locator('table.t-runs thead').isHidden()).toBe(true);
  });

  // Last: it stops the daemon the other tests share.
  it('shows when the connection to the daemon drops', async () => {
    const page = await openDashboard();
    await page.waitForFunction(
      () => document.querySelector('#connection')?.textContent === 'Live',
      null,
      WAIT,
    );
    await stopDaemon(daemon!);
    await page.waitForFunction(
      () => /Reconnecting|Offline/.test(document.querySelector('#facts')?.textContent ?? ''),
      null,
      WAIT,
    );
    // The failed reconnects are the browser's own console errors, expected here.
    await page.close();
    problems.length = 0;
  });
});
