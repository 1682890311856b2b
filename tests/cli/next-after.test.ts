// `cronops next` on schedules with `spec.after`: the built CLI on real files in a fresh temp dir.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const MANIFESTS = `apiVersion: cronops/v1
kind: Schedule
metadata: { name: extract }
spec:
  schedule: '0 2 * * *'
  task: { command: ['true'] }
---
apiVersion: cronops/v1
kind: Schedule
metadata: { name: verify }
spec:
  after: [{ schedule: extract }]
  task: { command: ['true'] }
---
apiVersion: cronops/v1
kind: Schedule
metadata: { name: report }
spec:
  schedule: '0 12 * * *'
  after: [{ schedule: extract, when: failed }, { schedule: verify, when: finished }]
  task: { command: ['true'] }
`;

let dir: string;

async function next(...args: string[]) {
  const result = await execa('node', [CLI, 'next', ...args, '--dir', dir], { reject: false });
  return { exitCode: result.exitCode, stdout: result.stdout };
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first`);
  dir = await mkdtemp(join(tmpdir(), 'cronops-cli-next-after-'));
  await writeFile(join(dir, 'pipeline.yaml'), MANIFESTS);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cli/next (after)', () => {
  it('shows an after-only schedule as what starts it, with no instants', async () => {
    expect(await next('verify', '--from', '2026-03-07T00:00:00Z')).toEqual({
      exitCode: 0,
      stdout: [
        'verify: after extract (succeeded) (UTC)',
        '(no times of its own: it runs when a run of a schedule it is after ends)',
      ].join('\n'),
    });
    expect(await next('verify', '--json')).toEqual({ exitCode: 0, stdout: '[]' });
  });

  it('shows both the times and the upstreams of a schedule that has both', async () => {
    expect(await next('report', '--from', '2026-03-07T00:00:00Z', '-n', '2')).toEqual({
      exitCode: 0,
      stdout: [
        'report: At 12:00, and after extract (failed), verify (finished) (UTC)',
        '2026-03-07 12:00:00 UTC (+00:00)  2026-03-07T12:00:00Z',
        '2026-03-08 12:00:00 UTC (+00:00)  2026-03-08T12:00:00Z',
      ].join('\n'),
    });
  });
});
