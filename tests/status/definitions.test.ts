// The definitions document: every running schedule's resolved spec, sorted by name, literal values masked.
import { describe, expect, it } from 'vitest';
import { parseManifestText, resolveSchedules } from '../../src/manifest/load.js';
import { serializeDefinitionsInSteps } from '../../src/status/definitions-file.js';
import {
  buildDefinitionsDocument,
  maskLiteralValue,
  maskScheduleSpec,
} from '../../src/status/definitions.js';

function resolveOne(text: string) {
  const resolved = resolveSchedules([parseManifestText('a.yaml', text)]);
  expect(resolved.issues).toEqual([]);
  return resolved.schedules[0]!;
}

const HTTP_TASK = `apiVersion: cronops/v1
kind: Schedule
metadata: { name: ping }
spec:
  schedule: "*/5 * * * *"
  task:
    http: { url: "https://api.example/ping", headers: { X-Key: literal-key, Authorization: { fromEnv: TOKEN } } }
    env: { MODE: fast }
  notify:
    - on: [failure]
      webhook: { url: "https://hooks.example/x", headers: { X-Hook: hook-literal } }
`;

describe('status/definitions', () => {
  it('masks literal env and header values (task, http task, webhooks) and keeps references', () => {
    const { spec } = resolveOne(HTTP_TASK);
    const masked = maskScheduleSpec(spec);
    expect(masked.task).toMatchObject({
      kind: 'http',
      env: { MODE: maskLiteralValue('fast') },
      headers: { 'X-Key': maskLiteralValue('literal-key'), Authorization: { fromEnv: 'TOKEN' } },
    });
    expect(masked.notify[0]?.webhook?.headers).toEqual({
      'X-Hook': maskLiteralValue('hook-literal'),
    });
    expect(maskLiteralValue('fast')).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(JSON.stringify(masked)).not.toMatch(/literal-key|hook-literal|"fast"/);
    // The spec itself is untouched, and masking it again gives the same masked task and notify list.
    expect(spec.task).toMatchObject({ env: { MODE: 'fast' } });
    const again = maskScheduleSpec(spec);
    expect(again).toEqual(masked);
    expect(again.task).toBe(masked.task);
    expect(again.notify).toBe(masked.notify);
  });

  it('lists every schedule by name with its fingerprint', () => {
    const { spec } = resolveOne(HTTP_TASK);
    const document = buildDefinitionsDocument([
      { name: 'zeta', hash: 'h2', spec },
      { name: 'alpha', hash: 'h1', spec },
    ]);
    expect(document).toEqual({
      definitionsFormat: 1,
      schedules: [
        { name: 'alpha', specHash: 'h1', definition: maskScheduleSpec(spec) },
        { name: 'zeta', specHash: 'h2', definition: maskScheduleSpec(spec) },
      ],
    });
  });

  it('serialises the same document in steps, giving the event loop back between chunks', async () => {
    const { spec } = resolveOne(HTTP_TASK);
    const schedules = Array.from({ length: 250 }, (_, index) => ({
      name: `job-${String(249 - index).padStart(3, '0')}`,
      hash: `h${index}`,
      spec,
    }));
    const chunks = serializeDefinitionsInSteps(schedules);
    // Taken when called: a schedule added afterwards is not in this document.
    schedules.push({ name: 'job-late', hash: 'h-late', spec });
    let immediates = 0;
    const tick = (): void => {
      immediates += 1;
      if (immediates < 10) setImmediate(tick);
    };
    setImmediate(tick);
    const parts: string[] = [];
    for await (const part of chunks) parts.push(part);
    expect(parts.join('')).toBe(
      `${JSON.stringify(buildDefinitionsDocument(schedules.slice(0, 250)))}\n`,
    );
    // Head, three chunks of at most 100 schedules, tail.
    expect(parts).toHaveLength(5);
    // A callback queued after serialising began ran before it ended (one piece would end first).
    expect(immediates).toBeGreaterThanOrEqual(1);
  });

  it('serialises no schedules as an empty list', async () => {
    const parts: string[] = [];
    for await (const part of serializeDefinitionsInSteps([])) parts.push(part);
    expect(parts.join('')).toBe(`${JSON.stringify(buildDefinitionsDocument([]))}\n`);
  });
});
