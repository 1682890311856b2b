import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectExecExitCode } from '../../src/cli/commands/exec.js';
import { findSchedule } from '../../src/cli/commands/next.js';
import { loadManifestDir } from '../../src/manifest/load.js';

const CLI = resolve('dist/cli/main.js');

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cronops-exec-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const schedule = (name: string, task: string) => `apiVersion: cronops/v1
kind: Schedule
metadata: { name: ${name} }
spec:
  schedule: "0 3 * * *"
  params: { who: world }
  task:
${task}
`;

function cronops(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GREETING_SECRET: 's3cr3t' },
  });
}

describe('cli/exec', () => {
  it.each([
    ['succeeded', undefined, 0],
    ['failed', undefined, 1],
    ['timedOut', undefined, 124],
    ['interrupted', 'SIGINT', 130],
    ['interrupted', 'SIGTERM', 143],
    ['timedOut', 'SIGTERM', 124],
    ['cancelled', undefined, 1],
  ] as const)('a run %s (signal %s) exits %i', (status, signal, code) => {
    expect(selectExecExitCode(status, signal)).toBe(code);
  });

  it('runs the task once in the foreground with templates, env and secrets, streaming its output', async () => {
    const dir = await dirWith({
      'a.yaml': schedule(
        'hello',
        `    shell: 'echo "hello {{ params.who }} from $CRONOPS_SCHEDULE ($CRONOPS_TRIGGER)"; echo "token=$TOKEN"'
    env: { TOKEN: { fromEnv: GREETING_SECRET } }`,
      ),
    });
    const result = cronops('exec', 'hello', '--dir', dir);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('hello world from hello (manual)');
    expect(result.stdout).toContain('token=[redacted]');
    expect(result.stdout + result.stderr).not.toContain('s3cr3t');
    expect(result.stderr).toMatch(/cronops: succeeded in \d+\.\d\ds/);
  });

  it("exits 1 when the run failed, whatever the task's exit code", async () => {
    const dir = await dirWith({ 'a.yaml': schedule('fails', '    shell: exit 4') });
    const result = cronops('exec', 'fails', '--dir', dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/cronops: failed/);
  });

  it('says which schedule it could not find, with a suggestion', async () => {
    const dir = await dirWith({ 'a.yaml': schedule('nightly-backup', '    shell: "true"') });
    const result = cronops('exec', 'nightly-bakup', '--dir', dir);
    expect(result.status).toBe(125);
    expect(result.stderr.trim()).toBe(
      `cronops: no schedule named "nightly-bakup" in ${dir} (did you mean "nightly-backup"?)`,
    );
  });

  it('a secret that cannot be resolved fails the run with a clear reason', async () => {
    const dir = await dirWith({
      'a.yaml': schedule(
        'needs-secret',
        `    shell: "true"\n    env: { TOKEN: { fromEnv: NOT_SET_ANYWHERE } }`,
      ),
    });
    const result = cronops('exec', 'needs-secret', '--dir', dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /cronops: failed in [\d.]+s: env TOKEN: environment variable "NOT_SET_ANYWHERE"/,
    );
  });

  it('the --help examples name schedules that exist in examples/', async () => {
    const help = cronops('exec', '--help');
    expect(help.status).toBe(0);
    const named = [...help.stdout.matchAll(/\$ cronops exec (\S+) --dir examples/g)].map(
      (m) => m[1]!,
    );
    expect(named.length).toBeGreaterThan(0);
    const examples = await loadManifestDir(resolve('examples'));
    for (const name of named) expect(findSchedule(examples, name).kind).toBe('ok');
  });
});
