import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compactIntents,
  createFireJournal,
  readJournalFile,
  resolveJournalPath,
  type FireIntent,
  type JournalFileSystem,
} from '../../src/history/journal.js';
import { DATA_START, HEADER_SLOT_BYTES } from '../../src/history/journal-format.js';
import { RESERVE_MIN_BYTES } from '../../src/history/journal-reserve.js';
import { SchedulerError } from '../../src/shared/errors.js';

const intent = (n: number): FireIntent => ({
  runId: `01RUN${String(n).padStart(6, '0')}`,
  schedule: `s${n % 3}`,
  scheduledAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  trigger: 'schedule',
  specHash: 'abc',
});
const ids = (intents: readonly FireIntent[]): string[] => intents.map((i) => i.runId);
const range = (from: number, to: number): FireIntent[] =>
  Array.from({ length: to - from }, (_, i) => intent(from + i));

/** What a fresh journal (a restart) reads from the file. */
async function readBack(state: string): Promise<FireIntent[]> {
  const journal = createFireJournal(state);
  try {
    return await journal.readPending();
  } finally {
    await journal.close();
  }
}

async function tempState(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'cronops-journal-')), 'state');
}

/** node:fs/promises, except that writes past `limit` bytes of any file and new files fail with ENOSPC once `full`. */
function fullDiskFs(): JournalFileSystem & {
  full: boolean;
  limit: number;
  failNextWrite: string | undefined;
} {
  const seam = {
    full: false,
    limit: 0,
    failNextWrite: undefined as string | undefined,
    readFile: (path: string) => fs.readFile(path),
    rename: (from: string, to: string) => fs.rename(from, to),
    mkdir: (path: string, options: { recursive: true }) => fs.mkdir(path, options),
    unlink: (path: string) => fs.unlink(path),
    async open(path: string, flags: string) {
      if (seam.full && flags === 'w')
        throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
      const handle = await fs.open(path, flags);
      return {
        datasync: () => handle.datasync(),
        sync: () => handle.sync(),
        close: () => handle.close(),
        async write(buffer: Buffer, offset: number, length: number, position: number) {
          const code = seam.failNextWrite;
          if (code !== undefined) {
            seam.failNextWrite = undefined;
            // A torn write: half of it reaches the file, then the error.
            await handle.write(buffer, offset, Math.floor(length / 2), position);
            throw Object.assign(new Error(`${code}: write failed`), { code });
          }
          if (seam.full && position + length > seam.limit)
            throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
          return handle.write(buffer, offset, length, position);
        },
      };
    },
  };
  return seam;
}

async function expectNotDurable(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SchedulerError);
  expect((error as SchedulerError).code).toBe('FIRE_NOT_DURABLE');
  expect((error as SchedulerError).message).toMatch(message);
}

