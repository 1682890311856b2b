// `cronops render kubernetes`: load the manifests, render them (src/render/), print YAML on stdout and problems on stderr.
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatIssue, loadManifestDir } from '../../manifest/load.js';
import {
  formatRenderError,
  formatRenderWarning,
  formatRenderedYaml,
} from '../../render/format-output.js';
import { renderKubernetes, type RenderOptions } from '../../render/render-kubernetes.js';
import { systemClock } from '../../shared/clock.js';
import { EXIT, createUsageError, writeErr } from '../output.js';
import { selectDefaultDir } from './validate.js';

interface RenderKubernetesFlags {
  dir?: string;
  image: string;
  namespace?: string;
  namePrefix: string;
  skipUnsupported?: boolean;
  storeSecret?: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME_PREFIX = /^([a-z0-9][-a-z0-9]*)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$/;

export function registerRenderCommand(program: Command): void {
  const render = program
    .command('render')
    .summary('render schedules for another scheduler (kubernetes)')
    .description('Render the schedules of a directory as objects for another scheduler.');
  render
    .command('kubernetes')
    .summary('print a ConfigMap and one batch/v1 CronJob per schedule')
    .description(
      'Print a multi-document YAML: the manifests in a ConfigMap (several past 1 MiB) and one ' +
        'batch/v1 CronJob per schedule whose pod runs IMAGE with `cronops exec NAME --notify` ' +
        'against the mounted manifests. What cannot map is an error (exit 1); approximations are ' +
        'warned about on stderr. See docs/kubernetes.md.',
    )
    .option('--dir <dir>', 'manifest directory (default: $CRONOPS_DIR or schedules.d)')
    .requiredOption(
      '--image <image>',
      'the image the pods run: cronops plus the tools the jobs call',
    )
    .option('--namespace <ns>', 'metadata.namespace of every object')
    .option('--name-prefix <prefix>', 'put before every object name', '')
    .option('--skip-unsupported', 'render the other schedules and list the skipped ones on stderr')
    .option(
      '--store-secret <name>',
      'record each run in the shared store whose connection string is key "store-url" of this Secret',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ cronops render kubernetes --dir examples/team-defaults --image registry.example/cronops-jobs:1.4 > cronjobs.yaml
  $ cronops render kubernetes --image my/jobs:1 --namespace batch --skip-unsupported | kubectl diff -f -`,
    )
    .action(async (flags: RenderKubernetesFlags) => {
      process.exitCode = await renderKubernetesCommand(flags);
    });
}

function checkFlags(flags: RenderKubernetesFlags): void {
  if (flags.image.trim() === '') throw createUsageError('--image: expected an image, got ""');
  if (flags.namespace !== undefined && !DNS_LABEL.test(flags.namespace))
    throw createUsageError(
      `--namespace: expected a namespace name (lowercase letters, digits and "-"), got "${flags.namespace}"`,
    );
  if (!NAME_PREFIX.test(flags.namePrefix))
    throw createUsageError(
      `--name-prefix: expected lowercase letters, digits and "-", starting with a letter or digit, got "${flags.namePrefix}"`,
    );
  if (flags.storeSecret !== undefined && !DNS_SUBDOMAIN.test(flags.storeSecret))
    throw createUsageError(`--store-secret: expected a Secret name, got "${flags.storeSecret}"`);
}

async function renderKubernetesCommand(flags: RenderKubernetesFlags): Promise<number> {
  checkFlags(flags);
  const dir = flags.dir ?? selectDefaultDir(process.env);
  const isDir = await stat(dir).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!isDir) throw createUsageError(`no such directory: ${dir}`);
  const loaded = await loadManifestDir(dir);
  if (loaded.issues.length > 0) {
    for (const issue of loaded.issues) writeErr(formatIssue(issue));
    writeErr('cronops: the manifests are invalid; nothing was rendered');
    return EXIT.invalid;
  }
  const files = await Promise.all(
    loaded.files.map(async (file) => ({
      path: file.file,
      text: await readFile(file.file, 'utf8'),
    })),
  );
  const options: RenderOptions = {
    image: flags.image,
    namePrefix: flags.namePrefix,
    ...(flags.namespace !== undefined && { namespace: flags.namespace }),
    ...(flags.storeSecret !== undefined && { storeSecret: flags.storeSecret }),
  };
  const result = renderKubernetes(loaded.schedules, files, options, systemClock.now());
  for (const error of result.errors) writeErr(formatRenderError(error));
  for (const warning of result.warnings) writeErr(formatRenderWarning(warning));
  const fileErrors = result.errors.some((error) => error.schedule === '');
  if (fileErrors || (result.unsupported.length > 0 && flags.skipUnsupported !== true)) {
    const hint = fileErrors ? '' : ' (or pass --skip-unsupported to render the others)';
    writeErr(`cronops: nothing was rendered; fix the errors above${hint}`);
    return EXIT.invalid;
  }
  for (const name of result.unsupported) writeErr(`cronops: skipped schedule ${name}`);
  process.stdout.write(formatRenderedYaml(result, flags.storeSecret));
  return EXIT.ok;
}
