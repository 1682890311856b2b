// `cronops schema`: print the JSON Schema that editors and CI use to check manifests.
import type { Command } from 'commander';
import { buildJsonSchema } from '../../manifest/json-schema.js';

/** The schema exactly as committed in schema/cronops.schema.json. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(buildJsonSchema(), null, 2)}\n`;
}

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .summary('print the JSON Schema of a manifest')
    .description(
      'Print the JSON Schema of a manifest document (generated from the same schema the ' +
        'validator uses). Editors with the YAML language server use it for completion and checks.',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ cronops schema > schema/cronops.schema.json     (what \`npm run schema\` does)
  $ cronops schema | jq '.properties.spec.properties | keys'

In a manifest, point the YAML language server at the committed copy:
  # yaml-language-server: $schema=../schema/cronops.schema.json`,
    )
    .action(() => {
      process.stdout.write(renderJsonSchema());
    });
}
