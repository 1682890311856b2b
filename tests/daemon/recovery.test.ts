import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Memory } from 'lowdb';
import { beforeEach, describe, expect, it } from 'vitest';
import { trimLedger } from '../../src/daemon/recovery.js';
import type { FireIntent } from '../../src/history/fire-intent.js';
import { createLowdbHistoryStore } from '../../src/history/lowdb-store.js';
import type { HistoryStore, ShardFile } from '../../src/history/store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { memoryLedger } from './run-fixture.js';

let history: HistoryStore;
let flushes: number;

function intent(runId: string, scheduledAt: string, settled = false): FireIntent {
  return {
    runId,
    schedule: 'a',
    scheduledAt,
    trigger: 'schedule',
    specHash: 'h-a',
    ...(settled ? { settled: true as const } : {}),
  };
}

/** The in-memory ledger, counting the checkpoints written. */
function countingLedger(intents: FireIntent[]) {
  const ledger = memoryLedger();
  ledger.intents.push(...intents);
  const counted = { ledger, checkpoints: 0 };
  const checkpoint = ledger.checkpoint.bind(ledger);
  ledger.checkpoint = async (keep, read) => {
    counted.checkpoints += 1;
    await checkpoint(keep, read);
  };
  return counted;
}

beforeEach(async () => {
  const store = createLowdbHistoryStore({
    stateDir: await mkdtemp(join(tmpdir(), 'cronops-recovery-')),
    clock: new ManualClock('2026-03-01T12:00:00.000Z'),
    adapterFactory: () => new Memory<ShardFile>(),
  });
  await store.open();
  flushes = 0;
  const flush = store.flush.bind(store);
  store.flush = async () => {
    flushes += 1;
    await flush();
  };
  history = store;
});

describe('daemon/recovery', () => {
  it.each([
    ['an empty ledger', []],
    [
      'only the settled newest fire of each schedule',
      [intent('r1', '2026-03-01T11:00:00.000Z', true)],
    ],
  ])(
    'trimLedger with %s: nothing to trim, so no history flush and no checkpoint',
    async (_, intents) => {
      const counted = countingLedger(intents);
      const cutoffMs = Date.parse('2026-03-01T12:00:00.000Z');
      expect(await trimLedger(history, counted.ledger, cutoffMs)).toBe(false);
      expect({
        checkpoints: counted.checkpoints,
        flushes,
        intents: counted.ledger.intents,
      }).toEqual({
        checkpoints: 0,
        flushes: 0,
        intents,
      });
    },
  );

  it('trimLedger with a fire not settled yet: flushes the history, then checkpoints', async () => {
    const counted = countingLedger([
      intent('r1', '2026-03-01T11:00:00.000Z', true),
      // Recent: its run may not be in a flushed shard yet, so it stays as it is.
      intent('r2', '2026-03-01T11:59:55.000Z'),
    ]);
    expect(await trimLedger(history, counted.ledger, Date.parse('2026-03-01T11:59:50.000Z'))).toBe(
      true,
    );
    expect({ checkpoints: counted.checkpoints, flushes }).toEqual({ checkpoints: 1, flushes: 1 });
    expect(counted.ledger.intents.map((i) => [i.runId, i.settled ?? false])).toEqual([
      ['r1', true],
      ['r2', false],
    ]);
  });
});
