// Test helper: rendered objects against the official Kubernetes OpenAPI schemas (tests/support) and the naming rules.
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Volume } from 'kubernetes-models/v1/Volume';
import { SecretVolumeSource } from 'kubernetes-models/v1/SecretVolumeSource';
import { expect } from 'vitest';
import type {
  ConfigMapObject,
  CronJobObject,
  RenderedObject,
} from '../../src/render/kubernetes-objects.js';
import { checkKubernetesObject } from '../support/kubernetes-schema.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;

// Compile-time: the renderer's shapes are assignable to the published Kubernetes types.
const asCronJob = (object: CronJobObject): ICronJob => object;
const asConfigMap = (object: ConfigMapObject): IConfigMap => object;

/** Throw (with the schema's message) unless every object is valid Kubernetes. */
export function expectValidKubernetes(objects: readonly RenderedObject[]): void {
  for (const object of objects) {
    const check = checkKubernetesObject(object);
    if (check.problems.length > 0)
      throw new Error(`${check.kind} ${check.name}: ${check.problems.join('; ')}`);
    if (object.kind === 'CronJob') {
      asCronJob(object);
      expect(object.metadata.name).toMatch(DNS_LABEL);
      expect(object.metadata.name.length).toBeLessThanOrEqual(52);
      const pod = object.spec.jobTemplate.spec.template.spec;
      for (const volume of pod.volumes) {
        new Volume(volume).validate();
        if ('secret' in volume) new SecretVolumeSource(volume.secret).validate();
        expect(volume.name).toMatch(DNS_LABEL);
      }
      for (const key of Object.keys(object.metadata.labels)) expect(key.length).toBeLessThan(317);
    } else {
      asConfigMap(object);
      expect(object.metadata.name).toMatch(DNS_SUBDOMAIN);
      for (const key of Object.keys(object.data)) expect(key).toMatch(CONFIG_MAP_KEY);
      // The API server refuses a ConfigMap over 1 MiB.
      expect(Buffer.byteLength(JSON.stringify(object))).toBeLessThan(1024 * 1024);
    }
  }
}
