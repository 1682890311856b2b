import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type {
  ConfigMapObject,
  Container,
  CronJobObject,
  RenderedObject,
} from '../../src/render/kubernetes-objects.js';
import { expectValidKubernetes } from '../render/kubernetes-schemas.js';

const CLI = resolve('dist/cli/main.js');

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cronops-render-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

function cronops(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 60_000 });
}

function readObjects(stdout: string): RenderedObject[] {
  const documents = parseAllDocuments(stdout);
  if (!Array.isArray(documents)) throw new Error('no documents');
  for (const doc of documents) expect(doc.errors).toEqual([]);
  return documents.map((doc) => doc.toJS() as RenderedObject);
}

const schedule = (name: string, spec: string) => `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: ${name}
spec:
${spec}`;

const NIGHTLY = schedule(
  'nightly',
  `  schedule: '30 2 * * *'
  timezone: Europe/Berlin
  task:
    command: ['/bin/true']
`,
);
const QUEUED = schedule(
  'queued',
  `  schedule: '*/5 * * * *'
  concurrencyPolicy: Queue
  task:
    shell: echo queued
`,
);

describe('cli/render', () => {
  it('prints valid Kubernetes YAML on stdout and the warnings on stderr', async () => {
    const dir = await dirWith({ 'nightly.yaml': NIGHTLY });
    const result = cronops([
      'render',
      'kubernetes',
      '--dir',
      dir,
      '--image',
      'my/jobs:1',
      '--namespace',
      'batch',
    ]);
    expect(result.stderr).toBe(
      `${dir}/nightly.yaml:6:13: warning: schedule nightly: fires at 02:30 Europe/Berlin, inside the daylight-saving transition 02:00–03:00` +
        result.stderr.slice(result.stderr.indexOf(' (skipped on')),
    );
    expect(result.status).toBe(0);
    const objects = readObjects(result.stdout);
    expectValidKubernetes(objects);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.namespace}`)).toEqual([
      'ConfigMap/cronops-manifests/batch',
      'CronJob/nightly/batch',
    ]);
    expect(result.stdout.startsWith('# Rendered by `cronops render kubernetes`')).toBe(true);
  });

  it('renders the team-defaults example: the Defaults mounted, its labels, env and webhook secret merged in', () => {
    const result = cronops([
      'render',
      'kubernetes',
      '--dir',
      'examples/team-defaults',
      '--image',
      'my/jobs:1',
    ]);
    expect(result.status).toBe(0);
    const objects = readObjects(result.stdout);
    expectValidKubernetes(objects);
    const [configMap, cronJob] = objects as [ConfigMapObject, CronJobObject];
    expect(Object.keys(configMap.data)).toEqual(['defaults.yaml', 'weekly-digest.yaml']);
    expect(cronJob.spec.timeZone).toBe('Europe/London');
    expect(cronJob.metadata.labels).toMatchObject({ team: 'growth', report: 'weekly' });
    const env = cronJob.spec.jobTemplate.spec.template.spec.containers[0]!.env;
    expect(env.map((entry) => entry.name)).toEqual([
      'TEAM',
      'DIGEST_FORMAT',
      'GROWTH_HOOK_AUTHORIZATION',
    ]);
    expect(result.stdout).toContain(
      '#   Secret cronops-env, key GROWTH_HOOK_AUTHORIZATION: env GROWTH_HOOK_AUTHORIZATION, for growth-weekly-digest',
    );
  });

  it('exits 1 with file:line:col for a schedule that cannot map, and prints nothing on stdout', async () => {
    const dir = await dirWith({ 'nightly.yaml': NIGHTLY, 'queued.yaml': QUEUED });
    const result = cronops(['render', 'kubernetes', '--dir', dir, '--image', 'my/jobs:1']);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      `${dir}/queued.yaml:7:22: schedule queued: cannot be rendered as a CronJob: concurrencyPolicy Queue has no CronJob equivalent (Allow, Forbid or Replace)`,
      expect.stringContaining('warning: schedule nightly:'),
      'cronops: nothing was rendered; fix the errors above (or pass --skip-unsupported to render the others)',
      '',
    ]);
  });

  it('--skip-unsupported renders the rest and lists each skipped schedule on stderr', async () => {
    const dir = await dirWith({ 'nightly.yaml': NIGHTLY, 'queued.yaml': QUEUED });
    const result = cronops([
      'render',
      'kubernetes',
      '--dir',
      dir,
      '--image',
      'my/jobs:1',
      '--skip-unsupported',
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      'queued.yaml:7:22: schedule queued: cannot be rendered as a CronJob',
    );
    expect(result.stderr).toContain('cronops: skipped schedule queued\n');
    const objects = readObjects(result.stdout);
    expectValidKubernetes(objects);
    expect(objects.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name)).toEqual([
      'nightly',
    ]);
    // The skipped schedule's file is still mounted: `cronops exec` loads the whole directory.
    expect(Object.keys((objects[0] as ConfigMapObject).data)).toEqual([
      'nightly.yaml',
      'queued.yaml',
    ]);
  });

  it('refuses invalid manifests with the validate errors', async () => {
    const dir = await dirWith({
      'bad.yaml': schedule('bad', "  schedule: '61 * * * *'\n  task: { shell: x }\n"),
    });
    const result = cronops(['render', 'kubernetes', '--dir', dir, '--image', 'my/jobs:1']);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /bad\.yaml:6:13: spec\.schedule: .*\ncronops: the manifests are invalid; nothing was rendered\n$/,
    );
  });

  it.each([
    [['--dir', '.'], /required option '--image <image>' not specified/],
    [['--image', 'x', '--name-prefix', 'Team_'], /--name-prefix: expected lowercase letters/],
    [['--image', 'x', '--namespace', 'a.b'], /--namespace: expected a namespace name/],
    [
      ['--image', 'x', '--dir', '/nonexistent/cronops'],
      /no such directory: \/nonexistent\/cronops/,
    ],
  ])('usage error for %j (exit 2)', (args, message) => {
    const result = cronops(['render', 'kubernetes', ...args]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("round trip: the rendered container's argv, run by cronops against the ConfigMap's files, runs the schedule", async () => {
    const work = await mkdtemp(join(tmpdir(), 'cronops-render-pod-'));
    const out = join(work, 'out.txt');
    const caPath = join(work, 'secrets', 'ca.pem');
    const dir = await dirWith({
      'defaults.yaml': `apiVersion: cronops/v1
kind: Defaults
spec:
  task:
    env: { TEAM: data }
`,
      'report.yaml': schedule(
        'report',
        `  schedule: '0 6 * * 1-5'
  retries: { limit: 1, delay: 1s }
  task:
    shell: 'echo "$CRONOPS_SCHEDULE $TEAM $PRICE token=$TOKEN ca=$(cat "$CA_FILE") attempt=$CRONOPS_ATTEMPT" >> ${out}; test -f ${out}.retried || { touch ${out}.retried; exit 3; }'
    env:
      PRICE: 'costs $5'
      TOKEN: { fromEnv: REPORT_TOKEN }
      CA_FILE: ${caPath}
      CA: { fromFile: ${caPath} }
`,
      ),
    });
    const rendered = cronops(['render', 'kubernetes', '--dir', dir, '--image', 'my/jobs:1']);
    expect(rendered.status).toBe(0);
    const objects = readObjects(rendered.stdout);
    expectValidKubernetes(objects);
    const configMap = objects[0] as ConfigMapObject;
    const cronJob = objects[1] as CronJobObject;
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    const container = pod.containers[0]!;

    // The "kubelet": mount the ConfigMap at the manifests path (a temp dir here) and the Secrets.
    const mount = join(work, 'schedules.d');
    await mkdir(mount);
    for (const [name, text] of Object.entries(configMap.data))
      await writeFile(join(mount, name), text);
    const secrets: Record<string, Record<string, string>> = {
      'cronops-env': { REPORT_TOKEN: 't0ken' },
      'cronops-files': { [caPath.slice(1).replaceAll('/', '-')]: 'CERT' },
    };
    for (const volumeMount of container.volumeMounts.slice(1)) {
      const volume = pod.volumes.find((v) => v.name === volumeMount.name)!;
      const secretName = 'secret' in volume ? volume.secret.secretName : '';
      await mkdir(dirname(volumeMount.mountPath), { recursive: true });
      await writeFile(volumeMount.mountPath, secrets[secretName]![volumeMount.subPath!]!);
    }
    const env = buildContainerEnv(container, secrets);
    const args = container.args.map((arg) => expandKubelet(arg, env));
    const dirAt = args.indexOf('--dir');
    expect(args[dirAt + 1]).toBe('/etc/cronops/schedules.d');
    args[dirAt + 1] = mount;

    expect(args).toEqual(['exec', 'report', '--dir', mount, '--notify']);
    const run = cronops(args, { PATH: process.env['PATH'], HOME: work, ...env });
    expect({ status: run.status, stderr: run.stderr }).toEqual({
      status: 0,
      stderr: expect.stringMatching(/succeeded/),
    });
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toEqual([
      'report data costs $5 token=t0ken ca=CERT attempt=1',
      'report data costs $5 token=t0ken ca=CERT attempt=2',
    ]);
    expect(run.stdout + run.stderr).not.toContain('t0ken');
  }, 90_000);
});

/** The container's environment as the kubelet builds it: literals (with $(VAR) expansion) and Secret keys. */
function buildContainerEnv(
  container: Container,
  secrets: Record<string, Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env) {
    if (entry.value !== undefined) env[entry.name] = expandKubelet(entry.value, env);
    else {
      const ref = entry.valueFrom!.secretKeyRef;
      env[entry.name] = secrets[ref.name]![ref.key]!;
    }
  }
  return env;
}

/** Kubernetes's expansion of command, args and env values: `$$` → `$`, `$(NAME)` → its value when defined. */
function expandKubelet(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) =>
    match === '$$' ? '$' : (env[name!] ?? match),
  );
}
