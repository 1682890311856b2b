import { describe, expect, it } from 'vitest';
import { resolveEnv, type EnvValue } from '../../src/runtime/secrets.js';

const files: Record<string, string> = {
  '/run/secrets/pg': 's3cret\n',
  '/run/secrets/crlf': 'tok\r\n\r\n',
  '/run/secrets/spaces': '  padded  \n',
  '/run/secrets/multi': 'line1\nline2\n',
  '/run/secrets/empty': '',
};
const source = {
  env: { PGPASSWORD: 'from-env', EMPTY: '' } as NodeJS.ProcessEnv,
  readFile: (path: string): string => {
    const content = files[path];
    if (content === undefined) {
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
        code: 'ENOENT',
      });
    }
    return content;
  },
};

describe('runtime/secrets', () => {
  it.each<{
    title: string;
    env: Record<string, EnvValue>;
    values: Record<string, string>;
    secrets: string[];
    errors: string[];
  }>([
    {
      title: 'a literal is passed through, not a secret',
      env: { PGHOST: 'db' },
      values: { PGHOST: 'db' },
      secrets: [],
      errors: [],
    },
    {
      title: 'fromEnv present',
      env: { PW: { fromEnv: 'PGPASSWORD' } },
      values: { PW: 'from-env' },
      secrets: ['from-env'],
      errors: [],
    },
    {
      title: 'fromEnv set but empty resolves to the empty string',
      env: { PW: { fromEnv: 'EMPTY' } },
      values: { PW: '' },
      secrets: [],
      errors: [],
    },
    {
      title: 'fromEnv missing',
      env: { PW: { fromEnv: 'NOPE' } },
      values: {},
      secrets: [],
      errors: [
        'env PW: environment variable "NOPE" (fromEnv) is not set in the daemon\'s environment',
      ],
    },
    {
      title: 'fromFile present, trailing newline trimmed',
      env: { PW: { fromFile: '/run/secrets/pg' } },
      values: { PW: 's3cret' },
      secrets: ['s3cret'],
      errors: [],
    },
    {
      title: 'fromFile: every trailing CRLF trimmed',
      env: { T: { fromFile: '/run/secrets/crlf' } },
      values: { T: 'tok' },
      secrets: ['tok'],
      errors: [],
    },
    {
      title: 'fromFile: other whitespace kept',
      env: { T: { fromFile: '/run/secrets/spaces' } },
      values: { T: '  padded  ' },
      secrets: ['  padded  '],
      errors: [],
    },
    {
      title: 'fromFile: inner newlines kept',
      env: { T: { fromFile: '/run/secrets/multi' } },
      values: { T: 'line1\nline2' },
      secrets: ['line1\nline2'],
      errors: [],
    },
    {
      title: 'fromFile missing',
      env: { PW: { fromFile: '/run/secrets/nope' } },
      values: {},
      secrets: [],
      errors: ['env PW: cannot read secret file "/run/secrets/nope" (fromFile): no such file'],
    },
    {
      title: 'every error is reported, the rest still resolves, secrets deduplicated',
      env: {
        A: { fromEnv: 'PGPASSWORD' },
        B: { fromEnv: 'PGPASSWORD' },
        C: { fromEnv: 'MISSING' },
        D: { fromFile: '/run/secrets/missing' },
        E: 'plain',
      },
      values: { A: 'from-env', B: 'from-env', E: 'plain' },
      secrets: ['from-env'],
      errors: [
        'env C: environment variable "MISSING" (fromEnv) is not set in the daemon\'s environment',
        'env D: cannot read secret file "/run/secrets/missing" (fromFile): no such file',
      ],
    },
    {
      title: 'a malformed value',
      env: { X: { fromVault: 'x' } as unknown as EnvValue },
      values: {},
      secrets: [],
      errors: ['env X: expected a string, { fromEnv: NAME } or { fromFile: PATH }'],
    },
  ])('$title', ({ env, values, secrets, errors }) => {
    expect(resolveEnv(env, source)).toEqual({ values, secrets, errors });
  });

  it('never puts a secret value into an error', () => {
    const leaky = {
      env: {},
      readFile: () => {
        throw Object.assign(new Error('content was s3cret'), { code: 'EIO' });
      },
    };
    const { errors } = resolveEnv({ PW: { fromFile: '/x' } }, leaky);
    expect(errors).toEqual(['env PW: cannot read secret file "/x" (fromFile): EIO']);
  });
});
