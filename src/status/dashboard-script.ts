// The dashboard's browser script as the page inlines it: the bundle built by `npm run build`, or (running from source) bundled now.
import { readFileSync } from 'node:fs';
import { bundleDashboardSync, DASHBOARD_BUNDLE } from './dashboard-bundle.js';

let script: string | undefined;

/**
 * The client script of the dashboard page, read once. The built file (dist/status/dashboard/app.js)
 * is what a package or image serves; without it (tests and `tsx` runs from src/) the sources are
 * bundled with esbuild, a development dependency.
 */
export function loadDashboardScript(): string {
  script ??= readBuiltScript() ?? bundleDashboardSync();
  return script;
}

function readBuiltScript(): string | undefined {
  try {
    return readFileSync(DASHBOARD_BUNDLE, 'utf8').trimEnd();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
