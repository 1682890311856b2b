import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Firing } from '../../src/daemon/firing.js';
import type { DesiredSchedule } from '../../src/reconcile/desired.js';
import type { Timers } from '../../src/runtime/timers.js';
import { createRunFixture, job, settle } from './run-fixture.js';

/** Timers that only record: the test calls checkClock and reads the loop directly. */
const idleTimers: Timers = {
  set: () => 0,
  every: () => 0,
  clear: () => undefined,
  immediate: () => 0,
};

async function setup(jobs: DesiredSchedule[], timers: Timers = idleTimers) {
  const f = await createRunFixture();
  const map = new Map(jobs.map((j) => [j.name, j]));
  const logs: { msg: string; stepMs?: number; schedules?: string[] }[] = [];
  const firing = new Firing({
    clock: f.clock,
    stopwatch: f.clock,
    timers,
    history: f.history,
    runs: f.runs,
    logger: pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
    prepareLeadMs: 0,
    jobs: map,
    onChange: () => undefined,
  });
  for (const j of jobs) f.runs.define(j);
  return { ...f, firing, logs, jobs: (name: string) => map.get(name)! };
}

describe('daemon/firing', () => {
  it('a watermark a year ahead at start-up: a wildcard schedule fires on the new clock at once, and it is reported', async () => {
    const t = await setup([job('every10', { schedule: '*/10 * * * * *' })]);
    await t.history.setLastScheduledAt('every10', '2027-03-01T12:00:00.000Z');
    t.firing.place(t.jobs('every10'), 'startup');
    t.firing.reportAnomalies('startup');
    expect(new Date(t.firing.earliestAt()!).toISOString()).toBe('2026-03-01T12:00:10.000Z');
    expect(t.history.lastScheduledAt('every10')).toBe('2026-03-01T12:00:00.000Z');
    expect(t.firing.anomalies.total).toBe(1);
    expect(t.firing.anomalies.last?.schedules).toEqual([{ name: 'every10', rule: 'keep-cadence' }]);
    expect(t.logs.map((l) => [l.msg, l.schedules])).toEqual([
      [
        'clock anomaly: the clock is 365 d behind the last fires; 1 schedule(s) affected',
        ['every10'],
      ],
    ]);
  });

  it('the clock is watched by one timer repeating every second, cleared on stop', async () => {
    const calls: string[] = [];
    let tick: () => void = () => undefined;
    const t = await setup([job('every', { schedule: '*/1 * * * * *' })], {
      ...idleTimers,
      every: (callback, ms) => {
        calls.push(`every ${ms}`);
        tick = callback;
        return 'clock-watch';
      },
      clear: (handle) => {
        // The fire loop's own timers are cleared too; only the clock watch's matters here.
        if (handle === 'clock-watch') calls.push('clear clock-watch');
      },
    });
    t.firing.place(t.jobs('every'), 'startup');
    t.firing.watchClock();
    t.firing.watchClock();
    t.clock.step(-3_600_000);
    t.clock.tick(1_000);
    tick();
    expect(t.firing.anomalies.last).toMatchObject({ cause: 'clock-step', stepMs: 3_600_000 });
    t.firing.stop();
    expect(calls).toEqual(['every 1000', 'clear clock-watch']);
    await settle();
  });

  it('a step back of an hour while running: found within one clock check; fixed-time waits, wildcard keeps cadence', async () => {
    const t = await setup([
      job('backup', { schedule: '30 12 * * *' }),
      job('every', { schedule: '*/1 * * * * *' }),
    ]);
    for (const j of ['backup', 'every']) t.firing.place(t.jobs(j), 'startup');
    t.firing.watchClock();
    // Both fired at 12:30:00; then NTP steps the clock back by an hour.
    t.clock.set('2026-03-01T12:30:00.500Z');
    t.clock.tick(0);
    await t.history.setLastScheduledAt('backup', '2026-03-01T12:30:00.000Z');
    await t.history.setLastScheduledAt('every', '2026-03-01T12:30:00.000Z');
    t.firing.checkClock(); // the set() above is a step forward: handled as downtime, not an anomaly
    expect(t.firing.anomalies.total).toBe(0);
    t.clock.step(-3_600_000);
    t.clock.tick(1_000);
    t.firing.checkClock();
    expect(t.firing.anomalies.total).toBe(1);
    expect(t.firing.anomalies.last).toMatchObject({ cause: 'clock-step', stepMs: 3_600_000 });
    expect(t.firing.anomalies.waitingUntil('backup', t.clock.now())?.toISOString()).toBe(
      '2026-03-02T12:30:00.000Z',
    );
    expect(t.firing.anomalies.waitingUntil('every', t.clock.now())).toBeUndefined();
    // The every-second schedule's next instant is on the new clock.
    expect(new Date(t.firing.earliestAt()!).toISOString()).toBe('2026-03-01T11:30:02.000Z');
    // Once the clock passes the watermark, the backup no longer waits.
    expect(
      t.firing.anomalies.waitingUntil('backup', new Date('2026-03-01T12:30:00.001Z')),
    ).toBeUndefined();
    t.firing.stop();
    await settle();
  });
});
