// The contract every FireLedger keeps (the fsynced journal today, a PostgreSQL claim ledger later).
import { describe, expect, it } from 'vitest';
import type { FireLedger } from '../../src/daemon/fire-ledger.js';
import type { FireIntent } from '../../src/history/journal.js';

const intent = (runId: string, scheduledAt: string, schedule = 'a'): FireIntent => ({
  runId,
  schedule,
  scheduledAt,
  trigger: 'schedule',
  specHash: 'h',
});

/** Run the contract against a fresh ledger from `create` (and a reopened one from `reopen`). */
export function describeFireLedgerContract(
  name: string,
  create: () => Promise<{ ledger: FireLedger; reopen: () => Promise<FireLedger> }>,
): void {
  describe(`FireLedger contract: ${name}`, () => {
    it('an append resolves once its intents are durable: a reopened ledger reads them back', async () => {
      const { ledger, reopen } = await create();
      await ledger.append([intent('01A', '2026-03-01T12:00:00.000Z')]);
      await ledger.append([
        intent('01B', '2026-03-01T12:00:01.000Z'),
        intent('01C', '2026-03-01T12:00:01.000Z', 'b'),
      ]);
      expect(ledger.healthy()).toBe(true);
      await ledger.close();
      const again = await reopen();
      expect((await again.readPending()).map((i) => i.runId)).toEqual(['01A', '01B', '01C']);
      await again.close();
    });

    it('appends made in the same turn all resolve, and every intent is kept', async () => {
      const { ledger } = await create();
      const appends = Array.from({ length: 50 }, (_, n) =>
        ledger.append([intent(`01${String(n).padStart(3, '0')}`, '2026-03-01T12:00:00.000Z')]),
      );
      await Promise.all(appends);
      expect(await ledger.readPending()).toHaveLength(50);
      await ledger.close();
    });

    it('a checkpoint replaces what is pending with what it keeps; later appends land after it', async () => {
      const { ledger } = await create();
      await ledger.append([intent('01A', '2026-03-01T12:00:00.000Z')]);
      await ledger.checkpoint([{ ...intent('01A', '2026-03-01T12:00:00.000Z'), settled: true }]);
      await ledger.append([intent('01B', '2026-03-01T12:00:01.000Z')]);
      expect(await ledger.readPending()).toEqual([
        { ...intent('01A', '2026-03-01T12:00:00.000Z'), settled: true },
        intent('01B', '2026-03-01T12:00:01.000Z'),
      ]);
      await ledger.close();
    });

    it('a checkpoint leaves pending the intents appended after the read it was computed from', async () => {
      const { ledger, reopen } = await create();
      await ledger.append([intent('01A', '2026-03-01T12:00:00.000Z')]);
      const read = await ledger.readPending();
      await ledger.append([intent('01B', '2026-03-01T12:00:01.000Z')]);
      await ledger.checkpoint([], read);
      await ledger.close();
      const again = await reopen();
      expect((await again.readPending()).map((i) => i.runId)).toEqual(['01B']);
      await again.close();
    });
  });
}
