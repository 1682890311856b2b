import { describe, expect, it } from 'vitest';
import type { RunRecord, RunStatus } from '../../src/history/store.js';
import {
  healthOf,
  selectEndedAt,
  selectLastRun,
  selectLastSuccess,
  type HealthInput,
} from '../../src/status/health.js';

const HOUR = 3_600_000;
const NOW = new Date('2026-03-10T12:00:00.000Z');

/** A finished run scheduled and finished at the given instants. */
function run(id: string, status: RunStatus, scheduledAt: string, finishedAt?: string): RunRecord {
  return {
    id,
    schedule: 'backup',
    trigger: 'schedule',
    scheduledAt,
    ...(finishedAt === undefined ? {} : { startedAt: scheduledAt, finishedAt }),
    status,
    attempts: [],
    specHash: 'h1',
  };
}

const ok1 = run('01A', 'succeeded', '2026-03-10T10:00:00.000Z', '2026-03-10T10:05:00.000Z');
const fail2 = run('01B', 'failed', '2026-03-10T11:00:00.000Z', '2026-03-10T11:01:00.000Z');
const timedOut2 = run('01B', 'timedOut', '2026-03-10T11:00:00.000Z', '2026-03-10T11:30:00.000Z');
const interrupted2 = run(
  '01B',
  'interrupted',
  '2026-03-10T11:00:00.000Z',
  '2026-03-10T11:02:00.000Z',
);
const skipped3 = run('01C', 'skipped', '2026-03-10T11:30:00.000Z');
const missed3 = run('01C', 'missed', '2026-03-10T11:30:00.000Z');
const cancelled3 = run('01C', 'cancelled', '2026-03-10T11:30:00.000Z', '2026-03-10T11:31:00.000Z');
const running4 = run('01D', 'running', '2026-03-10T11:45:00.000Z');
const ok4 = run('01D', 'succeeded', '2026-03-10T11:45:00.000Z', '2026-03-10T11:46:00.000Z');
const oldMissed = run('00Y', 'missed', '2026-03-09T00:00:00.000Z');
const oldFail = run('00Z', 'failed', '2026-03-09T00:00:00.000Z', '2026-03-09T00:01:00.000Z');

const cancelledA = run('01E', 'cancelled', '2026-03-10T11:50:00.000Z', '2026-03-10T11:51:00.000Z');
const cancelledB = run('01F', 'cancelled', '2026-03-10T11:51:00.000Z', '2026-03-10T11:52:00.000Z');
const cancelledC = run('01G', 'cancelled', '2026-03-10T11:52:00.000Z', '2026-03-10T11:53:00.000Z');

const base: HealthInput = { degraded: false, suspended: false, runs: [] };

