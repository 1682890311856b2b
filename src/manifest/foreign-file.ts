// Telling a YAML file that is not a cronops manifest (a compose file, a Kubernetes object) from a broken one.
import type { ManifestIssue } from './issue.js';
import type { YamlDocument } from './yaml.js';

const API_GROUP = 'cronops/';
const KINDS = new Set(['Schedule', 'Defaults']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Whether a document may be a cronops one, even a broken one: by its apiVersion, its kind or its spec. A
 * document that is not a mapping at all keeps its own message ("expected a mapping …").
 */
function looksLikeCronops(value: unknown): boolean {
  if (!isRecord(value)) return true;
  const { apiVersion, kind, spec } = value;
  if (typeof apiVersion === 'string' && apiVersion.toLowerCase().startsWith(API_GROUP)) return true;
  if (typeof kind === 'string' && KINDS.has(kind)) return true;
  // Neither field at all, but a cronops-shaped spec: a manifest that forgot its header.
  return (
    apiVersion === undefined &&
    kind === undefined &&
    isRecord(spec) &&
    ('schedule' in spec || 'task' in spec)
  );
}

function describeDocument(value: Record<string, unknown>): string {
  const { apiVersion, kind } = value;
  if (typeof apiVersion === 'string' && typeof kind === 'string')
    return `kind ${kind} of apiVersion ${apiVersion}`;
  if (typeof kind === 'string') return `kind ${kind}`;
  const keys = Object.keys(value).slice(0, 3);
  return keys.length === 0 ? 'an empty mapping' : `top-level keys ${keys.join(', ')}`;
}

/**
 * The single issue for a file none of whose documents is a cronops manifest, or undefined when at least one
 * document looks like one (its schema problems are then worth listing). Pure.
 */
export function findForeignFileIssue(
  file: string,
  documents: readonly YamlDocument[],
): ManifestIssue | undefined {
  const first = documents[0];
  if (first === undefined || documents.some((doc) => looksLikeCronops(doc.value))) return undefined;
  return {
    file,
    line: first.line,
    col: first.col,
    path: '',
    message: `not a cronops manifest (found ${describeDocument(first.value as Record<string, unknown>)}; expected apiVersion: cronops/v1 with kind Schedule or Defaults)`,
  };
}
