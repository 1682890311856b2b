import { afterEach, describe, expect, it, vi } from 'vitest';
import { SchedulerError } from '../../src/shared/errors.js';
import { createRunFixture, due, job, settle, summary } from './run-fixture.js';

/** A 10-minute step forward on an every-second schedule: 600 instants due at once. */
const GAP = due(
  'a',
  '2026-03-01T11:50:01Z',
  '2026-03-01T12:00:00Z',
  600,
  '2026-03-01T12:00:00.010Z',
);

describe('daemon/runs: catch-up queue, policies during catch-up, ledger rejections, Replace', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a caught-up fire is put off while a regular instant is moments away, then starts', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let defer = 120;
    const f = await createRunFixture({ deferCatchUpMs: () => defer });
    f.runs.define(job('a', { catchUp: 'all', concurrencyPolicy: 'Allow' }));
    f.runs.handleDue(
      due('a', '2026-03-01T11:59:58Z', '2026-03-01T12:00:00Z', 3, '2026-03-01T12:00:00.900Z'),
    );
    await settle();
    expect(f.tasks.calls).toEqual([]);
    expect(f.runs.waiting('a')).toBe(3);
    defer = 0;
    vi.advanceTimersByTime(120);
    await settle();
    expect(f.tasks.started()).toEqual(['catchup 2026-03-01T11:59:58.000Z']);
  });

  it('catchUp all with Allow starts one catch-up run at a time, at most 100, and a regular fire beside it', async () => {
    const f = await createRunFixture();
    f.runs.define(job('a', { catchUp: 'all', concurrencyPolicy: 'Allow' }));
    f.runs.handleDue(GAP);
    await settle();
    expect(f.tasks.started()).toEqual(['catchup 2026-03-01T11:58:21.000Z']);
    expect(f.runs.waiting('a')).toBe(99);
    const [missed] = await f.history.runs('a');
    expect(missed?.missed).toEqual({
      count: 500,
      first: '2026-03-01T11:50:01.000Z',
      last: '2026-03-01T11:58:20.000Z',
    });
    // The next regular fire starts beside the catch-up run, on time.
    f.clock.set('2026-03-01T12:00:01.002Z');
    f.runs.handleDue(
      due('a', '2026-03-01T12:00:01Z', '2026-03-01T12:00:01Z', 1, '2026-03-01T12:00:01.002Z'),
    );
    await settle();
    expect(f.tasks.started()).toEqual([
      'catchup 2026-03-01T11:58:21.000Z',
      'schedule 2026-03-01T12:00:01.000Z',
    ]);
    // Ending the regular run does not release a second catch-up; ending the catch-up run does.
    f.tasks.calls[1]!.finish({});
    await settle();
    expect(f.tasks.calls).toHaveLength(2);
    f.tasks.calls[0]!.finish({});
    await settle();
    expect(f.tasks.started().at(-1)).toBe('catchup 2026-03-01T11:58:22.000Z');
    expect(f.runs.runningCount).toBe(1);
  });

  it('Forbid: a regular fire during catch-up is skipped', async () => {
    const f = await createRunFixture();
    f.runs.define(job('a', { catchUp: 'all' }));
    f.runs.handleDue(
      due('a', '2026-03-01T11:59:58Z', '2026-03-01T12:00:00Z', 3, '2026-03-01T12:00:00.010Z'),
    );
    await settle();
    f.runs.handleDue(
      due('a', '2026-03-01T12:00:01Z', '2026-03-01T12:00:01Z', 1, '2026-03-01T12:00:01.002Z'),
    );
    await settle();
    expect(summary(await f.history.runs('a'))).toEqual([
      'running catchup 2026-03-01T11:59:58.000Z',
      'skipped schedule 2026-03-01T12:00:01.000Z',
    ]);
    expect(f.runs.waiting('a')).toBe(2);
  });

  it('Queue: a regular fire during catch-up waits after the catch-up queue', async () => {
    const f = await createRunFixture();
    f.runs.define(job('a', { catchUp: 'all', concurrencyPolicy: 'Queue' }));
    f.runs.handleDue(
      due('a', '2026-03-01T11:59:59Z', '2026-03-01T12:00:00Z', 2, '2026-03-01T12:00:00.010Z'),
    );
    await settle();
    const result = f.runs.start('a', new Date('2026-03-01T12:00:01Z'), 'schedule');
    expect(result).toMatchObject({
      outcome: 'waiting',
      reason: 'queued behind 1 pending catch-up run(s)',
    });
    for (let i = 0; i < 2; i++) {
      f.tasks.calls[i]!.finish({});
      await settle();
    }
    expect(f.tasks.started()).toEqual([
      'catchup 2026-03-01T11:59:59.000Z',
      'catchup 2026-03-01T12:00:00.000Z',
      'schedule 2026-03-01T12:00:01.000Z',
    ]);
  });

  it('Replace: a regular fire during catch-up drops the pending catch-ups into one missed record and replaces the run in flight', async () => {
    const f = await createRunFixture();
    f.runs.define(job('a', { catchUp: 'all', concurrencyPolicy: 'Replace' }));
    f.runs.handleDue(
      due('a', '2026-03-01T11:59:57Z', '2026-03-01T12:00:00Z', 4, '2026-03-01T12:00:00.010Z'),
    );
    await settle();
    f.runs.start('a', new Date('2026-03-01T12:00:01Z'), 'schedule');
    await settle();
    const runs = await f.history.runs('a');
    expect(summary(runs)).toEqual([
      'cancelled catchup 2026-03-01T11:59:57.000Z',
      'running schedule 2026-03-01T12:00:01.000Z',
      'missed catchup 2026-03-01T12:00:00.000Z missed=3',
    ]);
    expect(runs[2]?.reason).toBe(
      `3 catch-up fires from 2026-03-01T11:59:58.000Z to 2026-03-01T12:00:00.000Z did not start: dropped: the schedule was replaced by run ${runs[1]?.id} (concurrencyPolicy Replace)`,
    );
    expect(f.runs.waiting('a')).toBe(0);
  });

  it('startingDeadline is checked when each catch-up run starts: those that expired while waiting are one missed record', async () => {
    const f = await createRunFixture();
    f.runs.define(job('a', { catchUp: 'all', startingDeadline: 5_000 }));
    f.runs.handleDue(
      due('a', '2026-03-01T11:59:56Z', '2026-03-01T12:00:00Z', 5, '2026-03-01T12:00:00.010Z'),
    );
    await settle();
    expect(f.tasks.started()).toEqual(['catchup 2026-03-01T11:59:56.000Z']);
    // The first catch-up run takes 3.5 s: 11:59:57 and :58 are now past the 5 s deadline, :59 and 12:00 are not.
    f.clock.tick(3_500);
    f.tasks.calls[0]!.finish({});
    await settle();
    expect(summary(await f.history.runs('a'))).toEqual([
      'succeeded catchup 2026-03-01T11:59:56.000Z',
      // Its run id was given when the gap was planned: it sorts before the missed record made now.
      'running catchup 2026-03-01T11:59:59.000Z',
      'missed catchup 2026-03-01T11:59:58.000Z missed=2',
    ]);
  });

  it('a fire whose intent the ledger rejects (FIRE_NOT_DURABLE) is not started: recorded missed with the reason, logged at error', async () => {
    const f = await createRunFixture();
    f.runs.define(job('a'));
    f.ledger.fail = new SchedulerError(
      'FIRE_NOT_DURABLE',
      'fires.journal: ENOSPC: no space left on device',
    );
    f.runs.handleDue(
      due('a', '2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z', 1, '2026-03-01T12:00:00.004Z'),
    );
    await settle();
    expect(f.tasks.calls).toEqual([]);
    const [run] = await f.history.runs('a');
    expect(run).toMatchObject({
      status: 'missed',
      trigger: 'schedule',
      scheduledAt: '2026-03-01T12:00:00.000Z',
      missed: { count: 1, first: '2026-03-01T12:00:00.000Z', last: '2026-03-01T12:00:00.000Z' },
    });
    expect(run?.reason).toMatch(/could not be made durable.*ENOSPC.*never run twice/);
    expect(f.logs.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(['fires missed']);
    expect(f.history.lastScheduledAt('a')).toBe('2026-03-01T12:00:00.000Z');
  });

  it('Replace waits for the old run to be gone before it starts the new one, and records the kill in the old run', async () => {
    const f = await createRunFixture({ endlessSleep: true });
    f.tasks.endOnAbort = false;
    f.runs.define(job('a', { concurrencyPolicy: 'Replace', killGracePeriod: 4_000 }));
    f.runs.start('a', new Date('2026-03-01T12:00:00Z'), 'schedule');
    await settle();
    const old = f.tasks.calls[0]!;
    expect(f.runs.start('a', new Date('2026-03-01T12:00:01Z'), 'schedule').outcome).toBe('started');
    await settle();
    // The old process group got its signal but is still there: the new run waits (bounded by killGracePeriod).
    expect(old.options.signal?.aborted).toBe(true);
    expect(f.tasks.calls).toHaveLength(1);
    expect(f.sleeps).toContain(6_000);
    old.finish({ outcome: 'killed', exitCode: null, signal: 'SIGKILL' });
    await settle();
    expect(f.tasks.started()).toEqual([
      'schedule 2026-03-01T12:00:00.000Z',
      'schedule 2026-03-01T12:00:01.000Z',
    ]);
    const [replaced, current] = await f.history.runs('a');
    expect(replaced?.status).toBe('cancelled');
    expect(replaced?.reason).toBe(
      `replaced by run ${current?.id} (concurrencyPolicy Replace); its process group was terminated (SIGKILL) before the next run started`,
    );
  });

  it('Replace starts the new run once killGracePeriod (and the SIGKILL bound) ran out, even if the old one lingers', async () => {
    const f = await createRunFixture();
    f.tasks.endOnAbort = false;
    f.runs.define(job('a', { concurrencyPolicy: 'Replace' }));
    f.runs.start('a', new Date('2026-03-01T12:00:00Z'), 'schedule');
    await settle();
    f.runs.start('a', new Date('2026-03-01T12:00:01Z'), 'schedule');
    await settle();
    expect(f.tasks.calls).toHaveLength(2);
    expect(f.sleeps).toEqual([3_000]);
  });

  it('the global cap holds catch-up runs too, and a catch-up run waiting for a slot counts as in flight', async () => {
    const f = await createRunFixture({ maxConcurrentRuns: 1 });
    f.runs.define(job('a', { catchUp: 'all', concurrencyPolicy: 'Allow' }));
    f.runs.define(job('b'));
    f.runs.start('b', new Date('2026-03-01T12:00:00Z'), 'schedule');
    f.runs.handleDue(
      due('a', '2026-03-01T11:59:58Z', '2026-03-01T12:00:00Z', 3, '2026-03-01T12:00:00.010Z'),
    );
    await settle();
    expect(f.tasks.started()).toEqual(['schedule 2026-03-01T12:00:00.000Z']);
    expect(f.runs.waiting('a')).toBe(3);
    f.tasks.calls[0]!.finish({});
    await settle();
    expect(f.tasks.started().at(-1)).toBe('catchup 2026-03-01T11:59:58.000Z');
    expect(f.runs.waiting('a')).toBe(2);
  });
});
