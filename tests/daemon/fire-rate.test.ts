import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { FireLedger } from '../../src/daemon/fire-ledger.js';
import { FireRates } from '../../src/daemon/fire-rate.js';
import type { ScheduleFireRate } from '../../src/history/journal-reserve.js';
import { job, memoryLedger } from './run-fixture.js';

const counts = async (rates: FireRates, jobs: Parameters<FireRates['rates']>[0], at: string) =>
  (await rates.rates(jobs, new Date(at))).map((r) => [r.name, r.countFires(1_000_000)]);

describe('daemon/fire-rate', () => {
  it('counts a day of each schedule’s fires; a suspended schedule has none', async () => {
    const rates = new FireRates(memoryLedger(), pino({ enabled: false }));
    expect(
      await counts(
        rates,
        [
          job('every-second'),
          job('hourly', { schedule: '0 * * * *' }),
          job('paused', { schedule: '0 * * * *', suspend: true }),
        ],
        '2026-03-01T12:00:00.500Z',
      ),
    ).toEqual([
      ['every-second', 86_400],
      ['hourly', 24],
      ['paused', 0],
    ]);
  });

  it('keeps a schedule’s count for an hour unless its version changes, then counts again', async () => {
    const rates = new FireRates(memoryLedger(), pino({ enabled: false }));
    const yearly = job('yearly', { schedule: '0 0 1 1 *' });
    expect(await counts(rates, [yearly], '2026-12-31T23:30:00Z')).toEqual([['yearly', 1]]);
    // 40 minutes later the day ahead no longer holds New Year: the kept count stands.
    expect(await counts(rates, [yearly], '2027-01-01T00:10:00Z')).toEqual([['yearly', 1]]);
    // Changed: counted again at once.
    const changed = { ...yearly, hash: 'h-other' };
    expect(await counts(rates, [changed], '2027-01-01T00:10:00Z')).toEqual([['yearly', 0]]);
    // Old: counted again.
    expect(await counts(rates, [yearly], '2027-01-01T02:00:00Z')).toEqual([['yearly', 0]]);
  });

  it('sizes the ledger’s reserve with the counts', async () => {
    const seen: ScheduleFireRate[][] = [];
    const ledger: FireLedger = {
      ...memoryLedger(),
      reserveFor: async (schedules) => {
        seen.push([...schedules]);
        return { durable: true, reserveBytes: 0, wantedBytes: 0, liveBytes: 0 };
      },
    };
    const rates = new FireRates(ledger, pino({ enabled: false }));
    await rates.reserve([job('a'), job('b', { schedule: '0 * * * *' })], new Date());
    expect(seen.map((s) => s.map((r) => [r.name, r.countFires(100)]))).toEqual([
      [
        ['a', 100],
        ['b', 24],
      ],
    ]);
  });

  it('hands the same rate back for the same job object, and forgets schedules that are gone', async () => {
    const rates = new FireRates(memoryLedger(), pino({ enabled: false }));
    const a = job('a', { schedule: '0 * * * *' });
    const b = job('b');
    const first = await rates.rates([a, b], new Date('2026-03-01T12:00:00Z'));
    const second = await rates.rates([a, b], new Date('2026-03-01T12:10:00Z'));
    expect(second[0]).toBe(first[0]);
    expect(second[0]?.recordBytes).toBeGreaterThan(0);
    // b gone, then back under another version: counted afresh.
    await rates.rates([a], new Date('2026-03-01T12:20:00Z'));
    const again = await rates.rates(
      [a, { ...b, hash: 'h-other' }],
      new Date('2026-03-01T12:30:00Z'),
    );
    expect(again[1]).not.toBe(first[1]);
    expect(again.map((r) => [r.name, r.countFires(1_000_000)])).toEqual([
      ['a', 24],
      ['b', 86_400],
    ]);
  });
});
