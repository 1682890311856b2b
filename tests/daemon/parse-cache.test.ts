// The parse cache: real files in a temp directory, real parses of real manifests.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigState } from '../../src/daemon/config-state.js';
import {
  PARSE_CACHE_FILE,
  ParseCache,
  checkCompiled,
  parseCacheKey,
  writeParseCache,
} from '../../src/daemon/parse-cache.js';
import { survivesJson } from '../../src/manifest/json-exact.js';
import { parseManifestText } from '../../src/manifest/parse.js';
import type { ParsedFile } from '../../src/manifest/resolve.js';
import { ManualClock } from '../../src/shared/clock.js';

const roots: string[] = [];

afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function makeDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cronops-parse-cache-'));
  roots.push(dir);
  return dir;
}

function schedule(name: string, extra = ''): string {
  return `apiVersion: cronops/v1
kind: Schedule
metadata:
  name: ${name}
  labels: { team: data }
spec:
  schedule: "*/5 * * * *"
  timezone: Europe/Berlin
  activeFrom: 2026-01-01T00:00:00+01:00
${extra}  params: { bucket: s3://backups, keep: 7, nested: { list: [1, "two", null] } }
  task:
    shell: echo {{ params.bucket }} {{ scheduledTime }}
    env: { PGPASSWORD: { fromEnv: PGPASSWORD } }
  retries: { limit: 2, backoff: exponential, delay: 10s }
  notify:
    - on: [failure]
      webhook: { url: "https://hooks.example/{{ name }}" }
`;
}

const DEFAULTS = `apiVersion: cronops/v1
kind: Defaults
metadata:
  labels: { owner: ops }
spec:
  timezone: UTC
  task:
    env: { REGION: eu-west-1 }
`;

const settledClock = (): ManualClock => new ManualClock('2099-01-01T00:00:00.000Z');

