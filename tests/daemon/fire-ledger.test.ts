import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeNotDurable, isNotDurable } from '../../src/daemon/fire-ledger.js';
import { createFireJournal } from '../../src/history/journal.js';
import { SchedulerError } from '../../src/shared/errors.js';
import { describeFireLedgerContract } from './fire-ledger-contract.js';
import { memoryLedger } from './run-fixture.js';

describeFireLedgerContract('the fsynced journal (one node)', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'cronops-ledger-'));
  return { ledger: createFireJournal(stateDir), reopen: async () => createFireJournal(stateDir) };
});

describeFireLedgerContract('the in-memory test ledger', async () => {
  const ledger = memoryLedger();
  return { ledger, reopen: async () => ledger };
});

describe('daemon/fire-ledger', () => {
  it('recognises FIRE_NOT_DURABLE rejections and explains them for the missed record', () => {
    const err = new SchedulerError(
      'FIRE_NOT_DURABLE',
      'fires.journal: ENOSPC: no space left on device',
    );
    expect(isNotDurable(err)).toBe(true);
    expect(isNotDurable(new Error('other'))).toBe(false);
    expect(describeNotDurable(err)).toBe(
      'the fire could not be made durable before its start (fires.journal: ENOSPC: no space left on device); it was not started, so that it can never run twice',
    );
  });
});
