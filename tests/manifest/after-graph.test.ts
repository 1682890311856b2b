import { describe, expect, it } from 'vitest';
import {
  checkAfterGraph,
  MAX_CHAIN_DEPTH,
  type AfterNode,
} from '../../src/manifest/after-graph.js';
import { formatIssue } from '../../src/manifest/issue.js';
import type { AfterWhen } from '../../src/manifest/schema.js';

/** `name` in `<name>.yaml`, after each upstream; entry i is written at line 6 + i, column 17. */
function node(name: string, ...upstreams: (string | [string, AfterWhen])[]): AfterNode {
  return {
    name,
    file: `${name}.yaml`,
    after: upstreams.map((up) =>
      typeof up === 'string'
        ? { schedule: up, when: 'succeeded' }
        : { schedule: up[0], when: up[1] },
    ),
    at: upstreams.map((_, index) => ({ line: 6 + index, col: 17 })),
  };
}

/** A straight chain root → s1 → … → s<length>. */
function chain(length: number): AfterNode[] {
  return Array.from({ length }, (_, index) =>
    node(`s${index + 1}`, index === 0 ? 'root' : `s${index}`),
  );
}

function check(nodes: AfterNode[], others: string[] = []) {
  const names = new Set([...others, ...nodes.map((n) => n.name)]);
  const result = checkAfterGraph(nodes, names);
  return { lines: result.issues.map(formatIssue).sort(), broken: [...result.broken.keys()].sort() };
}

describe('manifest/after-graph', () => {
  it.each([
    ['a straight chain', [node('verify', 'dump'), node('prune', 'verify')], ['dump'], [], []],
    [
      'a diamond (two ways to one step), which is no cycle',
      [node('b', 'a'), node('c', 'a'), node('d', 'b', ['c', 'failed'])],
      ['a'],
      [],
      [],
    ],
    [
      'an unknown upstream, with the closest name',
      [node('verify', 'dumpp')],
      ['dump'],
      [
        'verify.yaml:6:17: spec.after[0].schedule: unknown schedule "dumpp" (did you mean "dump"?); "after" names another schedule\'s metadata.name',
      ],
      ['verify'],
    ],
    [
      'an unknown upstream with nothing close',
      [node('verify', 'catalogue')],
      ['dump'],
      [
        'verify.yaml:6:17: spec.after[0].schedule: unknown schedule "catalogue"; "after" names another schedule\'s metadata.name',
      ],
      ['verify'],
    ],
    [
      'a schedule after itself',
      [node('loop', 'dump', 'loop')],
      ['dump'],
      [
        'loop.yaml:7:17: spec.after[1].schedule: "loop" cannot run after itself; for repeated runs, give it a schedule',
      ],
      ['loop'],
    ],
    [
      'a cycle across three files, named whole at each member',
      [node('a', 'c'), node('b', 'a'), node('c', 'b'), node('d', 'c')],
      [],
      [
        'a.yaml:6:17: spec.after[0].schedule: "after" makes a cycle: a → b → c → a (each runs after the one before it); remove one of these links',
        'b.yaml:6:17: spec.after[0].schedule: "after" makes a cycle: b → c → a → b (each runs after the one before it); remove one of these links',
        'c.yaml:6:17: spec.after[0].schedule: "after" makes a cycle: c → a → b → c (each runs after the one before it); remove one of these links',
      ],
      ['a', 'b', 'c'],
    ],
    [
      'a cycle of two, at the entry that closes it',
      [node('a', 'root', 'b'), node('b', 'a')],
      ['root'],
      [
        'a.yaml:7:17: spec.after[1].schedule: "after" makes a cycle: a → b → a (each runs after the one before it); remove one of these links',
        'b.yaml:6:17: spec.after[0].schedule: "after" makes a cycle: b → a → b (each runs after the one before it); remove one of these links',
      ],
      ['a', 'b'],
    ],
  ])('%s', (_what, nodes, others, lines, broken) => {
    expect(check(nodes, others)).toEqual({ lines, broken });
  });

  it(`allows a chain of ${MAX_CHAIN_DEPTH} steps below its root`, () => {
    expect(check(chain(MAX_CHAIN_DEPTH), ['root'])).toEqual({ lines: [], broken: [] });
  });

  it('reports the step that makes a chain too deep, once, at that step', () => {
    expect(check(chain(MAX_CHAIN_DEPTH + 3), ['root'])).toEqual({
      lines: [
        's21.yaml:6:17: spec.after[0].schedule: chain too deep: root → s1 → … → s19 → s20 → s21 is 21 "after" steps below "root"; at most 20 are allowed',
      ],
      broken: ['s21'],
    });
  });

  it('measures depth by the longest way up', () => {
    // s20 is 20 below root; "short" is 1 below root; "join" is after both: 21 by the long way.
    const nodes = [...chain(MAX_CHAIN_DEPTH), node('short', 'root'), node('join', 'short', 's20')];
    expect(check(nodes, ['root']).broken).toEqual(['join']);
  });

  it('does not measure depth below a cycle', () => {
    const nodes = [node('a', 'b'), node('b', 'a'), ...chain(MAX_CHAIN_DEPTH + 1)];
    nodes.push(node('below', 'a'));
    expect(check(nodes, ['root']).broken).toEqual(['a', 'b', 's21']);
  });
});
