import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compactIntents,
  createFireJournal,
  resolveJournalPath,
  type FireIntent,
} from '../../src/history/journal.js';

const intent = (n: number): FireIntent => ({
  runId: `01RUN${String(n).padStart(4, '0')}`,
  schedule: `s${n % 3}`,
  scheduledAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  trigger: 'schedule',
  specHash: 'abc',
});

describe('history/journal', () => {
  it('makes every appended intent durable and reads them back in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cronops-journal-'));
    const journal = createFireJournal(join(dir, 'state'));
    await Promise.all([journal.append([intent(1)]), journal.append([intent(2), intent(3)])]);
    await journal.append([intent(4)]);
    expect((await journal.readPending()).map((i) => i.runId)).toEqual([
      '01RUN0001',
      '01RUN0002',
      '01RUN0003',
      '01RUN0004',
    ]);
    expect(journal.healthy()).toBe(true);
    await journal.close();
  });

  it('appends made in one turn of the event loop share one write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cronops-journal-'));
    const journal = createFireJournal(dir);
    const batch = Array.from({ length: 1000 }, (_, i) => journal.append([intent(i)]));
    // All 1,000 callers get the same promise: one write, one fsync.
    expect(new Set(batch).size).toBe(1);
    await Promise.all(batch);
    expect(await journal.readPending()).toHaveLength(1000);
    await journal.close();
  });

  it('ignores a line torn by a crash mid-write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cronops-journal-'));
    const journal = createFireJournal(dir);
    await journal.append([intent(1)]);
    await appendFile(resolveJournalPath(dir), '{"runId":"01RUN00');
    expect((await journal.readPending()).map((i) => i.runId)).toEqual(['01RUN0001']);
    await journal.close();
  });

  it('a checkpoint keeps only what it is told to, and later appends land after it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cronops-journal-'));
    const journal = createFireJournal(dir);
    await journal.append([intent(1), intent(2)]);
    await Promise.all([journal.checkpoint([intent(2)]), journal.append([intent(3)])]);
    expect((await journal.readPending()).map((i) => i.runId)).toEqual(['01RUN0002', '01RUN0003']);
    await journal.checkpoint([]);
    expect(await readFile(resolveJournalPath(dir), 'utf8')).toBe('');
    await journal.close();
  });

  it('an unwritable state directory does not throw: the journal reports it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cronops-journal-'));
    const blocker = join(dir, 'file');
    await writeFile(blocker, '');
    const journal = createFireJournal(join(blocker, 'state'));
    await journal.append([intent(1)]);
    expect(journal.healthy()).toBe(false);
    await journal.checkpoint([]);
    expect(await journal.readPending()).toEqual([]);
    await journal.close();
  });

  it('compacting keeps recent intents, and of older recorded ones the newest per schedule, settled', () => {
    const at = (n: number) => Date.UTC(2026, 0, 1, 0, 0, n);
    const intents = [1, 2, 3, 4, 5, 6, 7].map(intent); // schedules s1 s2 s0 s1 s2 s0 s1
    const manual = { ...intent(8), trigger: 'manual' as const };
    const recorded = (i: FireIntent) => i.runId !== '01RUN0005';
    const kept = compactIntents([...intents, manual], at(7), recorded);
    expect(kept.map((i) => `${i.runId}${i.settled ? ' settled' : ''}`)).toEqual([
      '01RUN0004 settled', // s1: newest older one
      '01RUN0002 settled', // s2: 5 was never recorded, so 2
      '01RUN0006 settled', // s0
      '01RUN0007', // at the cutoff: kept as it is
      '01RUN0008', // manual runs are recent here
    ]);
  });
});
