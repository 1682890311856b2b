// Where a burst's event-loop time goes, from a `--cpu-prof` profile of the daemon: the share of each part of
// the fire path, and each part as a multiple of the fork. Usage, after
// `BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" node bench/burst.js`:
//   node bench/lib/profile-phases.js /tmp/prof/CPU.*.cpuprofile
// The window is the burst: from 50 ms before the first sample inside `ChildProcess.spawn` to 3 s after the last.
// Samples count wall time, so on a loaded machine compare proportions, not milliseconds.
import { readFileSync } from 'node:fs';

/** First match wins: the specific parts before the general ones (an awaited continuation keeps its callers). */
const PARTS = [
  ['fork: ChildProcess.spawn', /^ChildProcess\.spawn node:internal\/child_process/],
  ['start: pid start time from /proc', /readProcessStartTime/],
  ['history records (shards, summary, journal)', /dist\/history/],
  ['status file and snapshot', /dist\/status|status-inputs/],
  ['logging (pino)', /node_modules\/pino|createRunLog/],
  ['end: group clean-up after exit', /terminateProcessGroup|killProcessGroup/],
  [
    'start: spawn wrapper (execa or spawnProcess, Node spawn options)',
    /node_modules\/execa|spawnProcess|normalizeSpawnArguments|copyProcessEnvToEnv/,
  ],
  ['start: due → spawn (hand-out, invocation, run bookkeeping)', /dist\/daemon|dist\/runtime/],
  ['output pipes', /onStreamRead|node:net|readable/],
  ['garbage collector', /^\(garbage collector\)/],
];
const OTHER = 'other (program, microtasks, timers, fs bindings)';

const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parents.set(child, node.id);
const times = [];
let time = profile.startTime;
for (const delta of profile.timeDeltas) times.push((time += delta));
const frameName = (node) => `${node.callFrame.functionName} ${node.callFrame.url}`;
const stackOf = (id) => {
  const stack = [];
  for (let at = id; at !== undefined; at = parents.get(at)) stack.push(nodes.get(at));
  return stack;
};
const stacks = profile.samples.map(stackOf);

const forkTimes = times.filter((_, i) => stacks[i].some((n) => PARTS[0][1].test(frameName(n))));
if (forkTimes.length === 0)
  throw new Error('no sample inside ChildProcess.spawn: not a burst profile');
const from = Math.min(...forkTimes) - 50_000;
const to = Math.max(...forkTimes) + 3_000_000;

const spent = new Map();
let busy = 0;
stacks.forEach((stack, i) => {
  if (times[i] < from || times[i] > to || stack[0].callFrame.functionName === '(idle)') return;
  const duration = i + 1 < times.length ? times[i + 1] - times[i] : 0;
  busy += duration;
  const part = PARTS.find(([, re]) => stack.some((n) => re.test(frameName(n))))?.[0] ?? OTHER;
  spent.set(part, (spent.get(part) ?? 0) + duration);
});
const fork = spent.get(PARTS[0][0]) ?? 0;
console.log(
  `burst window ${((to - from) / 1e6).toFixed(1)} s, not idle ${(busy / 1e6).toFixed(1)} s`,
);
for (const [part, us] of [...spent].sort((a, b) => b[1] - a[1])) {
  console.log(
    `${((100 * us) / busy).toFixed(1).padStart(5)} %  ${(us / fork).toFixed(2).padStart(5)} × fork  ${part}`,
  );
}
console.log(`everything but the fork: ${((busy - fork) / fork).toFixed(2)} × the fork`);
