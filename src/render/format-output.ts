// The text `render kubernetes` prints: a multi-document YAML on stdout, one line per error or warning on stderr.
import { createBlockYamlWriter } from './block-yaml.js';
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

/** Every object as one YAML document, after the header comment. */
export function formatRenderedYaml(result: RenderResult, storeSecret: string | undefined): string {
  // YAML 1.1, as the `yaml` library prints it (see block-yaml.ts and docs/design/render-kubernetes.md).
  const writer = createBlockYamlWriter();
  const documents = result.objects.map((object) => writer.writeDocument(object));
  return `${formatHeader(result, storeSecret).join('\n')}\n---\n${documents.join('---\n')}`;
}
