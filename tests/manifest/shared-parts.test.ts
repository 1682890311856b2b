import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/manifest/load.js';
import { createSharedValues } from '../../src/manifest/shared-parts.js';
import type { ScheduleDocument } from '../../src/manifest/validate.js';

function schedule(name: string, retries: string, command = '[backup, "{{ name }}"]'): string {
  return [
    'apiVersion: cronops/v1',
    'kind: Schedule',
    'metadata:',
    `  name: ${name}`,
    '  labels: { team: data }',
    'spec:',
    '  schedule: "0 3 * * *"',
    `  retries: ${retries}`,
    '  task:',
    `    command: ${command}`,
    '    env: { MODE: nightly }',
    '',
  ].join('\n');
}

function firstDocument(
  file: string,
  text: string,
  shared = createSharedValues(),
): ScheduleDocument {
  return parseManifestText(file, text, undefined, shared).documents[0] as ScheduleDocument;
}

describe('manifest/shared-parts', () => {
  it('gives documents parsed together one object for each equal part', () => {
    const shared = createSharedValues();
    const a = firstDocument('/m/a.yaml', schedule('a', '{ limit: 2 }'), shared);
    const b = firstDocument('/m/b.yaml', schedule('b', '{ limit: 2 }'), shared);
    const c = firstDocument('/m/c.yaml', schedule('c', '{ limit: 3 }', '[other]'), shared);
    expect(b.spec.retries).toBe(a.spec.retries);
    expect(b.spec.task).toBe(a.spec.task);
    expect(b.spec.notify).toBe(a.spec.notify);
    expect(b.metadata.labels).toBe(a.metadata.labels);
    expect(b.written).toBe(a.written);
    expect(c.spec.retries).not.toBe(a.spec.retries);
    expect(c.spec.retries).toEqual({ ...a.spec.retries, limit: 3 });
    expect(c.spec.task).not.toBe(a.spec.task);
    expect(c.spec.output).toBe(a.spec.output);
  });

  it('parses the same values with and without sharing', () => {
    const text = schedule('a', '{ limit: 2, delay: 1m }');
    const shared = createSharedValues();
    firstDocument('/m/z.yaml', schedule('z', '{ limit: 2, delay: 1m }'), shared);
    expect(parseManifestText('/m/a.yaml', text, undefined, shared)).toEqual(
      parseManifestText('/m/a.yaml', text),
    );
  });
});
