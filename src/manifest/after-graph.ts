// The graph `spec.after` draws across files: unknown upstreams, a schedule after itself, cycles, chains too deep.
import type { AfterSpec } from './after-schema.js';
import type { ManifestIssue } from './issue.js';
import { formatSuggestion } from './suggest.js';

/** The most `after` steps below a schedule that has none: a chain has at most 21 schedules. */
export const MAX_CHAIN_DEPTH = 20;

/** One schedule with `after`, and where each of its upstream names is written. */
export interface AfterNode {
  name: string;
  file: string;
  after: readonly AfterSpec[];
  /** Where `spec.after[i].schedule` is, parallel to `after`. */
  at: readonly { line: number; col: number }[];
}

/** What is wrong with the graph. */
export interface AfterGraphCheck {
  /** One issue per broken `after` entry, at the entry's `schedule` value. */
  issues: ManifestIssue[];
  /** The schedules whose `after` cannot be followed, with the reason; they never run by `after`. */
  broken: Map<string, string>;
}

/** The position and path of `after[index]` of a node. */
function locateEntry(node: AfterNode, index: number): Omit<ManifestIssue, 'message'> {
  const at = node.at[index] ?? { line: 0, col: 0 };
  return { file: node.file, line: at.line, col: at.col, path: `spec.after[${index}].schedule` };
}

/** Shorten a long chain for a message: the first two and the last three names around "…". */
function formatChain(names: readonly string[]): string {
  const shown =
    names.length <= 6 ? names : [...names.slice(0, 2), '…', ...names.slice(names.length - 3)];
  return shown.join(' → ');
}

/**
 * Check the `after` graph of a whole directory. `names` is every schedule loaded (with or without
 * `after`); `nodes` the schedules with `after`. An unknown name, a schedule after itself, every
 * member of a cycle (the message names the whole cycle, in the order runs would flow) and a schedule
 * more than MAX_CHAIN_DEPTH steps below a schedule without `after` are reported and returned as
 * broken. Pure, O(schedules + edges) unless there are cycles.
 */
export function checkAfterGraph(
  nodes: readonly AfterNode[],
  names: ReadonlySet<string>,
): AfterGraphCheck {
  const issues: ManifestIssue[] = [];
  const broken = new Map<string, string>();
  const byName = new Map<string, AfterNode>();
  for (const node of nodes) byName.set(node.name, node);
  /** Upstreams by schedule, only the entries that name another loaded schedule. */
  const upstreams = new Map<string, string[]>();
  for (const node of nodes) {
    const valid: string[] = [];
    node.after.forEach((entry, index) => {
      let message: string | undefined;
      if (entry.schedule === node.name) {
        message = `"${node.name}" cannot run after itself; for repeated runs, give it a schedule`;
      } else if (!names.has(entry.schedule)) {
        const hint = formatSuggestion(entry.schedule, names);
        message = `unknown schedule "${entry.schedule}"${hint}; "after" names another schedule's metadata.name`;
      }
      if (message === undefined) {
        valid.push(entry.schedule);
        return;
      }
      issues.push({ ...locateEntry(node, index), message });
      if (!broken.has(node.name)) broken.set(node.name, message);
    });
    upstreams.set(node.name, valid);
  }
  const cyclic = findCycles(nodes, upstreams, byName, issues, broken);
  findDeepChains(nodes, upstreams, cyclic, issues, broken);
  return { issues, broken };
}

/** Strongly connected components of more than one schedule (Tarjan, iterative). */
function findComponents(
  nodes: readonly AfterNode[],
  upstreams: ReadonlyMap<string, readonly string[]>,
): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of nodes) {
    if (index.has(start.name)) continue;
    const work: { name: string; next: number }[] = [{ name: start.name, next: 0 }];
    index.set(start.name, counter);
    low.set(start.name, counter);
    counter += 1;
    stack.push(start.name);
    onStack.add(start.name);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { name: string; next: number };
      const edges = upstreams.get(frame.name) ?? [];
      if (frame.next < edges.length) {
        const to = edges[frame.next] as string;
        frame.next += 1;
        if (!upstreams.has(to)) continue; // a schedule without `after` closes no cycle
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter);
          counter += 1;
          stack.push(to);
          onStack.add(to);
          work.push({ name: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.name, Math.min(low.get(frame.name) ?? 0, index.get(to) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined)
        low.set(parent.name, Math.min(low.get(parent.name) ?? 0, low.get(frame.name) ?? 0));
      if (low.get(frame.name) !== index.get(frame.name)) continue;
      const component: string[] = [];
      for (;;) {
        const member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
        if (member === frame.name) break;
      }
      if (component.length > 1) components.push(component);
    }
  }
  return components;
}

