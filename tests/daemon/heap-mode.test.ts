import { describe, expect, it } from 'vitest';
import { optimizeHeapForSize, wantsHeapOptimizedForSize } from '../../src/daemon/heap-mode.js';

describe('daemon/heap-mode', () => {
  it.each<[string, string[], boolean]>([
    ['plain node', [], true],
    ['other flags', ['--enable-source-maps', '--max-old-space-size=512'], true],
    ['opted out', ['--no-optimize-for-size'], false],
    ['opted out, underscores', ['--no-optimize_for_size'], false],
    ['already on', ['--optimize-for-size'], false],
  ])('%s', (_name, execArgv, expected) => {
    expect(wantsHeapOptimizedForSize(execArgv)).toBe(expected);
  });

  it('sets nothing when node was told otherwise', () => {
    expect(optimizeHeapForSize(['--no-optimize-for-size'])).toBe(false);
  });
});
