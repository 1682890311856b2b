// The run view of a pipeline (`spec.after`) in a real browser against the real daemon running a real
// three-step chain: the link to the upstream run, the runs a run started, the chain as one row of steps.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
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
  getBoundingClientRect(): { left: number; right: number; top: number; bottom: number };
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  body: { scrollWidth: number };
  documentElement: { scrollWidth: number };
};
declare const window: { innerWidth: number };

const WAIT = { timeout: 20_000 };

interface ApiChainRun {
  id: string;
  schedule: string;
  status: string;
  durationMs: number | null;
  upstream?: { schedule: string; runId: string; status: string };
  chainId?: string;
}

let browser: LaunchedBrowser | undefined;
let daemon: RunningDaemon | undefined;
let root = '';
let url = '';
/** A finished chain: extract → transform → load, by schedule. */
let chain: Record<string, ApiChainRun> = {};
const pages: Page[] = [];
const problems: string[] = [];

async function openRunView(id: string, viewport: { width: number; height: number }): Promise<Page> {
  if (browser === undefined) throw new Error('Chromium did not start (see the error of beforeAll)');
  const page = await browser.context.newPage();
  pages.push(page);
  await page.setViewportSize(viewport);
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  await page.goto(`${url}/#run=${id}`);
  await page.locator('#run-view .chain-steps li').nth(2).waitFor(WAIT);
  return page;
}

/** What the chain row shows: each step's schedule, status word and whether it is the open run. */
function chainSteps(page: Page): Promise<string[]> {
  return page
    .locator('#run-view .chain-steps li')
    .evaluateAll((items) =>
      items.map(
        (item) =>
          (item.querySelector('.cs-name')?.textContent ?? '') +
          ' ' +
          (item.querySelector('.badge')?.textContent ?? '') +
          (item.querySelector('[aria-current="step"]') ? ' (open)' : ''),
      ),
    );
}

/** Save a screenshot where CRONOPS_SCREENSHOT_DIR says (to look at it), and check one was taken. */
async function screenshot(page: Page, name: string): Promise<void> {
  const target = process.env['CRONOPS_SCREENSHOT_DIR'];
  if (target !== undefined) await mkdir(target, { recursive: true });
  const image = await page.screenshot({
    ...(target !== undefined && { path: join(target, name) }),
  });
  expect(image.length).toBeGreaterThan(1000);
}

beforeAll(async () => {
  const dirs = await makeDirs('cronops-dashboard-chain-');
  root = dirs.root;
  await writeManifest(
    dirs.dir,
    'pipeline.yaml',
    manifest('extract', { schedule: '*/3 * * * * *', task: { shell: 'sleep 0.3' } }),
    manifest('transform', { after: [{ schedule: 'extract' }], task: { shell: 'sleep 0.2' } }),
    manifest('load', { after: [{ schedule: 'transform' }], task: { shell: 'true' } }),
    manifest('alert', {
      after: [{ schedule: 'extract', when: 'failed' }],
      task: { shell: 'true' },
    }),
    manifest('solo', { schedule: '*/3 * * * * *', task: { shell: 'true' } }),
    manifest('slow', { schedule: '*/5 * * * * *', task: { shell: 'sleep 2' } }),
    manifest('slow-next', { after: [{ schedule: 'slow' }], task: { shell: 'sleep 2' } }),
  );
  daemon = startDaemon(['--dir', dirs.dir, '--state-dir', dirs.state, '--listen', '127.0.0.1:0']);
  url = await waitFor('the status endpoint URL in the log', () => {
    const match = /"url":"(http:\/\/[^"]+)"/.exec(daemon!.output());
    return match?.[1];
  });
  const load = await waitFor(
    'a load run that succeeded',
    async () => {
      const body = (await (
        await fetch(`${url}/api/v1/runs?schedule=load&status=succeeded&limit=1`)
      ).json()) as { runs: ApiChainRun[] };
      return body.runs[0];
    },
    40_000,
  );
  const body = (await (await fetch(`${url}/api/v1/runs?chain=${load.chainId ?? ''}`)).json()) as {
    runs: ApiChainRun[];
  };
  chain = Object.fromEntries(body.runs.map((run) => [run.schedule, run]));
  browser = await launchBrowser();
}, 90_000);

