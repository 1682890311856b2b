// The pipeline part of the run view (`spec.after`): the run that started this one, the runs this one
// started, and the whole chain as one row of steps from /api/v1/runs?chain=ID.
import { getJSON, messageOf, runsOf } from './api.js';
import { h, type Child } from './dom.js';
import { formatDuration } from './format.js';
import { badge } from './schedules.js';
import { API, state, type ApiRun } from './state.js';

/** Steps a chain shows at most (one page of the API). */
const MAX_CHAIN_RUNS = 500;

/** The chain the open run view shows, so a run event of that chain refreshes it. */
let shownChainId: string | null = null;

/** The id of the chain a run belongs to: its chainId, or its own id (a chain's first run). */
export function chainIdOf(run: Pick<ApiRun, 'id' | 'chainId'>): string {
  return run.chainId ?? run.id;
}

/** Whether `run` belongs to the chain the open run view shows. */
export function belongsToShownChain(run: Pick<ApiRun, 'id' | 'chainId'>): boolean {
  return shownChainId !== null && chainIdOf(run) === shownChainId;
}

/**
 * The chain's steps in the order runs flowed: the first run, then each run after the run that started it
 * (breadth first; runs started by the same run in id order, which is the order they were created).
 */
export function orderChain(runs: readonly ApiRun[], rootId: string): ApiRun[] {
  const byUpstream = new Map<string, ApiRun[]>();
  for (const run of runs) {
    const parent = run.upstream?.runId;
    if (parent === undefined || run.id === rootId) continue;
    const list = byUpstream.get(parent) ?? [];
    list.push(run);
    byUpstream.set(parent, list);
  }
  const root = runs.find((run) => run.id === rootId);
  const ordered: ApiRun[] = [];
  const seen = new Set<string>();
  const queue = root ? [root] : [];
  while (queue.length > 0) {
    const run = queue.shift()!;
    if (seen.has(run.id)) continue;
    seen.add(run.id);
    ordered.push(run);
    const next = (byUpstream.get(run.id) ?? []).sort((a, b) => (a.id < b.id ? -1 : 1));
    queue.push(...next);
  }
  // Runs whose upstream is not in the list (the page was cut) come last, oldest first.
  const rest = runs.filter((run) => !seen.has(run.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
  return [...ordered, ...rest];
}

/** Whether the run may be part of a chain: started by `after`, or of a schedule others run after. */
function mayHaveChain(run: ApiRun): boolean {
  if (run.trigger === 'after' || run.upstream !== undefined) return true;
  const schedules = state.status?.schedules;
  if (!schedules) return true;
  return schedules.some((s) => s.after?.some((entry) => entry.schedule === run.schedule));
}

/** A button that opens another run in the run view. */
function runLink(run: Pick<ApiRun, 'id' | 'schedule'>, extra?: Child): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'run-link',
      'data-run': run.id,
      title: 'Open run ' + run.id,
    },
    h('span', { class: 'mono', text: run.schedule }),
    extra,
  );
}

/** The run-view row for the run that started this one ("After"), or null. */
export function upstreamFact(run: ApiRun): Child[] | null {
  const upstream = run.upstream;
  if (!upstream) return null;
  return [
    h('dt', { text: 'After' }),
    h(
      'dd',
      { class: 'chain-links' },
      runLink({ id: upstream.runId, schedule: upstream.schedule }, badge(upstream.status)),
    ),
  ];
}

/** One step of the chain row: schedule, status, duration; the open run is the current step. */
function chainStep(run: ApiRun, currentId: string): HTMLLIElement {
  const current = run.id === currentId;
  return h(
    'li',
    { class: 'chain-step' + (current ? ' current' : '') },
    h(
      'button',
      {
        type: 'button',
        'data-run': run.id,
        'aria-current': current ? 'step' : null,
        title: 'Open run ' + run.id,
      },
      h('span', { class: 'cs-name mono', text: run.schedule }),
      h(
        'span',
        { class: 'cs-meta' },
        badge(run.status),
        h('span', {
          class: 'cs-dur',
          text: run.status === 'running' ? 'running' : formatDuration(run.durationMs),
        }),
      ),
    ),
  );
}

/**
 * The chain section of run `run`: empty at first, filled when the chain has loaded — the runs this one
 * started, and every step of its chain in one row. Nothing is shown for a run that is alone in its chain.
 */
export function chainSection(run: ApiRun): HTMLElement {
  const chainId = chainIdOf(run);
  const section = h('section', { class: 'chain', 'aria-label': 'Pipeline chain', hidden: true });
  if (!mayHaveChain(run)) {
    shownChainId = null;
    return section;
  }
  shownChainId = chainId;
  getJSON(API.runs + '?chain=' + encodeURIComponent(chainId) + '&limit=' + MAX_CHAIN_RUNS)
    .then((body) => {
      if (state.openRunId !== run.id) return;
      fillChain(section, run, orderChain(runsOf(body), chainId));
    })
    .catch((error: unknown) => {
      if (state.openRunId !== run.id) return;
      section.hidden = false;
      section.replaceChildren(
        h('p', { class: 'banner', text: 'Cannot load the chain: ' + messageOf(error) }),
      );
    });
  return section;
}

function fillChain(section: HTMLElement, run: ApiRun, steps: readonly ApiRun[]): void {
  if (steps.length < 2) return;
  const started = steps.filter((step) => step.upstream?.runId === run.id);
  section.hidden = false;
  section.replaceChildren(
    h(
      'div',
      { class: 'chain-head' },
      h('h3', { text: 'Chain · ' + steps.length + ' steps' }),
      started.length > 0
        ? h(
            'div',
            { class: 'chain-links' },
            h('span', { class: 'note', text: 'This run started' }),
            started.map((step) => runLink(step, badge(step.status))),
          )
        : null,
    ),
    h(
      'ol',
      { class: 'chain-steps', 'aria-label': 'Steps of the chain, first run first' },
      steps.map((step) => chainStep(step, run.id)),
    ),
  );
}
