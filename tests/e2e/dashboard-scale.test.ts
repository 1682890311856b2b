// The dashboard with 50 schedules in a real browser against the real daemon: the Problems only filter, the phone layout, cadence labels.
import { rm } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

// The functions passed to waitForFunction/evaluate run in the page (this project has no DOM library).
interface PageElement {
  textContent: string | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  body: { scrollWidth: number };
  documentElement: { scrollWidth: number };
};
declare const window: { innerWidth: number };

const COUNT = 50;
/** Generous for a loaded 2-core machine: 50 schedules, some firing every second. */
const WAIT = { timeout: 30_000 };
const FAILING = ['fail-01', 'fail-02', 'fail-03'];
const EVERY_SECOND = 'tick-ok';

/** 3 failing every-second jobs, 1 healthy every-second job, 1 inactive, the rest daily or every few minutes. */
function buildFleet(): string[] {
  const docs = FAILING.map((name) =>
    manifest(name, { schedule: '*/1 * * * * *', task: { shell: 'exit 1' } }),
  );
  docs.push(manifest(EVERY_SECOND, { schedule: '*/1 * * * * *', task: { shell: 'true' } }));
  docs.push(
    manifest('retired', {
      schedule: '0 4 * * *',
      activeUntil: '2020-01-01T00:00:00Z',
      task: { shell: 'true' },
    }),
  );
  for (let index = docs.length; index < COUNT; index += 1) {
    const name = `daily-${String(index).padStart(2, '0')}`;
    const schedule = index % 2 ? `${index} ${index % 24} * * *` : `*/${(index % 20) + 5} * * * *`;
    docs.push(manifest(name, { schedule, task: { shell: 'true' } }));
  }
  return docs;
}

let browser: LaunchedBrowser | undefined;
let daemon: RunningDaemon | undefined;
let root = '';
let url = '';

async function openDashboard(viewport: { width: number; height: number }): Promise<Page> {
  if (browser === undefined) throw new Error('Chromium did not start (see the error of beforeAll)');
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  await page.goto(url);
  await page.waitForFunction(
    (count) => document.querySelectorAll('tr[data-schedule]').length === count,
    COUNT,
    WAIT,
  );
  return page;
}

beforeAll(async () => {
  const dirs = await makeDirs('cronops-dashboard-scale-');
  root = dirs.root;
  await writeManifest(dirs.dir, 'fleet.yaml', ...buildFleet());
  daemon = startDaemon(['--dir', dirs.dir, '--state-dir', dirs.state, '--listen', '127.0.0.1:0']);
  url = await waitFor('the status endpoint URL in the log', () => {
    const match = /"url":"(http:\/\/[^"]+)"/.exec(daemon!.output());
    return match?.[1];
  });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (daemon) await stopDaemon(daemon);
  if (root) await rm(root, { recursive: true, force: true });
});

describe('e2e/dashboard at scale (50 schedules)', () => {
  it('hides healthy schedules and keeps failing ones with Problems only', async () => {
    const page = await openDashboard({ width: 1400, height: 1000 });
    // Wait until every failing job has failed at least once.
    await page.waitForFunction(
      (names) =>
        names.every(
          (name) =>
            document.querySelector(`tr[data-schedule="${name}"] .health`)?.textContent ===
            'failing',
        ),
      FAILING,
      WAIT,
    );
    await page.locator('#problems-only').check();
    await page.waitForFunction(
      (count) => document.querySelectorAll('tr[data-schedule]').length === count,
      FAILING.length,
      WAIT,
    );
    const shown = await page
      .locator('tr[data-schedule]')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-schedule')));
    expect(shown.sort()).toEqual(FAILING);
    await page.locator('#problems-only').uncheck();
    await page.waitForFunction(
      (count) => document.querySelectorAll('tr[data-schedule]').length === count,
      COUNT,
      WAIT,
    );
    await page.close();
  }, 60_000);

  it('fits a phone screen (390×844) with 50 schedules, without horizontal scrolling', async () => {
    const page = await openDashboard({ width: 390, height: 844 });
    await page.waitForSelector('#timeline-chart text.lane-name', WAIT);
    const widths = await page.evaluate(() => ({
      viewport: window.innerWidth,
      document: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
    }));
    expect(widths.document).toBeLessThanOrEqual(widths.viewport);
    expect(widths.body).toBeLessThanOrEqual(widths.viewport);
    expect(await page.locator('table.t-schedules thead').isHidden()).toBe(true);
    // Compact cards: well under 100 px each (they were about 160 px with a line per field).
    const height = await page
      .locator('tr[data-schedule="daily-10"]')
      .evaluate((row) => row.getBoundingClientRect().height);
    expect(height).toBeLessThan(100);
    await page.close();
  }, 60_000);

  it('labels an every-second schedule with its cadence in the timeline', async () => {
    const page = await openDashboard({ width: 1400, height: 1000 });
    await page.waitForSelector('#timeline-chart text.lane-name', WAIT);
    expect(await page.locator('#timeline-chart text.lane-name').count()).toBe(COUNT);
    const labels = await page
      .locator('#timeline-chart text.cadence-label')
      .evaluateAll((nodes) => nodes.map((node) => node.textContent));
    // The four every-second jobs (the every-few-minutes ones that fire more than 144 times a day
    // have a label too, in minutes).
    expect(labels.filter((label) => label === 'every 1s')).toHaveLength(FAILING.length + 1);
    await page.close();
  }, 60_000);
});