/** Report every member of every cycle; returns the members. */
function findCycles(
  nodes: readonly AfterNode[],
  upstreams: ReadonlyMap<string, readonly string[]>,
  byName: ReadonlyMap<string, AfterNode>,
  issues: ManifestIssue[],
  broken: Map<string, string>,
): Set<string> {
  const cyclic = new Set<string>();
  for (const component of findComponents(nodes, upstreams)) {
    const members = new Set(component);
    for (const name of component) cyclic.add(name);
    for (const name of component) {
      // The shortest cycle through `name`, walking upstream: name ← u1 ← u2 … ← name.
      const previous = new Map<string, string>();
      const queue = [name];
      let closing: string | undefined;
      for (let head = 0; head < queue.length && closing === undefined; head += 1) {
        const at = queue[head] as string;
        for (const up of upstreams.get(at) ?? []) {
          if (!members.has(up)) continue;
          if (up === name) {
            closing = at;
            break;
          }
          if (previous.has(up)) continue;
          previous.set(up, at);
          queue.push(up);
        }
      }
      if (closing === undefined) continue; // cannot happen inside a component
      // Walking back from `closing` to `name` gives the downstream order.
      const flow = [name];
      let step: string | undefined = closing;
      const upwards: string[] = [];
      while (step !== undefined && step !== name) {
        upwards.push(step);
        step = previous.get(step);
      }
      // `closing` runs right after `name`, and each step's `previous` runs after it: run order already.
      flow.push(...upwards, name);
      const node = byName.get(name) as AfterNode;
      // The entry of `name` that closes the cycle names its upstream: the step before it in the flow.
      const upstream = flow[flow.length - 2] as string;
      const index = node.after.findIndex((entry) => entry.schedule === upstream);
      const message = `"after" makes a cycle: ${flow.join(' → ')} (each runs after the one before it); remove one of these links`;
      issues.push({ ...locateEntry(node, Math.max(index, 0)), message });
      if (!broken.has(name)) broken.set(name, message);
    }
  }
  return cyclic;
}

/** Report each schedule that is more than MAX_CHAIN_DEPTH steps below a schedule without `after`. */
function findDeepChains(
  nodes: readonly AfterNode[],
  upstreams: ReadonlyMap<string, readonly string[]>,
  cyclic: ReadonlySet<string>,
  issues: ManifestIssue[],
  broken: Map<string, string>,
): void {
  /** Steps below a root, and the upstream on the longest way up; undefined below a cycle. */
  const depth = new Map<string, { steps: number; via?: string } | undefined>();
  const depthOf = (start: string): { steps: number; via?: string } | undefined => {
    if (depth.has(start)) return depth.get(start);
    // Iterative post-order: chains are long by design, recursion would be too.
    const work: string[] = [start];
    while (work.length > 0) {
      const name = work[work.length - 1] as string;
      if (depth.has(name)) {
        work.pop();
        continue;
      }
      if (cyclic.has(name)) {
        depth.set(name, undefined);
        work.pop();
        continue;
      }
      const ups = upstreams.get(name) ?? [];
      const pending = ups.filter((up) => !depth.has(up) && upstreams.has(up));
      if (pending.length > 0) {
        work.push(...pending);
        continue;
      }
      let best: { steps: number; via?: string } | undefined = { steps: 0 };
      for (const up of ups) {
        const above = upstreams.has(up) ? depth.get(up) : { steps: 0 };
        if (above === undefined) {
          best = undefined;
          break;
        }
        if (best.via === undefined || above.steps + 1 > best.steps)
          best = { steps: above.steps + 1, via: up };
      }
      depth.set(name, best);
      work.pop();
    }
    return depth.get(start);
  };
  for (const node of nodes) {
    const found = depthOf(node.name);
    if (found === undefined || found.steps !== MAX_CHAIN_DEPTH + 1 || found.via === undefined)
      continue;
    const chain = [node.name];
    for (let step: string | undefined = found.via; step !== undefined;) {
      chain.unshift(step);
      step = depth.get(step)?.via;
    }
    const index = node.after.findIndex((entry) => entry.schedule === found.via);
    const message = `chain too deep: ${formatChain(chain)} is ${found.steps} "after" steps below "${chain[0] ?? ''}"; at most ${MAX_CHAIN_DEPTH} are allowed`;
    issues.push({ ...locateEntry(node, Math.max(index, 0)), message });
    if (!broken.has(node.name)) broken.set(node.name, message);
  }
}
