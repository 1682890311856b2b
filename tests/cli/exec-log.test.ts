import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../src/cli/commands/exec-log.js';

describe('cli/commands/exec-log', () => {
  it.each([
    [{ msg: 'attempt failed; retrying', attempt: 1, retryInMs: 2000 }, 'retrying in 2.0s'],
    [
      {
        msg: 'notification not delivered',
        event: 'failure',
        err: 'webhook http://127.0.0.1:9 refused',
      },
      'notification not delivered: failure: webhook http://127.0.0.1:9 refused',
    ],
    [
      { msg: 'cannot start the task', error: 'env X: not set' },
      'cannot start the task: env X: not set',
    ],
    [
      { msg: 'run failed unexpectedly', err: { type: 'Error', message: 'boom', stack: 's' } },
      'run failed unexpectedly: boom',
    ],
    [{ msg: 'plain' }, 'plain'],
  ])('%j → %s', (entry, expected) => {
    expect(formatLogLine(JSON.stringify({ level: 40, time: 1, ...entry }))).toBe(expected);
  });

  it('keeps a line that is not JSON as it is', () => {
    expect(formatLogLine('not json\n')).toBe('not json');
  });
});
