// The version of cronops, from package.json (two levels up from both src/cli and dist/cli).
import { readFileSync } from 'node:fs';

export function readVersion(): string {
  const raw = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(raw) as { version: string }).version;
}
