import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  formatRenderError,
  formatRenderWarning,
  formatRenderedYaml,
} from '../../src/render/format-output.js';
import type { ConfigMapObject, CronJobObject } from '../../src/render/kubernetes-objects.js';
import { renderKubernetes, type RenderOptions } from '../../src/render/render-kubernetes.js';
import { expectValidKubernetes } from './kubernetes-schemas.js';
import { loadTexts, scheduleText } from './load-texts.js';

const NOW = new Date('2026-12-06T21:00:00Z');
const OPTIONS: RenderOptions = { image: 'registry.example/jobs:1.4', namePrefix: '' };

const DEFAULTS = `apiVersion: cronops/v1
kind: Defaults
metadata:
  labels: { team: data }
spec:
  timezone: Europe/Berlin
  concurrencyPolicy: Queue
  task:
    env:
      TEAM: data
`;

const BACKUP = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: db-backup
  description: Nightly dump of the orders database
  labels: { tier: critical }
spec:
  schedule: '15 4 * * *'
  concurrencyPolicy: Forbid
  retries: { limit: 1 }
  task:
    command: ['pg_dump', '--file', '/backups/{{ date }}.dump']
    env:
      PGHOST: db.internal
      PRICE: 'costs $5 or $(HOME)'
      PGPASSWORD: { fromEnv: DB_PASSWORD }
      CA: { fromFile: /run/secrets/db/ca.pem }
  notify:
    - on: [failure]
      webhook:
        url: https://hooks.example.com/x
        headers: { Authorization: { fromEnv: HOOK_TOKEN } }
`;

const QUEUED = `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: queued
spec:
  schedule: '*/5 * * * *'
  task:
    shell: echo queued
