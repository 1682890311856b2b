// The few Kubernetes object shapes `render kubernetes` writes: only the fields it sets, typed so a typo fails to compile.

/** A name/value environment variable, literal or read from a Secret key. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string; optional: boolean } };
}

/** A volume mount of the one container. */
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly: boolean;
  subPath?: string;
}

/** A pod volume: the manifests (projected from the ConfigMaps) or one Secret file. */
export type Volume =
  | {
      name: string;
      projected: { sources: { configMap: { name: string } }[]; defaultMode: number };
    }
  | {
      name: string;
      secret: { secretName: string; items: { key: string; path: string }[]; defaultMode: number };
    };

/** Object metadata: what the renderer sets. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The container that runs `cronops exec`. */
export interface Container {
  name: string;
  image: string;
  /** Arguments to the image's entrypoint (the cronops image: tini, then `cronops`). */
  args: string[];
  env: EnvVar[];
  volumeMounts: VolumeMount[];
}

/** A `batch/v1` CronJob with every field cronops maps written out. */
export interface CronJobObject {
  apiVersion: 'batch/v1';
  kind: 'CronJob';
  metadata: ObjectMeta;
  spec: {
    schedule: string;
    timeZone: string;
    concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace';
    startingDeadlineSeconds: number;
    suspend: boolean;
    successfulJobsHistoryLimit: number;
    failedJobsHistoryLimit: number;
    jobTemplate: {
      metadata: { labels: Record<string, string> };
      spec: {
        activeDeadlineSeconds: number;
        backoffLimit: number;
        template: {
          metadata: { labels: Record<string, string> };
          spec: {
            restartPolicy: 'Never';
            terminationGracePeriodSeconds: number;
            containers: Container[];
            volumes: Volume[];
          };
        };
      };
    };
  };
}

/** A `v1` ConfigMap holding manifest files, by file name. */
export interface ConfigMapObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: ObjectMeta;
  data: Record<string, string>;
}

/** Anything `render kubernetes` prints. */
export type RenderedObject = ConfigMapObject | CronJobObject;
