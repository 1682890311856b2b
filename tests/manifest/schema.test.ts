import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { ManifestSchema } from '../../src/manifest/schema.js';
import { JobSpecSchema, type JobSpec, type ManifestInput } from '../../src/manifest/schema.js';

function resolve(spec: Record<string, unknown>): JobSpec {
  return JobSpecSchema.parse({ schedule: '@daily', ...spec });
}

describe('manifest/schema', () => {
  it('outputs exactly the JobSpec type', () => {
    expectTypeOf<z.output<typeof JobSpecSchema>>().toEqualTypeOf<JobSpec>();
    expectTypeOf<ManifestInput>().toEqualTypeOf<z.input<typeof ManifestSchema>>();
  });

  it('gives the spec keys in one order, optional ones in their places', () => {
    expect(Object.keys(resolve({ task: { shell: 'x' } }))).toEqual([
      'schedule',
      'timezone',
      'suspend',
      'concurrencyPolicy',
      'startingDeadline',
      'catchUp',
      'jitter',
      'timeout',
      'killGracePeriod',
      'retries',
      'params',
      'task',
      'output',
      'history',
      'notify',
    ]);
    const full = resolve({
      after: [{ schedule: 'up' }],
      activeFrom: '2026-01-01T00:00:00Z',
      activeUntil: '2027-01-01T00:00:00Z',
      maxSuccessAge: '1h',
      task: { shell: 'x' },
    });
    expect(Object.keys(full)).toEqual([
      'schedule',
      'after',
      'timezone',
      'suspend',
      'concurrencyPolicy',
      'startingDeadline',
      'catchUp',
      'jitter',
      'timeout',
      'killGracePeriod',
      'retries',
      'activeFrom',
      'activeUntil',
      'params',
      'task',
      'output',
      'history',
      'maxSuccessAge',
      'notify',
    ]);
  });

  it.each([
    [{ command: ['a', 'b'] }, { kind: 'command', command: ['a', 'b'], env: {} }],
    [
      { shell: 'echo hi', workingDir: '/tmp' },
      { kind: 'shell', shell: 'echo hi', env: {}, workingDir: '/tmp' },
    ],
    [
      { http: { url: 'https://x.example/' } },
      {
        kind: 'http',
        url: 'https://x.example/',
        method: 'GET',
        headers: {},
        expectStatus: [[200, 299]],
        env: {},
      },
    ],
    [
      {
        http: {
          url: 'http://x/',
          method: 'PUT',
          headers: { 'content-type': 'text/yaml' },
          body: [1],
        },
      },
      {
        kind: 'http',
        url: 'http://x/',
        method: 'PUT',
        headers: { 'content-type': 'text/yaml' },
        body: '[1]',
        expectStatus: [[200, 299]],
        env: {},
      },
    ],
    [
      { http: { url: 'http://x/', method: 'POST', body: 'raw text', expectStatus: 204 } },
      {
        kind: 'http',
        url: 'http://x/',
        method: 'POST',
        headers: {},
        body: 'raw text',
        expectStatus: [[204, 204]],
        env: {},
      },
    ],
    [
      { http: { url: 'http://x/', body: { a: [1, null] }, expectStatus: ['2xx', '300-304', 418] } },
      {
        kind: 'http',
        url: 'http://x/',
        method: 'GET',
        headers: { 'Content-Type': 'application/json' },
        body: '{"a":[1,null]}',
        expectStatus: [
          [200, 299],
          [300, 304],
          [418, 418],
        ],
        env: {},
      },
    ],
    [
      {
        command: ['a'],
        env: {
          PORT: 5432,
          DEBUG: true,
          NAME: 'x',
          TOKEN: { fromEnv: 'TOKEN' },
          KEY: { fromFile: '/run/key' },
        },
      },
      {
        kind: 'command',
        command: ['a'],
        env: {
          PORT: '5432',
          DEBUG: 'true',
          NAME: 'x',
          TOKEN: { fromEnv: 'TOKEN' },
          KEY: { fromFile: '/run/key' },
        },
      },
    ],
  ])('resolves task %j', (task, expected) => {
    expect(resolve({ task }).task).toEqual(expected);
  });

  it.each([
    [{ startingDeadline: 90 }, { startingDeadline: 90_000 }],
    [
      { jitter: '500ms', killGracePeriod: '1m' },
      { jitter: 500, killGracePeriod: 60_000 },
    ],
    [{ output: { maxBytes: 1024 } }, { output: { maxBytes: 1024 } }],
    [{ maxSuccessAge: '1d2h' }, { maxSuccessAge: 93_600_000 }],
    [{ activeFrom: '2026-03-01T10:00:00+01:00' }, { activeFrom: '2026-03-01T09:00:00.000Z' }],
    [
      { notify: [{ on: ['missed'], webhook: { url: 'https://h/' } }] },
      { notify: [{ on: ['missed'], webhook: { url: 'https://h/', headers: {} } }] },
    ],
  ])('resolves %j', (fields, expected) => {
    expect(resolve({ task: { shell: 'x' }, ...fields })).toMatchObject(expected);
  });

  it.each([
    [{ task: {} }, 'a task needs exactly one of command, shell or http, got none'],
    [
      {
        task: { shell: 'x' },
        notify: [{ on: ['failure'], command: ['a'], webhook: { url: 'https://h/' } }],
      },
      'a notification needs exactly one of webhook or command, got webhook and command',
    ],
    [{ task: { shell: 'x' }, timeout: '0s' }, 'expected a duration of at least 1s, got "0s"'],
    [
      { task: { http: { url: 'https://x/', expectStatus: [] } } },
      'expected at least one status code, got an empty list',
    ],
    [
      { task: { shell: 'x' }, output: { maxBytes: '1GiB' } },
      'expected a size of at most 67108864 bytes, got "1GiB"',
    ],
    [{ task: { command: [''] } }, 'expected the program to run, got ""'],
    [
      { task: { shell: 'x', env: { A: { fromFile: 'relative/path' } } } },
      'expected an absolute file path (starting with "/"), got "relative/path"',
    ],
  ])('refuses %j', (spec, message) => {
    const result = JobSpecSchema.safeParse({ schedule: '@daily', ...spec }, { reportInput: true });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toContain(message);
  });
});