describe('history/journal', () => {
  it('makes every appended intent durable and reads them back in order, also after a reopen', async () => {
    const state = await tempState();
    const journal = createFireJournal(state);
    await Promise.all([journal.append([intent(1)]), journal.append([intent(2), intent(3)])]);
    await journal.append([intent(4)]);
    expect(ids(await journal.readPending())).toEqual(ids(range(1, 5)));
    expect(journal.healthy()).toBe(true);
    // Not closed: as after kill -9.
    expect(ids(await readBack(state))).toEqual(ids(range(1, 5)));
    await journal.close();
  });

  it('preallocates its reserve when it creates the file', async () => {
    const state = await tempState();
    const journal = createFireJournal(state);
    await journal.append([intent(1)]);
    expect((await stat(resolveJournalPath(state))).size).toBe(RESERVE_MIN_BYTES);
    expect(journal.health?.()).toMatchObject({ durable: true, reserveBytes: RESERVE_MIN_BYTES });
    await journal.close();
  });

  it('appends made in one turn of the event loop share one write', async () => {
    const journal = createFireJournal(await tempState());
    const batch = Array.from({ length: 1000 }, (_, i) => journal.append([intent(i)]));
    // All 1,000 callers get the same promise: one write, one fsync.
    expect(new Set(batch).size).toBe(1);
    await Promise.all(batch);
    expect(await journal.readPending()).toHaveLength(1000);
    await journal.close();
  });

  it('ignores a record torn by a crash mid-write, and a later batch overwrites it', async () => {
    const state = await tempState();
    const path = resolveJournalPath(state);
    const journal = createFireJournal(state);
    await journal.append([intent(1)]);
    const before = await readFile(path);
    await journal.append([intent(2)]);
    await journal.close();
    // The second record half on disk: cut its second half back to zeros.
    const after = await readFile(path);
    const end = after.indexOf(0x0a, before.indexOf(0x0a, DATA_START) + 1);
    after.fill(0, end - 40, end + 1);
    await writeFile(path, after);
    const reopened = createFireJournal(state);
    expect(ids(await reopened.readPending())).toEqual(['01RUN000001']);
    await reopened.append([intent(3)]);
    expect(ids(await readBack(state))).toEqual(['01RUN000001', '01RUN000003']);
    await reopened.close();
  });

  it('a write that fails part-way rejects FIRE_NOT_DURABLE; acknowledged intents stay, the next batch goes on', async () => {
    const state = await tempState();
    const seam = fullDiskFs();
    const journal = createFireJournal(state, { fileSystem: seam });
    await journal.append([intent(1)]);
    seam.failNextWrite = 'EIO';
    await expectNotDurable(
      journal.append([intent(2)]),
      /the fire of "s2" could not be made durable: cannot write the fire journal: EIO/,
    );
    expect(journal.healthy()).toBe(false);
    expect(journal.health?.().problem).toMatch(/EIO/);
    await journal.append([intent(3)]);
    expect(journal.healthy()).toBe(true);
    expect(ids(await readBack(state))).toEqual(['01RUN000001', '01RUN000003']);
    await journal.close();
  });

  it('a checkpoint keeps only what it is told to, and later appends land after it', async () => {
    const state = await tempState();
    const journal = createFireJournal(state);
    await journal.append([intent(1), intent(2)]);
    await Promise.all([journal.checkpoint([intent(2)]), journal.append([intent(3)])]);
    expect(ids(await journal.readPending())).toEqual(['01RUN000002', '01RUN000003']);
    expect(ids(await readJournalFile(resolveJournalPath(state)))).toEqual([
      '01RUN000002',
      '01RUN000003',
    ]);
    await journal.checkpoint([]);
    expect(await readJournalFile(resolveJournalPath(state))).toEqual([]);
    await journal.close();
  });

  it('a checkpoint leaves pending what was appended after the read it was computed from', async () => {
    const state = await tempState();
    const journal = createFireJournal(state);
    await journal.append([intent(1), intent(2)]);
    const read = await journal.readPending();
    // A fire made durable while the history was being flushed for this checkpoint.
    await journal.append([intent(3)]);
    await journal.checkpoint([intent(2)], read);
    expect(ids(await journal.readPending())).toEqual(['01RUN000002', '01RUN000003']);
    await journal.close();
    expect(ids(await readBack(state))).toEqual(['01RUN000002', '01RUN000003']);
  });

  it('writes in a ring: thousands of appends and checkpoints in a 1 MiB file, every reopen reads what is live', async () => {
    const state = await tempState();
    const journal = createFireJournal(state);
    let n = 0;
    let kept: FireIntent[] = [];
    // About 85 bytes a record: 8 laps of 75,000 records through a 1 MiB ring.
    for (let lap = 0; lap < 25; lap += 1) {
      const batch = range(n, n + 3000);
      n += 3000;
      await journal.append(batch);
      const live = [...kept, ...batch];
      expect(ids(await readBack(state))).toEqual(ids(live));
      kept = live.slice(-5);
      await journal.checkpoint(kept);
      expect(ids(await readBack(state))).toEqual(ids(kept));
    }
    expect((await stat(resolveJournalPath(state))).size).toBe(RESERVE_MIN_BYTES);
    await journal.close();
  });

  it('when the reserve is exhausted, appends reject FIRE_NOT_DURABLE and nothing acknowledged is lost', async () => {
    const state = await tempState();
    const journal = createFireJournal(state);
    const acknowledged: FireIntent[] = [];
    let n = 0;
    let failure: unknown;
    while (failure === undefined) {
      const batch = range(n, n + 1000);
      n += 1000;
      await journal.append(batch).then(
        () => acknowledged.push(...batch),
        (err: unknown) => (failure = err),
      );
    }
    expect((failure as SchedulerError).code).toBe('FIRE_NOT_DURABLE');
    expect((failure as SchedulerError).message).toMatch(/reserve is exhausted/);
    expect(journal.health?.()).toMatchObject({
      durable: false,
      problem: expect.stringMatching(/exhausted/),
    });
    expect(ids(await readBack(state))).toEqual(ids(acknowledged));
    // Once the history holds them, a checkpoint frees the ring.
    await journal.checkpoint([]);
    await journal.append([intent(n)]);
    expect(journal.healthy()).toBe(true);
    await journal.close();
  });

  it('on a full disk: opens, checkpoints in place and appends within its reserve', async () => {
    const state = await tempState();
    const first = createFireJournal(state);
    await first.append(range(0, 10));
    await first.close();
    const seam = fullDiskFs();
    seam.full = true;
    seam.limit = RESERVE_MIN_BYTES;
    const journal = createFireJournal(state, { fileSystem: seam });
    expect(ids(await journal.readPending())).toEqual(ids(range(0, 10)));
    await journal.checkpoint(range(8, 10));
    await journal.append(range(10, 20));
    expect(ids(await readBack(state))).toEqual(ids(range(8, 20)));
    // A bigger reserve cannot be had now: said, not thrown; the file keeps what it has.
    const health = await journal.reserveFor!([{ name: 'busy', countFires: () => 86_400 }]);
    expect(health.reserveBytes).toBe(RESERVE_MIN_BYTES);
    expect(health.problem).toMatch(/reserve is 1048576 bytes of the \d+ wanted/);
    // Space returns: the next growth takes it.
    seam.full = false;
    expect(
      (await journal.reserveFor!([{ name: 'busy', countFires: () => 86_400 }])).reserveBytes,
    ).toBeGreaterThan(RESERVE_MIN_BYTES);
    await journal.close();
  });

  it('on a full disk with no journal yet, appends reject (the fire must not start) until space returns', async () => {
    const state = await tempState();
    const seam = fullDiskFs();
    seam.full = true;
    const journal = createFireJournal(state, { fileSystem: seam });
    await expectNotDurable(journal.append([intent(1)]), /cannot open the fire journal: ENOSPC/);
    await journal.checkpoint([]);
    seam.full = false;
    await journal.append([intent(2)]);
    expect(ids(await readBack(state))).toEqual(['01RUN000002']);
    await journal.close();
  });

  it('a torn header write falls back to the previous header, whose records are intact', async () => {
    const state = await tempState();
    const path = resolveJournalPath(state);
    const journal = createFireJournal(state);
    await journal.append(range(0, 4));
    await journal.checkpoint(range(2, 4)); // header 2, slot 0
    await journal.close();
    const bytes = await readFile(path);
    bytes.fill(0x41, 20, HEADER_SLOT_BYTES);
    await writeFile(path, bytes);
    // Header 1 (slot 1) starts at the first record: all four, then the checkpoint's copies (collapsed).
    expect(ids(await readBack(state))).toEqual(ids(range(0, 4)));
  });

  it('carries the intents of the older JSON-lines journal into the new file', async () => {
    const state = await tempState();
    await fs.mkdir(state, { recursive: true });
    const path = resolveJournalPath(state);
    await writeFile(
      path,
      `${JSON.stringify(intent(1))}\n${JSON.stringify(intent(2))}\n{"runId":"01RU`,
    );
    const journal = createFireJournal(state);
    expect(ids(await journal.readPending())).toEqual(['01RUN000001', '01RUN000002']);
    await journal.append([intent(3)]);
    expect(ids(await readJournalFile(path))).toEqual(ids(range(1, 4)));
    await journal.close();
  });

  it('an unwritable state directory rejects appends and reports it; checkpoints and reads do not throw', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cronops-journal-'));
    const blocker = join(dir, 'file');
    await writeFile(blocker, '');
    const journal = createFireJournal(join(blocker, 'state'));
    await expectNotDurable(journal.append([intent(1)]), /cannot open the fire journal/);
    expect(journal.healthy()).toBe(false);
    await journal.checkpoint([]);
    expect(await journal.readPending()).toEqual([]);
    await journal.close();
  });

  it('compacting keeps recent intents, and of older recorded ones the newest per schedule, settled', () => {
    const at = (n: number) => Date.UTC(2026, 0, 1, 0, 0, n);
    const intents = [1, 2, 3, 4, 5, 6, 7].map(intent); // schedules s1 s2 s0 s1 s2 s0 s1
    const manual = { ...intent(8), trigger: 'manual' as const };
    const recorded = (i: FireIntent) => i.runId !== '01RUN000005';
    const kept = compactIntents([...intents, manual], at(7), recorded);
    expect(kept.map((i) => `${i.runId}${i.settled ? ' settled' : ''}`)).toEqual([
      '01RUN000004 settled', // s1: newest older one
      '01RUN000002 settled', // s2: 5 was never recorded, so 2
      '01RUN000006 settled', // s0
      '01RUN000007', // at the cutoff: kept as it is
      '01RUN000008', // manual runs are recent here
    ]);
  });
});
