// Headless Chromium for the dashboard's browser tests: the system browser, a fresh profile, no network beyond the daemon.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The Debian package's binary; CI installs it (see .ci/run). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags that keep Chromium headless, sandbox-free (containers) and quiet on the network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** A running browser and the temp profile it owns. */
export interface LaunchedBrowser {
  /** The browser's one (persistent) context; open pages with `context.newPage()`. */
  context: BrowserContext;
  /** Close the browser and delete its profile directory. */
  close(): Promise<void>;
}

/**
 * Start Chromium with a fresh `--user-data-dir`. Throws an Error that says what is missing and how
 * to install it when the browser cannot be started: the browser tests fail rather than skip.
 */
export async function launchBrowser(): Promise<LaunchedBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'cronops-chromium-'));
  let context: BrowserContext;
  try {
    // Playwright passes the profile as --user-data-dir itself (it refuses the flag in `args`).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: 30_000,
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(
      `cannot start Chromium at ${CHROMIUM_PATH} for the dashboard browser tests ` +
        `(install it with "apt-get install -y chromium"; .ci/run does this in CI): ` +
        (error instanceof Error ? error.message : String(error)),
      { cause: error },
    );
  }
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