afterEach(async () => {
  for (const page of pages.splice(0)) await page.close().catch(() => undefined);
  expect(problems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  if (daemon) await stopDaemon(daemon);
  if (root) await rm(root, { recursive: true, force: true });
});

describe('e2e/dashboard-chain', { timeout: 60_000 }, () => {
  it('at desktop width links the upstream and downstream runs and shows the chain as one row', async () => {
    expect(Object.keys(chain).sort()).toEqual(['extract', 'load', 'transform']);
    const transform = chain['transform']!;
    const page = await openRunView(transform.id, { width: 1280, height: 800 });
    expect(await chainSteps(page)).toEqual([
      'extract succeeded',
      'transform succeeded (open)',
      'load succeeded',
    ]);
    expect(await page.locator('#run-view .chain h3').innerText()).toBe('Chain · 3 steps');
    // The step durations are the runs' own: transform slept 0.2 s.
    const durations = await page.locator('#run-view .cs-dur').allInnerTexts();
    expect(durations[1]).toMatch(/^(\d+ ms|\d+\.\d s)$/);
    // One row at this width: every step's top is the same.
    const tops = await page
      .locator('#run-view .chain-steps li')
      .evaluateAll((items) => items.map((item) => Math.round(item.getBoundingClientRect().top)));
    expect(new Set(tops).size).toBe(1);
    // The upstream link ("After") and the downstream link ("This run started").
    const after = page.locator('#run-view dd.chain-links [data-run]');
    expect(await after.getAttribute('data-run')).toBe(chain['extract']!.id);
    expect(await after.innerText()).toMatch(/extract\s+succeeded/);
    const started = page.locator('#run-view .chain-head .chain-links [data-run]');
    expect(await started.getAttribute('data-run')).toBe(chain['load']!.id);
    await screenshot(page, 'chain-1280.png');
    // Behind the dialog, the 24-hour timeline shows the after-only steps by what starts them.
    const notes = await page.locator('#timeline-chart text.lane-note').allTextContents();
    expect(notes).toEqual(
      expect.arrayContaining(['after extract (succeeded)', 'after transform (succeeded)']),
    );
    // Following the upstream link opens that run, with the same chain and extract as the open step.
    await after.click();
    await page.waitForFunction(
      (id) => document.querySelector('#run-view .rv-id')?.textContent === 'Run ' + id,
      chain['extract']!.id,
      WAIT,
    );
    await page.locator('#run-view .chain-steps li').nth(2).waitFor(WAIT);
    expect(await chainSteps(page)).toEqual([
      'extract succeeded (open)',
      'transform succeeded',
      'load succeeded',
    ]);
    expect(page.url()).toContain('#run=' + chain['extract']!.id);
    expect(await page.locator('#run-view dd.chain-links').count()).toBe(0);
  });

  it('at phone width fits the chain without horizontal scrolling', async () => {
    const load = chain['load']!;
    const page = await openRunView(load.id, { width: 390, height: 844 });
    expect(await chainSteps(page)).toEqual([
      'extract succeeded',
      'transform succeeded',
      'load succeeded (open)',
    ]);
    const fits = await page.evaluate(() => {
      const right = Math.max(
        ...[...document.querySelectorAll('#run-view .chain-steps li')].map(
          (item) => item.getBoundingClientRect().right,
        ),
      );
      return {
        page: document.documentElement.scrollWidth <= window.innerWidth,
        steps: right <= window.innerWidth,
      };
    });
    expect(fits).toEqual({ page: true, steps: true });
    expect(await page.locator('#run-view .chain-head .chain-links').count()).toBe(0);
    await screenshot(page, 'chain-390.png');
  });

  it('grows the chain of an open run as its later steps start and end (live events)', async () => {
    const running = await waitFor(
      'a slow run in progress',
      async () => {
        const body = (await (
          await fetch(`${url}/api/v1/runs?schedule=slow&status=running&limit=1`)
        ).json()) as { runs: ApiChainRun[] };
        return body.runs[0];
      },
      20_000,
    );
    if (browser === undefined) throw new Error('Chromium did not start');
    const page = await browser.context.newPage();
    pages.push(page);
    await page.goto(`${url}/#run=${running.id}`);
    // Nothing reloads the open view but the event stream: the step after it appears, then ends.
    await page.locator('#run-view .chain-steps li').nth(1).waitFor(WAIT);
    const expected = ['slow succeeded (open)', 'slow-next succeeded'];
    const steps = await waitFor(
      'both steps shown succeeded',
      async () => {
        const shown = await chainSteps(page);
        return shown.join('|') === expected.join('|') ? shown : undefined;
      },
      WAIT.timeout,
    );
    expect(steps).toEqual(expected);
  });

  it('shows no chain for a run of a schedule nothing runs after', async () => {
    expect(chain['alert']).toBeUndefined();
    const solo = await waitFor('a solo run', async () => {
      const body = (await (
        await fetch(`${url}/api/v1/runs?schedule=solo&status=succeeded&limit=1`)
      ).json()) as { runs: ApiChainRun[] };
      return body.runs[0];
    });
    if (browser === undefined) throw new Error('Chromium did not start');
    const page = await browser.context.newPage();
    pages.push(page);
    await page.goto(`${url}/#run=${solo.id}`);
    await page.locator('#run-view dl.kv').waitFor(WAIT);
    expect(await page.locator('#run-view .chain').isHidden()).toBe(true);
    expect(await page.locator('#run-view .chain-links').count()).toBe(0);
  });
});