describe('status/health', () => {
  it.each<{ title: string; input: HealthInput; health: string }>([
    { title: 'no runs, no maxSuccessAge', input: base, health: 'ok' },
    { title: 'before activeFrom', input: { ...base, window: 'not-started' }, health: 'inactive' },
    {
      title: 'after activeUntil, even when failing',
      input: { ...base, window: 'ended', runs: [ok1, fail2] },
      health: 'inactive',
    },
    {
      title: 'suspended wins over inactive',
      input: { ...base, suspended: true, window: 'ended' },
      health: 'suspended',
    },
    {
      title: 'every finished run cancelled (a Replace job that never completes)',
      input: { ...base, runs: [cancelledA, cancelledB] },
      health: 'failing',
    },
    {
      title: 'the newest 3 finished runs cancelled, after a success',
      input: { ...base, runs: [ok1, cancelledA, cancelledB, cancelledC] },
      health: 'failing',
    },
    {
      title: 'one cancelled run after a success is still ok',
      input: { ...base, runs: [ok1, cancelledA] },
      health: 'ok',
    },
    {
      title: 'no runs with maxSuccessAge: not stale (age unknown)',
      input: { ...base, maxSuccessAge: HOUR },
      health: 'ok',
    },
    { title: 'last run succeeded', input: { ...base, runs: [oldFail, ok1] }, health: 'ok' },
    { title: 'last run failed', input: { ...base, runs: [ok1, fail2] }, health: 'failing' },
    { title: 'last run timed out', input: { ...base, runs: [ok1, timedOut2] }, health: 'failing' },
    {
      title: 'last run interrupted',
      input: { ...base, runs: [ok1, interrupted2] },
      health: 'failing',
    },
    {
      title: 'a skipped run after a failure keeps it failing',
      input: { ...base, runs: [fail2, skipped3] },
      health: 'failing',
    },
    {
      title: 'a missed run after a failure keeps it failing',
      input: { ...base, runs: [fail2, missed3] },
      health: 'failing',
    },
    {
      title: 'a cancelled run after a failure keeps it failing',
      input: { ...base, runs: [fail2, cancelled3] },
      health: 'failing',
    },
    {
      title: 'a running run after a failure keeps it failing',
      input: { ...base, runs: [fail2, running4] },
      health: 'failing',
    },
    {
      title: 'a success after a failure recovers',
      input: { ...base, runs: [fail2, ok4] },
      health: 'ok',
    },
    {
      title: 'success within maxSuccessAge',
      input: { ...base, maxSuccessAge: 2 * HOUR, runs: [ok1] },
      health: 'ok',
    },
    {
      title: 'success exactly maxSuccessAge ago is not stale yet',
      input: { ...base, maxSuccessAge: 115 * 60_000, runs: [ok1] },
      health: 'ok',
    },
    {
      title: 'success older than maxSuccessAge (by finishedAt)',
      input: { ...base, maxSuccessAge: 115 * 60_000 - 1, runs: [ok1] },
      health: 'stale',
    },
    {
      title: 'no success, oldest run older than maxSuccessAge',
      input: { ...base, maxSuccessAge: HOUR, runs: [oldMissed, skipped3] },
      health: 'stale',
    },
    {
      title: 'no success, oldest run younger than maxSuccessAge',
      input: { ...base, maxSuccessAge: HOUR, runs: [skipped3, running4] },
      health: 'ok',
    },
    {
      title: 'failing wins over stale',
      input: { ...base, maxSuccessAge: HOUR, runs: [oldFail] },
      health: 'failing',
    },
    {
      title: 'waiting out a clock step back: clock-anomaly, over failing',
      input: { ...base, runs: [ok1, fail2], clockWaitUntil: new Date('2026-03-11T02:30:00Z') },
      health: 'clock-anomaly',
    },
    {
      title: 'suspended wins over clock-anomaly',
      input: {
        ...base,
        suspended: true,
        runs: [ok1],
        clockWaitUntil: new Date('2026-03-11T02:30:00Z'),
      },
      health: 'suspended',
    },
    {
      title: 'suspended wins over failing and stale',
      input: { ...base, suspended: true, maxSuccessAge: HOUR, runs: [oldFail] },
      health: 'suspended',
    },
    {
      title: 'degraded wins over everything',
      input: { degraded: true, suspended: true, maxSuccessAge: HOUR, runs: [oldFail] },
      health: 'degraded',
    },
  ])('$title → $health', ({ input, health }) => {
    expect(healthOf(input, NOW)).toBe(health);
  });

  it.each([
    { title: 'empty', runs: [], lastRun: undefined, lastSuccess: undefined },
    {
      title: 'skipped and missed are not a last run',
      runs: [ok1, skipped3],
      lastRun: '01A',
      lastSuccess: '01A',
    },
    {
      title: 'cancelled is a last run',
      runs: [ok1, cancelled3, running4],
      lastRun: '01C',
      lastSuccess: '01A',
    },
    { title: 'newest final run', runs: [ok1, fail2, missed3], lastRun: '01B', lastSuccess: '01A' },
    {
      title: 'only unfinished',
      runs: [missed3, running4],
      lastRun: undefined,
      lastSuccess: undefined,
    },
  ])('selects last run and last success: $title', ({ runs, lastRun, lastSuccess }) => {
    expect(selectLastRun(runs)?.id).toBe(lastRun);
    expect(selectLastSuccess(runs)?.id).toBe(lastSuccess);
  });

  it.each([
    { run: ok1, endedAt: '2026-03-10T10:05:00.000Z' },
    {
      run: { ...skipped3, startedAt: '2026-03-10T11:30:01.000Z' },
      endedAt: '2026-03-10T11:30:01.000Z',
    },
    { run: skipped3, endedAt: '2026-03-10T11:30:00.000Z' },
  ])('ended at $endedAt', ({ run: record, endedAt }) => {
    expect(selectEndedAt(record)).toBe(endedAt);
  });
});
