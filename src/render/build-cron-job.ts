// One schedule's planned settings as a `batch/v1` CronJob whose pod runs `cronops exec` against the mounted manifests.
import type { LoadedSchedule } from '../manifest/load.js';
import type { Container, CronJobObject, EnvVar, Volume } from './kubernetes-objects.js';
import type { CronJobPlan } from './plan-cron-job.js';
import { collectSecretRefs, wireSecrets, type PlaceholderSecrets } from './secret-refs.js';

/** Where the pods mount the manifests (the cronops image's own CRONOPS_DIR). */
export const MANIFEST_MOUNT_PATH = '/etc/cronops/schedules.d';
/** The Secret key that holds the store's connection string. */
export const STORE_SECRET_KEY = 'store-url';
/** The label every rendered object carries, for `kubectl apply --prune -l`. */
export const MANAGED_BY_LABEL = { 'app.kubernetes.io/managed-by': 'cronops' } as const;
/** The label naming the schedule on the CronJob, its Jobs and their pods. */
export const SCHEDULE_LABEL = 'cronops.dev/schedule';
/** The annotation carrying the schedule's description. */
export const DESCRIPTION_ANNOTATION = 'cronops.dev/description';

const MANIFESTS_VOLUME = 'manifests';

/** What every CronJob shares. */
export interface CronJobContext {
  image: string;
  namespace?: string;
  /** The ConfigMaps that hold the manifests, all mounted into one directory. */
  configMapNames: readonly string[];
  secrets: PlaceholderSecrets;
  /** A Secret holding the shared store's connection string (key STORE_SECRET_KEY): runs are then recorded. */
  storeSecret?: string;
}

/** The argv after the image's entrypoint (`cronops`): one whole run of the schedule, with notifications. */
export function buildExecArgs(name: string, recordToStore: boolean): string[] {
  const args = ['exec', name, '--dir', MANIFEST_MOUNT_PATH, '--notify'];
  // $(CRONOPS_STORE) is expanded by the kubelet from the container's env (read from the Secret).
  if (recordToStore) args.push('--record', '--store', '$(CRONOPS_STORE)');
  return args;
}

/**
 * Literal env values go into the pod as written. The kubelet expands `$(VAR)` in env values and
 * reduces `$$` to `$`, so every `$` is doubled to keep the value exactly as written.
 */
function escapeDollars(value: string): string {
  return value.replaceAll('$', '$$$$');
}

/** Build the CronJob of one schedule from its plan. */
export function buildCronJob(
  schedule: LoadedSchedule,
  plan: CronJobPlan,
  context: CronJobContext,
): CronJobObject {
  const labels = {
    ...schedule.metadata.labels,
    ...MANAGED_BY_LABEL,
    [SCHEDULE_LABEL]: schedule.name,
  };
  const refs = collectSecretRefs(schedule.spec);
  const wired = wireSecrets(refs, context.secrets);
  const secretNames = new Set(refs.envNames);
  const literals: EnvVar[] = Object.entries(schedule.spec.task.env)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .filter(([name]) => !secretNames.has(name))
    .map(([name, value]) => ({ name, value: escapeDollars(value) }));
  const store: EnvVar[] =
    context.storeSecret === undefined
      ? []
      : [
          {
            name: 'CRONOPS_STORE',
            valueFrom: {
              secretKeyRef: { name: context.storeSecret, key: STORE_SECRET_KEY, optional: false },
            },
          },
        ];
  const manifests: Volume = {
    name: MANIFESTS_VOLUME,
    projected: {
      sources: context.configMapNames.map((name) => ({ configMap: { name } })),
      defaultMode: 0o444,
    },
  };
  const container: Container = {
    name: 'cronops',
    image: context.image,
    args: buildExecArgs(schedule.name, context.storeSecret !== undefined),
    env: [...literals, ...wired.env, ...store],
    volumeMounts: [
      { name: MANIFESTS_VOLUME, mountPath: MANIFEST_MOUNT_PATH, readOnly: true },
      ...wired.mounts,
    ],
  };
  const description = schedule.metadata.description;
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: {
      name: plan.name,
      ...(context.namespace !== undefined && { namespace: context.namespace }),
      labels,
      ...(description !== undefined && { annotations: { [DESCRIPTION_ANNOTATION]: description } }),
    },
    spec: {
      schedule: plan.schedule,
      timeZone: plan.timeZone,
      concurrencyPolicy: plan.concurrencyPolicy,
      startingDeadlineSeconds: plan.startingDeadlineSeconds,
      suspend: plan.suspend,
      successfulJobsHistoryLimit: plan.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: plan.failedJobsHistoryLimit,
      jobTemplate: {
        metadata: { labels },
        spec: {
          activeDeadlineSeconds: plan.activeDeadlineSeconds,
          // cronops exec retries inside the pod with the schedule's backoff; Kubernetes must not.
          backoffLimit: 0,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: 'Never',
              terminationGracePeriodSeconds: plan.terminationGracePeriodSeconds,
              containers: [container],
              volumes: [manifests, ...wired.volumes],
            },
          },
        },
      },
    },
  };
}
