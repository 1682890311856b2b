import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicJsonFile, TEMP_FILE_PATTERN } from '../../src/history/atomic-file.js';
import { SchedulerError } from '../../src/shared/errors.js';

describe('history/atomic-file', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cronops-atomic-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a missing file as null', async () => {
    await expect(new AtomicJsonFile(join(dir, 'none.json')).read()).resolves.toBeNull();
  });

  it('writes through a temp file and leaves only the target', async () => {
    const file = join(dir, 'a.json');
    const adapter = new AtomicJsonFile<{ n: number }>(file);
    await adapter.write({ n: 1 });
    await adapter.write({ n: 2 });
    await adapter.syncDirectory();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ n: 2 });
    expect(await readdir(dir)).toEqual(['a.json']);
    await expect(adapter.read()).resolves.toEqual({ n: 2 });
  });

  it('serialises the data at the time of the call', async () => {
    const file = join(dir, 'a.json');
    const data = { n: 1 };
    const writing = new AtomicJsonFile<{ n: number }>(file).write(data);
    data.n = 2;
    await writing;
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ n: 1 });
  });

  it.each([
    ['a truncated file', '{"version":1,"runs":[{"id":"01A","sta'],
    ['an empty file', ''],
    ['garbage', 'not json at all'],
  ])('throws HISTORY_READ_FAILED for %s', async (_name, content) => {
    const file = join(dir, 'a.json');
    await writeFile(file, content);
    const error = await new AtomicJsonFile(file).read().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchedulerError);
    expect((error as SchedulerError).code).toBe('HISTORY_READ_FAILED');
    expect((error as SchedulerError).message).toContain(`${file}: not valid JSON`);
  });

  it('removes its temp file when the rename fails', async () => {
    // The target is a non-empty directory: rename fails after the temp file was written.
    const file = join(dir, 'a.json');
    await mkdir(join(file, 'inside'), { recursive: true });
    await expect(new AtomicJsonFile(file).write({ n: 1 })).rejects.toThrow();
    expect((await readdir(dir)).filter((entry) => TEMP_FILE_PATTERN.test(entry))).toEqual([]);
  });

  it.each([
    ['.a.json.123.1.tmp', true],
    ['a.json', false],
    ['a.json.corrupt-20260308T070000.000Z', false],
  ])('TEMP_FILE_PATTERN on %j is %j', (name, matches) => {
    expect(TEMP_FILE_PATTERN.test(name)).toBe(matches);
  });
});
