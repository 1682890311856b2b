// The text `render kubernetes` prints: a multi-document YAML on stdout, one line per error or warning on stderr.
import { stringify } from 'yaml';
import { STORE_SECRET_KEY } from './build-cron-job.js';
import type { RenderError, RenderResult, RenderWarning } from './render-kubernetes.js';

/** `file:line:col: schedule NAME: cannot be rendered as a CronJob: why` (a file's problem names no schedule). */
export function formatRenderError(error: RenderError): string {
  const where = error.line > 0 ? `${error.file}:${error.line}:${error.col}` : error.file;
  return error.schedule === ''
    ? `${where}: cannot be rendered into a ConfigMap: ${error.reason}`
    : `${where}: schedule ${error.schedule}: cannot be rendered as a CronJob: ${error.reason}`;
}

/** `file:line:col: warning: schedule NAME: difference`. */
export function formatRenderWarning(warning: RenderWarning): string {
  const where = warning.line > 0 ? `${warning.file}:${warning.line}:${warning.col}` : warning.file;
  return `${where}: warning: schedule ${warning.schedule}: ${warning.text}`;
}

/** The comment at the top of the output: where it came from and the Secrets to create. */
export function formatHeader(result: RenderResult, storeSecret: string | undefined): string[] {
  const lines = [
    '# Rendered by `cronops render kubernetes`; edit the manifests and render again instead of this file.',
  ];
  if (result.secretKeys.length === 0 && storeSecret === undefined) {
    lines.push('# No Secrets are needed.');
    return lines;
  }
  lines.push('# Secrets to create in the same namespace before applying (placeholder names):');
  for (const use of result.secretKeys) {
    lines.push(
      `#   Secret ${use.secret}, key ${use.key}: ${use.provides}, for ${use.schedules.join(', ')}`,
    );
  }
  if (storeSecret !== undefined) {
    lines.push(
      `#   Secret ${storeSecret}, key ${STORE_SECRET_KEY}: the shared store's connection string, for every CronJob`,
    );
  }
  return lines;
}

/**
 * YAML 1.1 output: Kubernetes tools read YAML as 1.1 (go-yaml), where `on`, `no` or `yes` are
 * booleans, so such strings must be quoted to stay strings. No anchors or aliases, no folding.
 */
const STRINGIFY_OPTIONS = { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false } as const;

/** Every object as one YAML document, after the header comment. */
export function formatRenderedYaml(result: RenderResult, storeSecret: string | undefined): string {
  const documents = result.objects.map((object) => stringify(object, STRINGIFY_OPTIONS));
  return `${formatHeader(result, storeSecret).join('\n')}\n---\n${documents.join('---\n')}`;
}
