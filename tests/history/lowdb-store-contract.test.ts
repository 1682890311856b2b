// The lowdb store passes the shared HistoryStore contract (tests/history/store-contract.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLowdbHistoryStore } from '../../src/history/lowdb-store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { describeHistoryStoreContract } from './store-contract.js';

describeHistoryStoreContract('lowdb files', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'cronops-contract-'));
  const clock = new ManualClock(new Date('2026-01-01T00:00:00.000Z'));
  return {
    create: () => createLowdbHistoryStore({ stateDir, clock }),
    destroy: () => rm(stateDir, { recursive: true, force: true }),
  };
});
