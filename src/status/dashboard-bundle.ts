// How the dashboard's browser code (src/status/dashboard/) becomes the page's one script: an esbuild bundle, IIFE, no imports left.
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The entry module, next to this file in src/ (the sources are not in the package's dist/). */
export const DASHBOARD_ENTRY = fileURLToPath(
  new URL('../../src/status/dashboard/main.ts', import.meta.url),
);
/** Where `npm run build` writes the bundle: dist/status/dashboard/app.js. */
export const DASHBOARD_BUNDLE = fileURLToPath(new URL('./dashboard/app.js', import.meta.url));

/** The subset of esbuild's options and result used here (esbuild is a development dependency). */
interface EsbuildLike {
  buildSync(options: Record<string, unknown>): { outputFiles?: { text: string }[] };
}

const OPTIONS = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  write: false,
} as const;

/**
 * Bundle the browser code with esbuild. `</script` never appears in the result, so the page can
 * inline it. Throws when esbuild is not installed (production installs use the built file).
 */
export function bundleDashboardSync(entry: string = DASHBOARD_ENTRY): string {
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as EsbuildLike;
  const result = esbuild.buildSync({ ...OPTIONS, entryPoints: [entry] });
  const text = result.outputFiles?.[0]?.text ?? '';
  return text.replace(/<\/script/gi, '<\\/script').trimEnd();
}

/** Write the bundle to `outfile` (the build step). */
export async function bundleDashboard(outfile: string): Promise<void> {
  const text = bundleDashboardSync();
  await mkdir(dirname(outfile), { recursive: true });
  await writeFile(outfile, text + '\n', 'utf8');
}
