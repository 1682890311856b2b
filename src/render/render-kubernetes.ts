// `render kubernetes` as a pure function: loaded schedules, their files, options and `now` → objects, warnings, errors.
import type { LoadedSchedule } from '../manifest/load.js';
import { buildCronJob, MANAGED_BY_LABEL } from './build-cron-job.js';
import { splitIntoConfigMaps } from './config-maps.js';
import { findDstWindows, type DstWindow } from './dst-warning.js';
import { createFieldLocator, type FieldPosition, type ManifestFile } from './field-positions.js';
import type { RenderedObject } from './kubernetes-objects.js';
import { planCronJob } from './plan-cron-job.js';
import { collectSecretRefs, keyForFile, type PlaceholderSecrets } from './secret-refs.js';

/** How to render. */
export interface RenderOptions {
  /** The image the pods run: cronops plus the tools the jobs call. */
  image: string;
  /** metadata.namespace of every object; none when undefined. */
  namespace?: string;
  /** Put before every object name. @default '' */
  namePrefix: string;
  /** A Secret whose key `store-url` holds the shared store: runs are then recorded there. */
  storeSecret?: string;
}

/** A schedule (or file) that cannot be rendered, and why. */
export interface RenderError extends FieldPosition {
  /** The schedule's name; '' for a problem with a file. */
  schedule: string;
  reason: string;
}

/** A difference between what cronops would do and what the CronJob does. */
export interface RenderWarning extends FieldPosition {
  schedule: string;
  text: string;
}

/** Who reads a placeholder Secret key: for the comment at the top of the output and the docs. */
export interface SecretKeyUse {
  secret: string;
  key: string;
  /** What the key provides: `env NAME` or `file /path`. */
  provides: string;
  schedules: string[];
}

/** Everything a render produces. */
export interface RenderResult {
  /** The ConfigMaps, then one CronJob per renderable schedule (in load order). */
  objects: RenderedObject[];
  /** Problems that stop a schedule (or file) from being rendered, by file, line, column. */
  errors: RenderError[];
  /** Schedules rendered with a difference from cronops, by file, line, column. */
  warnings: RenderWarning[];
  /** The names of the schedules that have errors (and so no CronJob). */
  unsupported: string[];
  /** The Secret keys the pods read, which the user must provide. */
  secretKeys: SecretKeyUse[];
}

/** The placeholder Secrets, named after the prefix. */
export function namePlaceholderSecrets(namePrefix: string): PlaceholderSecrets {
  return { envSecret: `${namePrefix}cronops-env`, filesSecret: `${namePrefix}cronops-files` };
}

/**
 * Render schedules as Kubernetes objects. Pure: `files` are the directory's manifest files
 * (the ConfigMap content; also where errors are located) and `now` decides active windows
 * and which DST transitions are near.
 */
export function renderKubernetes(
  schedules: readonly LoadedSchedule[],
  files: readonly ManifestFile[],
  options: RenderOptions,
  now: Date,
): RenderResult {
  const locator = createFieldLocator(files);
  const base = {
    ...(options.namespace !== undefined && { namespace: options.namespace }),
    labels: { ...MANAGED_BY_LABEL },
  };
  const split = splitIntoConfigMaps(files, `${options.namePrefix}cronops-manifests`, base);
  const errors: RenderError[] = split.unfit.map((file) => ({
    file: file.path,
    line: 1,
    col: 1,
    schedule: '',
    reason: file.reason,
  }));
  const warnings: RenderWarning[] = [];
  const unsupported: string[] = [];
  const secrets = namePlaceholderSecrets(options.namePrefix);
  const windows = new Map<string, readonly DstWindow[]>();
  const context = {
    now,
    namePrefix: options.namePrefix,
    dstWindows: (zone: string) => {
      let found = windows.get(zone);
      if (found === undefined) windows.set(zone, (found = findDstWindows(zone, now)));
      return found;
    },
  };
  const jobContext = {
    image: options.image,
    ...(options.namespace !== undefined && { namespace: options.namespace }),
    configMapNames: split.configMaps.map((configMap) => configMap.metadata.name),
    secrets,
    ...(options.storeSecret !== undefined && { storeSecret: options.storeSecret }),
  };
  const cronJobs: RenderedObject[] = [];
  const rendered: LoadedSchedule[] = [];
  for (const schedule of schedules) {
    const decision = planCronJob(schedule, context);
    if (!decision.ok) {
      unsupported.push(schedule.name);
      for (const error of decision.errors) {
        const at = locator.locate(schedule.name, schedule.file, error.path);
        errors.push({ ...at, schedule: schedule.name, reason: error.text });
      }
      continue;
    }
    for (const warning of decision.warnings) {
      const at = locator.locate(schedule.name, schedule.file, warning.path);
      warnings.push({ ...at, schedule: schedule.name, text: warning.text });
    }
    cronJobs.push(buildCronJob(schedule, decision.plan, jobContext));
    rendered.push(schedule);
  }
  return {
    objects: [...split.configMaps, ...cronJobs],
    errors: errors.sort(comparePositions),
    warnings: warnings.sort(comparePositions),
    unsupported,
    secretKeys: listSecretKeys(rendered, secrets),
  };
}

/** By file, line, column (stable: a schedule's notes at one position keep their order). */
function comparePositions(a: FieldPosition, b: FieldPosition): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.col - b.col;
}

function listSecretKeys(
  schedules: readonly LoadedSchedule[],
  secrets: PlaceholderSecrets,
): SecretKeyUse[] {
  const uses = new Map<string, SecretKeyUse>();
  const add = (secret: string, key: string, provides: string, schedule: string): void => {
    const id = `${secret}\u0000${provides}`;
    const use = uses.get(id) ?? { secret, key, provides, schedules: [] };
    use.schedules.push(schedule);
    uses.set(id, use);
  };
  for (const schedule of schedules) {
    const refs = collectSecretRefs(schedule.spec);
    for (const name of refs.envNames) add(secrets.envSecret, name, `env ${name}`, schedule.name);
    for (const path of refs.filePaths)
      add(secrets.filesSecret, keyForFile(path), `file ${path}`, schedule.name);
  }
  return [...uses.values()].sort(
    (a, b) => a.secret.localeCompare(b.secret) || a.key.localeCompare(b.key),
  );
}
