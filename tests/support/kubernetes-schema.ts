// Checking Kubernetes objects against the official API schemas (Kubernetes 1.27 OpenAPI, compiled by the
// kubernetes-models package), for the examples and for rendered manifests alike.
import { parseAllDocuments } from 'yaml';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as coreV1 from 'kubernetes-models/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as rbacV1 from 'kubernetes-models/rbac.authorization.k8s.io/v1';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** The API groups known here, by apiVersion; each maps a kind to its model class. */
const GROUPS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'batch/v1': batchV1,
  'networking.k8s.io/v1': networkingV1,
  'policy/v1': policyV1,
  'rbac.authorization.k8s.io/v1': rbacV1,
};

/** One Kubernetes object (a YAML document) and what is wrong with it; `problems` is empty when it is valid. */
export interface KubernetesObjectCheck {
  apiVersion: string;
  kind: string;
  name: string;
  problems: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Validate one object against the schema of its apiVersion and kind: types, formats, enums and required
 * fields. An apiVersion/kind this helper does not know is a problem, not a pass. The schemas do not forbid
 * unknown fields (Kubernetes' OpenAPI does not), so check the fields that matter by value as well.
 */
export function checkKubernetesObject(object: unknown): KubernetesObjectCheck {
  if (!isRecord(object)) return { apiVersion: '', kind: '', name: '', problems: ['not a mapping'] };
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const model = GROUPS[apiVersion]?.[kind] as ModelClass | undefined;
  if (typeof model !== 'function')
    return { apiVersion, kind, name, problems: [`unknown apiVersion/kind ${apiVersion}/${kind}`] };
  try {
    new model(object as never).validate();
    return { apiVersion, kind, name, problems: [] };
  } catch (error) {
    const errors = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
    const problems = errors?.map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`) ?? [
      (error as Error).message,
    ];
    return { apiVersion, kind, name, problems };
  }
}

/** Every document of a YAML text (a file with `---` separators), parsed and validated. */
export function checkKubernetesYaml(text: string): KubernetesObjectCheck[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0)
      return {
        apiVersion: '',
        kind: '',
        name: '',
        problems: doc.errors.map((e) => e.message),
      };
    return checkKubernetesObject(doc.toJS());
  });
}
