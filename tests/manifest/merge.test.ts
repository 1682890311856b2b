import { describe, expect, it } from 'vitest';
import { listWrittenFields, wroteField } from '../../src/manifest/merge.js';

describe('manifest/merge', () => {
  it('lists the fields a spec wrote: its keys, nested keys and env names, sorted', () => {
    const written = listWrittenFields({
      timezone: 'UTC',
      retries: { limit: 2 },
      history: {},
      task: { shell: 'x', env: { TOKEN: 'a', B: 'b' } },
      params: { retries: { limit: 1 } },
    });
    expect(written).toBe(
      ' history params retries retries.limit task task.env.B task.env.TOKEN timezone ',
    );
  });

  it.each([
    ['timezone', true],
    ['retries', true],
    ['retries.limit', true],
    ['retries.delay', false],
    ['task.env.TOKEN', true],
    ['task.env.TOK', false],
    ['params.retries', false],
    ['zone', false],
    ['notify', false],
  ])('tells whether %s was written', (path, expected) => {
    const written = listWrittenFields({
      timezone: 'UTC',
      retries: { limit: 2 },
      params: { retries: 1 },
      task: { env: { TOKEN: 'a' } },
    });
    expect(wroteField(written, path)).toBe(expected);
  });
});
