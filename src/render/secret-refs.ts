// The secrets a schedule reads (`fromEnv` variables and `fromFile` paths), and the pod wiring that provides them.
import type { JobSpec } from '../manifest/schema.js';
import type { EnvVar, Volume, VolumeMount } from './kubernetes-objects.js';

/** The secret references in a spec: in task env, http headers and notification webhook headers. */
export interface SecretRefs {
  /** Variable names read with `fromEnv`, sorted, each once. */
  envNames: string[];
  /** Absolute paths read with `fromFile`, sorted, each once. */
  filePaths: string[];
}

/** The placeholder Secrets the rendered pods read, and the keys each must hold. */
export interface PlaceholderSecrets {
  /** Secret whose keys are the `fromEnv` variable names. */
  envSecret: string;
  /** Secret whose keys hold the `fromFile` files (see `keyForFile`). */
  filesSecret: string;
}

/** Collect every `{ fromEnv }` and `{ fromFile }` of a spec (params are free-form data and are not looked at). */
export function collectSecretRefs(spec: JobSpec): SecretRefs {
  const env = new Set<string>();
  const files = new Set<string>();
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    const record = value as Record<string, unknown>;
    if (typeof record['fromEnv'] === 'string') env.add(record['fromEnv']);
    else if (typeof record['fromFile'] === 'string') files.add(record['fromFile']);
    else Object.values(record).forEach(visit);
  };
  visit(spec.task);
  visit(spec.notify);
  return { envNames: [...env].sort(), filePaths: [...files].sort() };
}

/**
 * The Secret key that holds the file at `path`: the path without its leading "/", with every
 * character a key may not hold (and "/") turned into "-", e.g. /run/secrets/db.pass → run-secrets-db.pass.
 */
export function keyForFile(path: string): string {
  const key = path
    .replace(/^\/+/, '')
    .replace(/[^-._a-zA-Z0-9]/g, '-')
    .slice(-253);
  return key === '' || key === '.' || key === '..' ? `file-${key.length}` : key;
}

/** The name of the pod volume that carries the secret files. */
export const SECRET_FILES_VOLUME = 'secret-files';

/** The env entries, volume and mounts that provide a schedule's secrets from the placeholder Secrets. */
export function wireSecrets(
  refs: SecretRefs,
  secrets: PlaceholderSecrets,
): { env: EnvVar[]; volumes: Volume[]; mounts: VolumeMount[] } {
  const env: EnvVar[] = refs.envNames.map((name) => ({
    name,
    valueFrom: { secretKeyRef: { name: secrets.envSecret, key: name, optional: false } },
  }));
  if (refs.filePaths.length === 0) return { env, volumes: [], mounts: [] };
  const items = refs.filePaths.map((path) => ({ key: keyForFile(path), path: keyForFile(path) }));
  const volumes: Volume[] = [
    {
      name: SECRET_FILES_VOLUME,
      secret: { secretName: secrets.filesSecret, items: uniqueByKey(items), defaultMode: 0o444 },
    },
  ];
  // subPath mounts one key as one file at exactly the path the manifest names.
  const mounts: VolumeMount[] = refs.filePaths.map((path) => ({
    name: SECRET_FILES_VOLUME,
    mountPath: path,
    subPath: keyForFile(path),
    readOnly: true,
  }));
  return { env, volumes, mounts };
}

function uniqueByKey<T extends { key: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(item.key) && (seen.add(item.key), true));
}
