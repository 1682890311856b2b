// The run history: filters, pages, live runs merged in from the event stream.
import { getJSON, messageOf, nextCursorOf, runsOf } from './api.js';
import { $, appendAll, focusKeyWithin, h, reconcileRows, restoreFocus } from './dom.js';
import {
  byIdDesc,
  exitText,
  formatDuration,
  formatSpan,
  formatTime,
  labelPairs,
  lastAttempt,
  now,
  parseTime,
  titleOf,
} from './format.js';
import { badge } from './schedules.js';
import { API, PAGE_SIZE, state, type ApiRun, type RowEntry, type StatusSnapshot } from './state.js';

/** The schedule filter's options: every loaded schedule (and the one filtered by, if gone). */
export function renderScheduleOptions(status: StatusSnapshot): void {
  const names = status.schedules.map((schedule) => schedule.name);
  if (state.runFilters.schedule && !names.includes(state.runFilters.schedule))
    names.push(state.runFilters.schedule);
  const key = names.join('\n');
  if (key === state.scheduleOptionsKey) return;
  state.scheduleOptionsKey = key;
  const select = $<HTMLSelectElement>('run-schedule');
  select.replaceChildren(
    h('option', { value: '', text: 'All schedules' }),
    ...names.map((name) => h('option', { value: name, text: name })),
  );
  select.value = state.runFilters.schedule;
}

/** The label filter as a chip beside the run filters. */
export function renderRunLabel(): void {
  const holder = $('run-label');
  holder.hidden = !state.labelFilter;
  holder.replaceChildren();
  if (state.labelFilter) {
    appendAll(holder, [
      'Label ',
      h('code', { text: state.labelFilter }),
      ' ',
      h('button', {
        class: 'btn quiet',
        type: 'button',
        'data-action': 'clear-label',
        'aria-label': 'Stop filtering by label ' + state.labelFilter,
        text: '✕',
      }),
    ]);
  }
}

function localInputToIso(value: string): string {
  if (!value) return '';
  const t = new Date(value).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : '';
}

function runQuery(cursor: string | null): string {
  const params = new URLSearchParams();
  const f = state.runFilters;
  if (f.status) params.set('status', f.status);
  if (f.schedule) params.set('schedule', f.schedule);
  if (state.labelFilter) params.set('label', state.labelFilter);
  const since = localInputToIso(f.since);
  const until = localInputToIso(f.until);
  if (since) params.set('since', since);
  if (until) params.set('until', until);
  params.set('limit', String(PAGE_SIZE));
  if (cursor) params.set('cursor', cursor);
  return API.runs + '?' + params.toString();
}

function runMatchesFilters(run: ApiRun): boolean {
  const f = state.runFilters;
  if (f.status && run.status !== f.status) return false;
  if (f.schedule && run.schedule !== f.schedule) return false;
  if (state.labelFilter) {
    const schedule = state.status?.schedules.find((s) => s.name === run.schedule);
    if (!schedule || !labelPairs(schedule.labels).includes(state.labelFilter)) return false;
  }
  const at = parseTime(run.scheduledAt);
  const since = parseTime(localInputToIso(f.since));
  const until = parseTime(localInputToIso(f.until));
  if (Number.isFinite(since) && at < since) return false;
  if (Number.isFinite(until) && at >= until) return false;
  return true;
}

/** Load the first page again (`reset`) or one more page. */
export async function loadRuns(reset: boolean): Promise<void> {
  const token = ++state.runsToken;
  if (reset) {
    state.nextCursor = null;
    state.runs = [];
    state.runsLimit = PAGE_SIZE;
  } else {
    state.runsLimit = state.runs.length + PAGE_SIZE;
  }
  state.runsLoading = true;
  state.runsError = '';
  renderRuns();
  try {
    const body = await getJSON(runQuery(reset ? null : state.nextCursor));
    if (token !== state.runsToken) return;
    mergeRuns(runsOf(body));
    state.nextCursor = nextCursorOf(body);
  } catch (error) {
    if (token === state.runsToken) state.runsError = messageOf(error);
  } finally {
    if (token === state.runsToken) {
      state.runsLoading = false;
      renderRuns();
    }
  }
}

/** The first page again, merged into what is shown (after a reconnect, or while polling). */
export async function syncRuns(): Promise<void> {
  if (state.runsLoading) return;
  const token = state.runsToken;
  try {
    const body = await getJSON(runQuery(null));
    if (token !== state.runsToken) return;
    mergeRuns(runsOf(body));
    renderRuns();
  } catch {
    // The next refresh tries again.
  }
}

/** Merge runs into the list, newest first. Live runs push the oldest out (a tab left open for a day stays small); they come back with "Load more". */
function mergeRuns(runs: ApiRun[]): void {
  const byId = new Map(state.runs.map((run) => [run.id, run]));
  for (const run of runs) byId.set(run.id, { ...byId.get(run.id), ...run });
  state.runs = [...byId.values()].sort(byIdDesc);
  if (state.runs.length > state.runsLimit) {
    state.runs.length = state.runsLimit;
    state.nextCursor = state.runs[state.runs.length - 1]?.id ?? null;
  }
}

