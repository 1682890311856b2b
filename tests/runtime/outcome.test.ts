import { describe, expect, it } from 'vitest';
import { toRunOutcome, type OutcomeFlags, type RunOutcome } from '../../src/runtime/outcome.js';

const base: OutcomeFlags = { failed: false, timedOut: false, isTerminated: false };

describe('runtime/outcome', () => {
  it.each<{ title: string; flags: OutcomeFlags; outcome: RunOutcome }>([
    { title: 'exit 0', flags: { ...base, exitCode: 0 }, outcome: 'succeeded' },
    { title: 'exit 3', flags: { ...base, failed: true, exitCode: 3 }, outcome: 'failed' },
    {
      title: 'a signal nobody in cronops sent is a failure',
      flags: { ...base, failed: true, isTerminated: true },
      outcome: 'failed',
    },
    {
      title: 'our timeout, whatever the process did about it',
      flags: { ...base, failed: true, isTerminated: true, timedOut: true },
      outcome: 'timed-out',
    },
    {
      title: 'our timeout wins over a clean exit on SIGTERM',
      flags: { ...base, exitCode: 0, timedOut: true },
      outcome: 'timed-out',
    },
    {
      title: 'abort (Replace, shutdown)',
      flags: { ...base, failed: true, isTerminated: true, isCanceled: true },
      outcome: 'killed',
    },
    {
      title: 'command not found',
      flags: { ...base, failed: true, code: 'ENOENT' },
      outcome: 'spawn-error',
    },
    {
      title: 'permission denied',
      flags: { ...base, failed: true, code: 'EACCES' },
      outcome: 'spawn-error',
    },
    {
      title: 'an error code with an exit code is an ordinary failure',
      flags: { ...base, failed: true, exitCode: 1, code: 'EPIPE' },
      outcome: 'failed',
    },
  ])('$title → $outcome', ({ flags, outcome }) => {
    expect(toRunOutcome(flags)).toBe(outcome);
  });
});
