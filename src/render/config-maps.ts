// The manifest files as ConfigMaps: one, or several when the files exceed what one ConfigMap holds.
import { basename } from 'node:path';
import type { ConfigMapObject } from './kubernetes-objects.js';
import type { ManifestFile } from './field-positions.js';

/**
 * The bytes of keys and values one ConfigMap is given: Kubernetes refuses a ConfigMap over
 * 1 MiB, and the rest of the object (metadata, labels, YAML/JSON framing) needs some room.
 */
export const CONFIG_MAP_DATA_BUDGET = 1024 * 1024 - 16 * 1024;

/** What a ConfigMap key may be. */
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** The ConfigMaps, or the files that fit in none. */
export interface ConfigMapSplit {
  configMaps: ConfigMapObject[];
  /** Files no ConfigMap can hold, and why. */
  unfit: { path: string; reason: string }[];
}

/** What every rendered object carries. */
export interface ObjectBase {
  namespace?: string;
  labels: Record<string, string>;
}

/**
 * Pack the files, in the order given, into as few ConfigMaps as fit in order: a file goes
 * into the current ConfigMap when it fits, else it starts the next one. One ConfigMap is
 * named `name`; several are `name-1`, `name-2` … Keys are the files' base names.
 */
export function splitIntoConfigMaps(
  files: readonly ManifestFile[],
  name: string,
  base: ObjectBase,
): ConfigMapSplit {
  const groups: Record<string, string>[] = [];
  const unfit: ConfigMapSplit['unfit'] = [];
  let current: Record<string, string> | undefined;
  let used = 0;
  for (const file of files) {
    const key = basename(file.path);
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(file.text);
    if (!CONFIG_MAP_KEY.test(key)) {
      unfit.push({
        path: file.path,
        reason: `the file name "${key}" is not a ConfigMap key (letters, digits, "-", "_" and "." only); rename the file`,
      });
      continue;
    }
    if (bytes > CONFIG_MAP_DATA_BUDGET) {
      unfit.push({
        path: file.path,
        reason: `the file is ${bytes} bytes; one ConfigMap holds at most ${CONFIG_MAP_DATA_BUDGET} (1 MiB less room for metadata); split the file`,
      });
      continue;
    }
    if (current === undefined || used + bytes > CONFIG_MAP_DATA_BUDGET) {
      current = {};
      groups.push(current);
      used = 0;
    }
    current[key] = file.text;
    used += bytes;
  }
  const configMaps = groups.map((data, index): ConfigMapObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: groups.length === 1 ? name : `${name}-${index + 1}`,
      ...(base.namespace !== undefined && { namespace: base.namespace }),
      labels: { ...base.labels },
    },
    data,
  }));
  return { configMaps, unfit };
}