describe('daemon/parse-cache', () => {
  it('gives back exactly what was parsed, by path and text, and nothing for another text or path', async () => {
    const dir = await makeDir();
    const path = join(dir, PARSE_CACHE_FILE);
    const files = [
      parseManifestText('/etc/cronops/a.yaml', `${schedule('alpha')}---\n${schedule('beta')}`),
      parseManifestText('/etc/cronops/defaults.yaml', DEFAULTS),
      // A file with problems is cached too: its issues are part of its parse.
      parseManifestText('/etc/cronops/broken.yaml', schedule('gamma', '  jitter: forever\n')),
    ];
    expect(files.map((f) => f.issues.length > 0)).toEqual([false, false, true]);
    expect(files[0]?.documents).toHaveLength(2);
    await writeParseCache(path, parseCacheKey(), files);

    const { cache, problem } = await ParseCache.open(path, parseCacheKey());
    expect(problem).toBeUndefined();
    expect(cache.size).toBe(3);
    for (const file of files) expect(cache.get(file.file, file.contentHash)).toEqual(file);
    expect(cache.hits).toBe(3);
    const first = files[0] as ParsedFile;
    expect(cache.get(first.file, '0'.repeat(64))).toBeUndefined();
    expect(cache.get('/etc/cronops/other.yaml', first.contentHash)).toBeUndefined();
    cache.release();
    expect(cache.get(first.file, first.contentHash)).toBeUndefined();
    // It holds the manifests as written (literal env values included): readable by the daemon's user only.
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('is empty, without complaint, when missing or written under another key', async () => {
    const dir = await makeDir();
    const path = join(dir, PARSE_CACHE_FILE);
    expect(await ParseCache.open(path, parseCacheKey())).toMatchObject({ cache: { size: 0 } });
    await writeParseCache(path, 'an older cronops', [parseManifestText('a.yaml', schedule('a'))]);
    const opened = await ParseCache.open(path, parseCacheKey());
    expect(opened.problem).toBeUndefined();
    expect(opened.cache.size).toBe(0);
  });

  it('is empty, with the reason, when the file is not a cache; a damaged entry is a miss', async () => {
    const dir = await makeDir();
    const path = join(dir, PARSE_CACHE_FILE);
    await writeFile(path, 'garbage\n');
    const garbage = await ParseCache.open(path, parseCacheKey());
    expect(garbage.cache.size).toBe(0);
    expect(garbage.problem).toBe(`${path}: not a manifest cache`);

    const good = parseManifestText('/m/a.yaml', schedule('alpha'));
    const other = parseManifestText('/m/b.yaml', schedule('beta'));
    await writeParseCache(path, parseCacheKey(), [good, other]);
    const text = await readFile(path, 'utf8');
    // Cut the last entry short, as a crash in the middle of a write without rename would.
    await writeFile(path, text.slice(0, -40));
    const { cache } = await ParseCache.open(path, parseCacheKey());
    expect(cache.get(good.file, good.contentHash)).toEqual(good);
    expect(cache.get(other.file, other.contentHash)).toBeUndefined();
  });

  it('keys on the parsing code and the Node.js version', () => {
    const key = parseCacheKey();
    expect(key).toContain(process.version);
    expect(key).toMatch(/:[0-9a-f]{32}$/);
    expect(parseCacheKey()).toBe(key);
  });

  it('can keep the parse of every sample, example and fixture manifest (JSON gives each back exactly)', async () => {
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (/\.ya?ml$/.test(entry.name)) files.push(path);
      }
    };
    for (const dir of ['schedules.d', 'examples', 'tests/fixtures']) await walk(dir);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const parsed = parseManifestText(file, await readFile(file, 'utf8'));
      expect(JSON.parse(JSON.stringify(parsed)), file).toStrictEqual(parsed);
    }
  });

  it.each([
    ['a plain tree', { a: [1, 'x', true, null, { b: 2.5 }], c: {} }],
    ['undefined in an object', { a: undefined }],
    ['undefined in a list', [undefined]],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the case
    ['a hole', [1, , 3]],
    ['NaN', { a: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['-0', { a: -0 }],
    ['a Date', { at: new Date(0) }],
    ['a Map', new Map()],
    ['a null prototype', Object.assign(Object.create(null) as object, { a: 1 })],
    ['a symbol key', { [Symbol('s')]: 1 }],
    ['a list with a key', Object.assign([1], { extra: 2 })],
    ['a function', { f: () => 1 }],
    ['a bigint', { n: 1n }],
  ])('survivesJson says whether JSON gives back %s exactly', (_label, value) => {
    let exact: boolean;
    try {
      exact = isDeepStrictEqual(JSON.parse(JSON.stringify(value) ?? 'undefined'), value);
    } catch {
      exact = false;
    }
    expect(survivesJson(value)).toBe(exact);
  });

  const CRON = {
    kind: 'cron',
    source: '*/5 * * * *',
    fields: { second: [0], minute: [0, 5], hour: [], dayOfMonth: [], month: [], dayOfWeek: [] },
    dayOr: false,
    fixedTime: false,
  };
  it.each([
    ['a cron expression', '*/5 * * * *', CRON, 'cron'],
    ['another expression', '0 * * * *', CRON, undefined],
    ['an expression for a schedule with only after', undefined, CRON, undefined],
    ['@every', '@every 90s', { kind: 'every', source: '@every 90s', everyMs: 90_000 }, 'every'],
    ['@every without its period', '@every 90s', { kind: 'every', source: '@every 90s' }, undefined],
    ['after', undefined, { kind: 'after', source: 'after extract (succeeded)' }, 'after'],
    [
      'after for a schedule with an expression',
      '* * * * *',
      { kind: 'after', source: 'x' },
      undefined,
    ],
    ['cron without its fields', '*/5 * * * *', { ...CRON, fields: null }, undefined],
    ['cron without dayOr', '*/5 * * * *', { ...CRON, dayOr: 'no' }, undefined],
    ['an unknown kind', '*/5 * * * *', { ...CRON, kind: 'crontab' }, undefined],
    ['not an object', '*/5 * * * *', '*/5 * * * *', undefined],
    ['null', '*/5 * * * *', null, undefined],
  ])('checkCompiled takes %s from the cache as %s', (_label, expression, value, kind) => {
    expect(checkCompiled(expression, value)).toBe(kind);
  });

  it('takes the compiled expression as written: a damaged one is a miss, equal ones are one object', async () => {
    const dir = await makeDir();
    const path = join(dir, PARSE_CACHE_FILE);
    const a = parseManifestText('/m/a.yaml', schedule('alpha'));
    const b = parseManifestText('/m/b.yaml', schedule('beta'));
    const c = parseManifestText('/m/c.yaml', schedule('gamma'));
    await writeParseCache(path, parseCacheKey(), [a, b, c]);
    const text = await readFile(path, 'utf8');
    // c.yaml's entry claims another expression than its spec's.
    const lines = text.split('\n');
    lines[3] = (lines[3] as string).replace('"source":"*/5 * * * *"', '"source":"*/6 * * * *"');
    await writeFile(path, lines.join('\n'));
    const { cache } = await ParseCache.open(path, parseCacheKey());
    const first = cache.get(a.file, a.contentHash);
    const second = cache.get(b.file, b.contentHash);
    expect(first).toEqual(a);
    const compiledOf = (parsed: ParsedFile | undefined): unknown => {
      const doc = parsed?.documents[0];
      return doc?.kind === 'Schedule' ? doc.compiled : undefined;
    };
    expect(compiledOf(first)).toBeDefined();
    expect(compiledOf(first)).toBe(compiledOf(second));
    expect(cache.get(c.file, c.contentHash)).toBeUndefined();
  });

  it('leaves out a parse that JSON would not give back exactly', async () => {
    const dir = await makeDir();
    const path = join(dir, PARSE_CACHE_FILE);
    const parsed = parseManifestText('/m/a.yaml', schedule('alpha'));
    const odd = {
      ...parsed,
      file: '/m/odd.yaml',
      documents: [{ ...parsed.documents[0], extra: undefined }],
    };
    await writeParseCache(path, parseCacheKey(), [parsed, odd as unknown as ParsedFile]);
    const { cache } = await ParseCache.open(path, parseCacheKey());
    expect(cache.size).toBe(1);
    expect(cache.get('/m/odd.yaml', parsed.contentHash)).toBeUndefined();
  });

  it('lets a ConfigState skip the parse of unchanged files, with the same schedules and fingerprints', async () => {
    const dir = await makeDir();
    const state = await makeDir();
    await writeFile(join(dir, 'a.yaml'), `${schedule('alpha')}---\n${schedule('beta')}`);
    await writeFile(join(dir, 'b.yaml'), schedule('gamma'));
    await writeFile(join(dir, 'defaults.yaml'), DEFAULTS);

    const first = new ConfigState(dir, { clock: settledClock() });
    const before = await first.reload();
    expect(first.lastReload).toMatchObject({ parsed: 3, cached: 0 });
    const path = join(state, PARSE_CACHE_FILE);
    await writeParseCache(path, parseCacheKey(), first.parsedFiles());

    // The next start: b.yaml was edited while the daemon was down.
    await writeFile(join(dir, 'b.yaml'), schedule('gamma', '  jitter: 5s\n'));
    const { cache } = await ParseCache.open(path, parseCacheKey());
    const second = new ConfigState(dir, { clock: settledClock() });
    second.useParseCache(cache);
    const after = await second.reload();
    expect(second.lastReload).toMatchObject({ read: 3, parsed: 1, cached: 2 });
    for (const name of ['alpha', 'beta']) {
      expect(after.desired.get(name)?.hash).toBe(before.desired.get(name)?.hash);
      expect(after.desired.get(name)?.spec).toEqual(before.desired.get(name)?.spec);
    }
    expect(after.desired.get('gamma')?.spec.jitter).toBe(5000);
    // Cached schedules share one compiled expression, as freshly parsed ones do.
    expect(after.desired.get('alpha')?.compiled).toBe(after.desired.get('beta')?.compiled);
    expect(after.desired.get('alpha')?.spec.task.env).toEqual({
      REGION: 'eu-west-1',
      PGPASSWORD: { fromEnv: 'PGPASSWORD' },
    });
  });
});