`;

function render(files: Record<string, string>, options: Partial<RenderOptions> = {}) {
  const loaded = loadTexts(files);
  return renderKubernetes(loaded.schedules, loaded.files, { ...OPTIONS, ...options }, NOW);
}

function cronJobs(objects: readonly unknown[]): CronJobObject[] {
  return objects.filter((o): o is CronJobObject => (o as CronJobObject).kind === 'CronJob');
}

describe('render/render-kubernetes', () => {
  it('renders a ConfigMap of every file and a valid CronJob running cronops exec per schedule', () => {
    const result = render(
      { 'defaults.yaml': DEFAULTS, 'backup.yaml': BACKUP },
      { namespace: 'batch' },
    );
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expectValidKubernetes(result.objects);
    const [configMap, cronJob] = result.objects as [ConfigMapObject, CronJobObject];
    expect(configMap).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cronops-manifests',
        namespace: 'batch',
        labels: { 'app.kubernetes.io/managed-by': 'cronops' },
      },
      data: { 'defaults.yaml': DEFAULTS, 'backup.yaml': BACKUP },
    });
    const labels = {
      team: 'data',
      tier: 'critical',
      'app.kubernetes.io/managed-by': 'cronops',
      'cronops.dev/schedule': 'db-backup',
    };
    expect(cronJob).toEqual({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: {
        name: 'db-backup',
        namespace: 'batch',
        labels,
        annotations: { 'cronops.dev/description': 'Nightly dump of the orders database' },
      },
      spec: {
        schedule: '15 4 * * *',
        timeZone: 'Europe/Berlin',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        suspend: false,
        successfulJobsHistoryLimit: 50,
        failedJobsHistoryLimit: 50,
        jobTemplate: {
          metadata: { labels },
          spec: {
            activeDeadlineSeconds: 2 * 1810 + 30 + 60,
            backoffLimit: 0,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                terminationGracePeriodSeconds: 10,
                containers: [
                  {
                    name: 'cronops',
                    image: 'registry.example/jobs:1.4',
                    args: ['exec', 'db-backup', '--dir', '/etc/cronops/schedules.d', '--notify'],
                    env: [
                      { name: 'TEAM', value: 'data' },
                      { name: 'PGHOST', value: 'db.internal' },
                      { name: 'PRICE', value: 'costs $$5 or $$(HOME)' },
                      {
                        name: 'DB_PASSWORD',
                        valueFrom: {
                          secretKeyRef: {
                            name: 'cronops-env',
                            key: 'DB_PASSWORD',
                            optional: false,
                          },
                        },
                      },
                      {
                        name: 'HOOK_TOKEN',
                        valueFrom: {
                          secretKeyRef: { name: 'cronops-env', key: 'HOOK_TOKEN', optional: false },
                        },
                      },
                    ],
                    volumeMounts: [
                      { name: 'manifests', mountPath: '/etc/cronops/schedules.d', readOnly: true },
                      {
                        name: 'secret-files',
                        mountPath: '/run/secrets/db/ca.pem',
                        subPath: 'run-secrets-db-ca.pem',
                        readOnly: true,
                      },
                    ],
                  },
                ],
                volumes: [
                  {
                    name: 'manifests',
                    projected: {
                      sources: [{ configMap: { name: 'cronops-manifests' } }],
                      defaultMode: 0o444,
                    },
                  },
                  {
                    name: 'secret-files',
                    secret: {
                      secretName: 'cronops-files',
                      items: [{ key: 'run-secrets-db-ca.pem', path: 'run-secrets-db-ca.pem' }],
                      defaultMode: 0o444,
                    },
                  },
                ],
              },
            },
          },
        },
      },
    });
    expect(result.secretKeys).toEqual([
      {
        secret: 'cronops-env',
        key: 'DB_PASSWORD',
        provides: 'env DB_PASSWORD',
        schedules: ['db-backup'],
      },
      {
        secret: 'cronops-env',
        key: 'HOOK_TOKEN',
        provides: 'env HOOK_TOKEN',
        schedules: ['db-backup'],
      },
      {
        secret: 'cronops-files',
        key: 'run-secrets-db-ca.pem',
        provides: 'file /run/secrets/db/ca.pem',
        schedules: ['db-backup'],
      },
    ]);
  });

  it('locates an error at the field in the schedule, or in the Defaults that set it', () => {
    const result = render({
      'defaults.yaml': DEFAULTS,
      'backup.yaml': BACKUP,
      'queued.yaml': QUEUED,
      'sixty.yaml': scheduleText('every-second', '@every 1s', '  concurrencyPolicy: Allow\n'),
    });
    expect(result.unsupported).toEqual(['queued', 'every-second']);
    expect(result.errors.map(formatRenderError)).toEqual([
      'schedules.d/defaults.yaml:7:22: schedule queued: cannot be rendered as a CronJob: concurrencyPolicy Queue has no CronJob equivalent (Allow, Forbid or Replace)',
      'schedules.d/sixty.yaml:6:13: schedule every-second: cannot be rendered as a CronJob: "@every 1s" fires more often than once a minute; a CronJob fires at most once a minute',
    ]);
    // The renderable schedule is still rendered; skipping is the command's choice.
    expect(cronJobs(result.objects).map((job) => job.metadata.name)).toEqual(['db-backup']);
  });

  it('locates warnings and names the schedule and the difference', () => {
    const result = render({
      'a.yaml': scheduleText('quick', '@every 5m', '  catchUp: none\n'),
    });
    expect(result.warnings.map(formatRenderWarning)).toEqual([
      expect.stringMatching(
        /^schedules\.d\/a\.yaml:6:13: warning: schedule quick: "@every 5m" becomes "\*\/5 \* \* \* \*" in Etc\/UTC/,
      ),
      'schedules.d/a.yaml:7:12: warning: schedule quick: catchUp: none becomes startingDeadlineSeconds: 10: a fire missed by less than 10 s still starts',
    ]);
    expectValidKubernetes(result.objects);
  });

  it('splits manifests over several ConfigMaps past 1 MiB and mounts all of them', () => {
    const padding = `# ${'x'.repeat(300 * 1024)}\n`;
    const files: Record<string, string> = {};
    for (let i = 0; i < 7; i++) files[`s${i}.yaml`] = padding + scheduleText(`s${i}`, '0 4 * * *');
    const result = render(files, { namePrefix: 'ops-' });
    expect(result.errors).toEqual([]);
    expectValidKubernetes(result.objects);
    const configMaps = result.objects.filter((o): o is ConfigMapObject => o.kind === 'ConfigMap');
    expect(configMaps.map((c) => [c.metadata.name, Object.keys(c.data)])).toEqual([
      ['ops-cronops-manifests-1', ['s0.yaml', 's1.yaml', 's2.yaml']],
      ['ops-cronops-manifests-2', ['s3.yaml', 's4.yaml', 's5.yaml']],
      ['ops-cronops-manifests-3', ['s6.yaml']],
    ]);
    for (const job of cronJobs(result.objects)) {
      expect(job.metadata.name).toMatch(/^ops-s\d$/);
      const volume = job.spec.jobTemplate.spec.template.spec.volumes[0]!;
      expect('projected' in volume && volume.projected.sources).toEqual([
        { configMap: { name: 'ops-cronops-manifests-1' } },
        { configMap: { name: 'ops-cronops-manifests-2' } },
        { configMap: { name: 'ops-cronops-manifests-3' } },
      ]);
    }
  });

  it('refuses a file no ConfigMap can hold, naming the file', () => {
    const big = `# ${'x'.repeat(1024 * 1024 - 10 * 1024)}\n${scheduleText('big', '0 4 * * *')}`;
    const result = render({ 'big.yaml': big });
    expect(result.errors.map(formatRenderError)).toEqual([
      expect.stringMatching(
        /^schedules\.d\/big\.yaml:1:1: cannot be rendered into a ConfigMap: the file is \d+ bytes; one ConfigMap holds at most 1032192/,
      ),
    ]);
  });

  it('records runs in the shared store from a Secret with --store-secret', () => {
    const result = render(
      { 'a.yaml': scheduleText('job', '0 4 * * *') },
      { storeSecret: 'cronops-store' },
    );
    expectValidKubernetes(result.objects);
    const container = cronJobs(result.objects)[0]!.spec.jobTemplate.spec.template.spec
      .containers[0]!;
    expect(container.args).toEqual([
      'exec',
      'job',
      '--dir',
      '/etc/cronops/schedules.d',
      '--notify',
      '--record',
      '--store',
      '$(CRONOPS_STORE)',
    ]);
    expect(container.env).toEqual([
      {
        name: 'CRONOPS_STORE',
        valueFrom: { secretKeyRef: { name: 'cronops-store', key: 'store-url', optional: false } },
      },
    ]);
  });

  it('prints a multi-document YAML that reads back as the objects, with the Secrets listed on top', () => {
    const result = render(
      { 'defaults.yaml': DEFAULTS.replace('Queue', 'Allow'), 'backup.yaml': BACKUP },
      { storeSecret: 'store' },
    );
    const text = formatRenderedYaml(result, 'store');
    expect(text.split('\n---\n')[0]!.split('\n')).toEqual([
      '# Rendered by `cronops render kubernetes`; edit the manifests and render again instead of this file.',
      '# Secrets to create in the same namespace before applying (placeholder names):',
      '#   Secret cronops-env, key DB_PASSWORD: env DB_PASSWORD, for db-backup',
      '#   Secret cronops-env, key HOOK_TOKEN: env HOOK_TOKEN, for db-backup',
      '#   Secret cronops-files, key run-secrets-db-ca.pem: file /run/secrets/db/ca.pem, for db-backup',
      "#   Secret store, key store-url: the shared store's connection string, for every CronJob",
    ]);
    const documents = parseAllDocuments(text);
    expect(Array.isArray(documents) && documents.map((doc) => doc.errors)).toEqual([[], []]);
    expect(Array.isArray(documents) && documents.map((doc) => doc.toJS())).toEqual(result.objects);
    expect(text).not.toMatch(/[&*]a\d/); // no YAML anchors or aliases
  });

  it('is deterministic: the same input and now give the same text', () => {
    const files = { 'defaults.yaml': DEFAULTS.replace('Queue', 'Replace'), 'backup.yaml': BACKUP };
    expect(formatRenderedYaml(render(files), undefined)).toBe(
      formatRenderedYaml(render(files), undefined),
    );
  });

  it('the schema check refuses what the API server would (so a pass means something)', () => {
    const result = render({ 'a.yaml': scheduleText('job', '0 4 * * *') });
    const job = cronJobs(result.objects)[0]!;
    const broken = structuredClone(job) as unknown as {
      spec: { jobTemplate: { spec: { backoffLimit: unknown } } };
    };
    broken.spec.jobTemplate.spec.backoffLimit = 'none';
    expect(() => expectValidKubernetes([broken as unknown as CronJobObject])).toThrow(
      /backoffLimit: must be integer/,
    );
    const noSchedule = structuredClone(job) as unknown as { spec: { schedule?: string } };
    delete noSchedule.spec.schedule;
    expect(() => expectValidKubernetes([noSchedule as unknown as CronJobObject])).toThrow(
      /schedule/,
    );
  });

  it('quotes strings that YAML 1.1 readers (kubectl, go-yaml) would take for booleans or numbers', () => {
    const result = render({
      'a.yaml': scheduleText('job', '0 4 * * *').replace(
        "    command: ['/bin/true']\n",
        "    command: ['/bin/true']\n    env: { A: 'on', B: 'no', C: 'Yes', D: '0x1F', E: '1_000', F: '010', G: '1:20' }\n",
      ),
    });
    const text = formatRenderedYaml(result, undefined);
    for (const value of ['on', 'no', 'Yes', '0x1F', '1_000', '010', '1:20'])
      expect(text).toContain(`value: "${value}"`);
    const documents = parseAllDocuments(text, { version: '1.1' });
    expect(Array.isArray(documents) && documents.map((doc) => doc.toJS())).toEqual(result.objects);
  });
});
