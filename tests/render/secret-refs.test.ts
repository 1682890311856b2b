import { describe, expect, it } from 'vitest';
import { collectSecretRefs, keyForFile, wireSecrets } from '../../src/render/secret-refs.js';
import { loadTexts } from './load-texts.js';

describe('render/secret-refs', () => {
  it.each([
    ['/run/secrets/db/ca.pem', 'run-secrets-db-ca.pem'],
    ['/etc/token', 'etc-token'],
    ['/srv/my secret (2).txt', 'srv-my-secret--2-.txt'],
    ['//double//slash', 'double--slash'],
  ])('keyForFile(%s) = %s', (path, key) => {
    expect(keyForFile(path)).toBe(key);
  });

  it('collects fromEnv and fromFile from task env, http headers and webhook headers, not params', () => {
    const { schedules } = loadTexts({
      'a.yaml': `apiVersion: cronops/v1
kind: Schedule
metadata: { name: job }
spec:
  schedule: '0 4 * * *'
  params: { looksLike: { fromEnv: NOT_A_SECRET } }
  task:
    http:
      url: https://api.example.com/run
      headers: { Authorization: { fromEnv: API_TOKEN } }
    env:
      B: { fromFile: /run/secrets/b }
      A: { fromEnv: A_SECRET }
      A2: { fromEnv: A_SECRET }
  notify:
    - on: [failure]
      webhook:
        url: https://hooks.example.com/x
        headers: { X-Key: { fromFile: /run/secrets/hook } }
`,
    });
    expect(collectSecretRefs(schedules[0]!.spec)).toEqual({
      envNames: ['API_TOKEN', 'A_SECRET'],
      filePaths: ['/run/secrets/b', '/run/secrets/hook'],
    });
  });

  it('wires nothing for a schedule without secrets', () => {
    expect(
      wireSecrets({ envNames: [], filePaths: [] }, { envSecret: 'e', filesSecret: 'f' }),
    ).toEqual({ env: [], volumes: [], mounts: [] });
  });
});