/** A run from the event stream: added, updated, or dropped when it no longer matches the filters. */
export function upsertLiveRun(run: ApiRun): void {
  const known = state.runs.some((other) => other.id === run.id);
  if (!runMatchesFilters(run)) {
    if (known) {
      state.runs = state.runs.filter((other) => other.id !== run.id);
      renderRuns();
    }
    return;
  }
  // Older than everything shown and more pages exist: it belongs to a page not loaded yet.
  const oldest = state.runs[state.runs.length - 1];
  if (!known && state.nextCursor && oldest && run.id < oldest.id) return;
  const copy: ApiRun = {
    ...run,
    attempts: run.attempts.map(({ outputTail: _tail, ...attempt }) => attempt),
  };
  mergeRuns([copy]);
  renderRuns();
}

function buildRunRow(run: ApiRun): HTMLTableRowElement {
  const attempt = lastAttempt(run);
  const duration =
    run.status === 'running' && run.startedAt
      ? h('span', {
          'data-elapsed': run.startedAt,
          text: formatSpan(now() - parseTime(run.startedAt)),
        })
      : formatDuration(run.durationMs);
  const reason = run.missed
    ? run.missed.count +
      (run.missed.count === 1 ? ' fire' : ' fires') +
      ' missed' +
      (run.reason ? ': ' + run.reason : '')
    : run.reason || '';
  return h(
    'tr',
    { role: 'row', 'data-run-row': run.id },
    h(
      'td',
      { role: 'cell', class: 'card-title', 'data-label': 'Scheduled' },
      h('button', {
        class: 'link nowrap',
        type: 'button',
        'data-run': run.id,
        'data-focus': 'run-' + run.id,
        title: titleOf(run.scheduledAt),
        'aria-label': 'Open run of ' + run.schedule + ' scheduled ' + formatTime(run.scheduledAt),
        text: formatTime(run.scheduledAt),
      }),
    ),
    h('td', { role: 'cell', 'data-label': 'Schedule', class: 'run-schedule', text: run.schedule }),
    h('td', { role: 'cell', 'data-label': 'Status' }, badge(run.status)),
    h('td', { role: 'cell', 'data-label': 'Trigger', text: run.trigger }),
    h('td', { role: 'cell', 'data-label': 'Duration', class: 'num' }, duration),
    h('td', {
      role: 'cell',
      'data-label': 'Attempts',
      class: 'num',
      text: String(run.attempts.length),
    }),
    h('td', { role: 'cell', 'data-label': 'Exit', class: 'num mono', text: exitText(attempt) }),
    h('td', {
      role: 'cell',
      'data-label': 'Reason',
      class: reason ? '' : 'faint',
      text: reason || '—',
    }),
  );
}

export function renderRuns(): void {
  const container = $('runs-table');
  let table = container.querySelector('table');
  if (!table) {
    table = h(
      'table',
      { class: 't-runs cards', role: 'table' },
      h('caption', { class: 'visually-hidden', text: 'Run history, newest first' }),
      h(
        'colgroup',
        {},
        ['15%', '17%', '11%', '9%', '9%', '8%', '7%', '24%'].map((width) => h('col', { width })),
      ),
      h(
        'thead',
        { role: 'rowgroup' },
        h(
          'tr',
          { role: 'row' },
          [
            ['Scheduled', ''],
            ['Schedule', ''],
            ['Status', ''],
            ['Trigger', ''],
            ['Duration', 'num'],
            ['Attempts', 'num'],
            ['Exit', 'num'],
            ['Reason', ''],
          ].map(([name, cls]) =>
            h('th', { scope: 'col', role: 'columnheader', class: cls || null, text: name }),
          ),
        ),
      ),
      h('tbody', { role: 'rowgroup' }),
    );
    container.replaceChildren(table);
  }
  const tbody = table.tBodies[0];
  if (!tbody) return;
  const focusKey = focusKeyWithin(tbody);
  if (!state.runs.length) {
    const text = state.runsError
      ? 'Cannot load runs: ' + state.runsError
      : state.runsLoading
        ? 'Loading runs…'
        : 'No runs match these filters yet.';
    state.runRows.clear();
    tbody.replaceChildren(h('tr', {}, h('td', { class: 'empty', colspan: 8, text })));
  } else {
    const next = new Map<string, RowEntry>();
    const rows = state.runs.map((run) => {
      const key = JSON.stringify(run);
      const old = state.runRows.get(run.id);
      const row = old && old.key === key ? old.row : buildRunRow(run);
      next.set(run.id, { key, row });
      return row;
    });
    for (const row of [...tbody.rows]) {
      // A changed run (running → succeeded) is swapped in place; rows no longer listed go.
      const id = row.getAttribute('data-run-row');
      const fresh = id ? next.get(id) : undefined;
      if (fresh && fresh.row !== row) row.replaceWith(fresh.row);
      else if (!fresh) row.remove();
    }
    reconcileRows(tbody, rows);
    state.runRows = next;
    if (focusKey && !(document.activeElement && tbody.contains(document.activeElement)))
      restoreFocus(focusKey);
  }
  const more = $<HTMLButtonElement>('runs-more');
  more.hidden = !state.nextCursor;
  more.disabled = state.runsLoading;
  more.textContent = state.runsLoading && state.runs.length ? 'Loading…' : 'Load more';
  $('runs-summary').textContent =
    state.runsError && state.runs.length
      ? 'Cannot load more runs: ' + state.runsError
      : state.runs.length
        ? 'Showing ' +
          state.runs.length +
          (state.runs.length === 1 ? ' run' : ' runs') +
          (state.nextCursor ? '; older runs are available' : '')
        : '';
}
