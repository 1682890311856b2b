import { describe, expect, it } from 'vitest';
import { isCatchUpTurn, planStart, type StartState } from '../../src/runtime/plan-start.js';

const idle: StartState = {
  running: [],
  queued: false,
  catchUpPending: 0,
  runningTotal: 0,
  maxConcurrentRuns: null,
};
const inFlight = (over: Partial<StartState> = {}): StartState => ({
  ...idle,
  running: [{ runId: 'R1', trigger: 'schedule' }],
  runningTotal: 1,
  ...over,
});

describe('runtime/plan-start', () => {
  it.each([
    {
      why: 'idle: starts',
      policy: 'Forbid' as const,
      trigger: 'schedule' as const,
      state: idle,
      plan: { action: 'start' },
    },
    {
      why: 'Forbid with a run in flight: skipped',
      policy: 'Forbid' as const,
      trigger: 'schedule' as const,
      state: inFlight(),
      plan: {
        action: 'skip',
        reason: 'previous run R1 is still running (concurrencyPolicy Forbid)',
      },
    },
    {
      why: 'Forbid with a catch-up run in flight and more pending: skipped',
      policy: 'Forbid' as const,
      trigger: 'schedule' as const,
      state: inFlight({ running: [{ runId: 'C1', trigger: 'catchup' }], catchUpPending: 5 }),
      plan: {
        action: 'skip',
        reason: 'previous run C1 is still running (concurrencyPolicy Forbid)',
      },
    },
    {
      why: 'Queue with a run in flight: waits behind it',
      policy: 'Queue' as const,
      trigger: 'schedule' as const,
      state: inFlight(),
      plan: { action: 'queue', reason: 'queued behind run R1' },
    },
    {
      why: 'Queue with a fire already waiting: skipped',
      policy: 'Queue' as const,
      trigger: 'schedule' as const,
      state: inFlight({ queued: true }),
      plan: {
        action: 'skip',
        reason: 'a fire is already queued behind run R1 (concurrencyPolicy Queue)',
      },
    },
    {
      why: 'Queue during catch-up: after the catch-up queue',
      policy: 'Queue' as const,
      trigger: 'schedule' as const,
      state: inFlight({ running: [{ runId: 'C1', trigger: 'catchup' }], catchUpPending: 3 }),
      plan: { action: 'queue', reason: 'queued behind 3 pending catch-up run(s)' },
    },
    {
      why: 'Replace with a run in flight: replaces it',
      policy: 'Replace' as const,
      trigger: 'schedule' as const,
      state: inFlight(),
      plan: {
        action: 'replace',
        replace: ['R1'],
        dropCatchUps: false,
        reason: 'replaced by run NEW (concurrencyPolicy Replace)',
      },
    },
    {
      why: 'Replace during catch-up: drops the pending catch-ups and replaces the one in flight',
      policy: 'Replace' as const,
      trigger: 'schedule' as const,
      state: inFlight({ running: [{ runId: 'C1', trigger: 'catchup' }], catchUpPending: 3 }),
      plan: {
        action: 'replace',
        replace: ['C1'],
        dropCatchUps: true,
        reason: 'replaced by run NEW (concurrencyPolicy Replace)',
      },
    },
    {
      why: 'Allow with a run in flight: starts beside it',
      policy: 'Allow' as const,
      trigger: 'schedule' as const,
      state: inFlight({ running: [{ runId: 'C1', trigger: 'catchup' }], catchUpPending: 3 }),
      plan: { action: 'start' },
    },
    {
      why: 'a manual trigger follows the policy too',
      policy: 'Forbid' as const,
      trigger: 'manual' as const,
      state: inFlight(),
      plan: {
        action: 'skip',
        reason: 'previous run R1 is still running (concurrencyPolicy Forbid)',
      },
    },
    {
      why: 'the global cap reached: waits for a slot',
      policy: 'Allow' as const,
      trigger: 'schedule' as const,
      state: { ...idle, runningTotal: 4, maxConcurrentRuns: 4 },
      plan: {
        action: 'wait-for-slot',
        reason: 'waiting for a free slot (--max-concurrent-runs 4)',
      },
    },
    {
      why: 'the global cap not reached: starts',
      policy: 'Allow' as const,
      trigger: 'catchup' as const,
      state: { ...idle, runningTotal: 3, maxConcurrentRuns: 4 },
      plan: { action: 'start' },
    },
  ])('$why', ({ policy, trigger, state, plan }) => {
    expect(
      planStart({ policy: { concurrencyPolicy: policy }, trigger, runId: 'NEW', state }),
    ).toEqual(plan);
  });

  it.each([
    { policy: 'Allow' as const, running: [], turn: true },
    {
      policy: 'Allow' as const,
      running: [{ runId: 'R', trigger: 'schedule' as const }],
      turn: true,
    },
    {
      policy: 'Allow' as const,
      running: [{ runId: 'C', trigger: 'catchup' as const }],
      turn: false,
    },
    {
      policy: 'Forbid' as const,
      running: [{ runId: 'R', trigger: 'schedule' as const }],
      turn: false,
    },
    { policy: 'Queue' as const, running: [], turn: true },
    {
      policy: 'Replace' as const,
      running: [{ runId: 'C', trigger: 'catchup' as const }],
      turn: false,
    },
  ])(
    'isCatchUpTurn: $policy with $running.length run(s) in flight: $turn',
    ({ policy, running, turn }) => {
      expect(isCatchUpTurn({ concurrencyPolicy: policy }, running)).toBe(turn);
    },
  );
});
