// The schema helper itself, on the kinds a rendered schedule uses: a batch/v1 CronJob with a Secret volume.
import { describe, expect, it } from 'vitest';
import { checkKubernetesObject } from '../support/kubernetes-schema.js';

const CRONJOB = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly' },
  spec: {
    schedule: '30 2 * * *',
    timeZone: 'Europe/Berlin',
    concurrencyPolicy: 'Forbid',
    jobTemplate: {
      spec: {
        backoffLimit: 2,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'task',
                image: 'ghcr.io/example/cronops:0.1.0',
                args: ['exec', 'nightly'],
                volumeMounts: [{ name: 'pg', mountPath: '/run/secrets/pg', readOnly: true }],
              },
            ],
            volumes: [{ name: 'pg', secret: { secretName: 'pg', defaultMode: 0o400 } }],
          },
        },
      },
    },
  },
};

describe('support/kubernetes-schema', () => {
  it('accepts a CronJob with a Secret volume', () => {
    expect(checkKubernetesObject(CRONJOB).problems).toEqual([]);
  });

  it.each([
    [
      'a missing schedule',
      (c: typeof CRONJOB) => {
        delete (c.spec as Partial<typeof c.spec>).schedule;
      },
      ['/spec: must have required property schedule'],
    ],
    [
      'a secret volume without a valid mode',
      (c: typeof CRONJOB) => {
        (
          c.spec.jobTemplate.spec.template.spec.volumes[0]!.secret as { defaultMode: unknown }
        ).defaultMode = 'r';
      },
      ['/spec/jobTemplate/spec/template/spec/volumes/0/secret/defaultMode: must be integer'],
    ],
  ])('reports %s', (_what, breakIt, problems) => {
    const broken = structuredClone(CRONJOB);
    breakIt(broken);
    expect(checkKubernetesObject(broken).problems).toEqual(problems);
  });

  it('refuses a kind it does not know rather than passing it', () => {
    expect(checkKubernetesObject({ ...CRONJOB, kind: 'CronJobs' }).problems).toEqual([
      'unknown apiVersion/kind batch/v1/CronJobs',
    ]);
  });
});
