// The dashboard's replicas panel in a real browser: two real daemons on one PostgreSQL store, each
// listed with host, version, heartbeat, clock offset and configuration digest; hidden without a store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../pg/database.js';
import { launchBrowser } from './browser.js';
import {
  type RunningDaemon,
  startDaemon,
  stopDaemon,
  useCleanup,
  waitFor,
} from './daemon-harness.js';
import { startReplica, waitForReplica, writeTicks } from './replicas-harness.js';

const WAIT = { timeout: 30_000 };

/** The page's DOM, as far as the functions evaluated in the browser use it. */
interface PageElement {
  textContent: string | null;
  hidden: boolean;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
};

function endpointOf(daemon: RunningDaemon): Promise<string> {
  return waitFor('the status endpoint URL in the log', () => {
    const match = /"url":"(http:\/\/[^"]+)"/.exec(daemon.output());
    return match?.[1];
  });
}

describe('e2e/dashboard: replicas', () => {
  const cleanup = useCleanup();

  it('lists every replica of the store, this one marked, and no panel on a single node', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const root = await mkdtemp(join(tmpdir(), 'cronops-dash-replicas-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const dir = join(root, 'schedules.d');
    await writeTicks(dir, join(root, 'truth.log'), 2);
    const replicas = ['a', 'b'].map((name) => {
      const daemon = startReplica(name, { dir, state: join(root, `state-${name}`), url: db.url });
      cleanup.push(() => stopDaemon(daemon));
      return daemon;
    });
    const single = startDaemon([
      '--dir',
      dir,
      '--state-dir',
      join(root, 'state-single'),
      '--listen',
      '127.0.0.1:0',
    ]);
    cleanup.push(() => stopDaemon(single));
    await Promise.all(replicas.map((daemon) => waitForReplica(daemon)));
    const url = await endpointOf(replicas[0]!);
    const singleUrl = await endpointOf(single);
    const browser = await launchBrowser();
    cleanup.push(() => browser.close());
    const problems: string[] = [];
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(url);
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#replicas tr[data-replica]').length === 2 &&
        document.getElementById('replicas')?.hidden === false &&
        [...document.querySelectorAll('#replicas td.digest')].every((td) => td.textContent !== '–'),
      null,
      WAIT,
    );
    const rows = await page.locator('#replicas tr[data-replica]').allInnerTexts();
    expect(rows.filter((row) => row.includes('(this one)'))).toHaveLength(1);
    for (const row of rows) {
      expect(row).toMatch(/ago/); // heartbeat age
      expect(row).toMatch(/ms|–/); // clock offset
      expect(row).toMatch(/0\.1\.0|\d+\.\d+\.\d+/); // version
    }
    // Both run the same manifests: one digest, no warning.
    const digests = await page.locator('#replicas td.digest').allInnerTexts();
    expect(new Set(digests).size).toBe(1);
    expect(await page.locator('#replicas-warning').isHidden()).toBe(true);
    expect(await page.locator('#replicas-count').innerText()).toBe('2 live');

    // A single node has no replicas panel.
    const plain = await browser.context.newPage();
    await plain.goto(singleUrl);
    await plain.locator('tr[data-schedule]').first().waitFor(WAIT);
    expect(await plain.locator('#replicas').isHidden()).toBe(true);
    expect(problems).toEqual([]);
  }, 120_000);
});
