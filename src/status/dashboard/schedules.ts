// The schedules table (one row per schedule, rebuilt only when it changes) and each schedule's recent durations.
import { getJSON, runsOf } from './api.js';
import {
  $,
  breakAfterSlashes,
  focusKeyWithin,
  h,
  reconcileRows,
  restoreFocus,
  svgEl,
  type Child,
} from './dom.js';
import {
  agoText,
  byIdDesc,
  countdownText,
  formatDuration,
  formatSpan,
  formatTime,
  labelPairs,
  now,
  parseTime,
  statusWord,
  titleOf,
  upcomingFire,
} from './format.js';
import {
  API,
  OUTCOMES,
  PROBLEM_HEALTH,
  SPARK_RUNS,
  state,
  type ApiRun,
  type RowEntry,
  type StatusSchedule,
  type StatusSnapshot,
} from './state.js';

/** A run status as a coloured badge. */
export function badge(status: string): HTMLSpanElement {
  return h('span', { class: 'badge st-' + status, text: statusWord(status) });
}

export function renderLabelOptions(status: StatusSnapshot): void {
  const pairs = new Set<string>();
  for (const schedule of status.schedules)
    for (const pair of labelPairs(schedule.labels)) pairs.add(pair);
  if (state.labelFilter) pairs.add(state.labelFilter);
  const sorted = [...pairs].sort();
  const key = sorted.join('\n');
  if (key === state.labelOptionsKey) return;
  state.labelOptionsKey = key;
  const select = $<HTMLSelectElement>('label-filter');
  select.replaceChildren(
    h('option', { value: '', text: 'All labels' }),
    ...sorted.map((pair) => h('option', { value: pair, text: pair })),
  );
  select.value = state.labelFilter;
  select.disabled = sorted.length === 0;
}

export function matchesScheduleFilters(schedule: StatusSchedule): boolean {
  if (state.problemsOnly && !PROBLEM_HEALTH.includes(schedule.health)) return false;
  if (state.labelFilter && !labelPairs(schedule.labels).includes(state.labelFilter)) return false;
  const terms = state.textFilter.toLowerCase().split(/\s+/).filter(Boolean);
  if (!terms.length) return true;
  const hay = [
    schedule.name,
    schedule.description ?? '',
    schedule.humanSchedule,
    schedule.schedule,
    schedule.timezone,
    schedule.health,
  ]
    .concat(labelPairs(schedule.labels))
    .join(' ')
    .toLowerCase();
  return terms.every((term) => hay.includes(term));
}

function sparkline(name: string): Element {
  const runs = state.spark.get(name);
  if (!runs)
    return h('span', { class: 'spark-empty', text: state.sparkLoading.has(name) ? '…' : '' });
  if (!runs.length) return h('span', { class: 'spark-empty', text: 'no runs yet' });
  const slots = SPARK_RUNS;
  const width = slots * 4;
  const height = 26;
  const max = Math.max(...runs.map((run) => run.durationMs || 0), 1);
  const sorted = runs.map((run) => run.durationMs || 0).sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  const failures = runs.filter((run) => run.status !== 'succeeded').length;
  const label =
    'Durations of the last ' +
    runs.length +
    (runs.length === 1 ? ' run' : ' runs') +
    ': median ' +
    formatDuration(median) +
    ', longest ' +
    formatDuration(max) +
    (failures ? ', ' + failures + ' not succeeded' : '');
  const svg = svgEl('svg', {
    class: 'spark',
    width,
    height,
    viewBox: '0 0 ' + width + ' ' + height,
    role: 'img',
    'aria-label': label,
  });
  svg.append(svgEl('title', { text: label }));
  svg.append(
    svgEl('line', { class: 'base', x1: 0, x2: width, y1: height - 0.5, y2: height - 0.5 }),
  );
  runs.forEach((run, index) => {
    const barHeight = Math.max(2, Math.round(((run.durationMs || 0) / max) * (height - 2)));
    const x = (slots - runs.length + index) * 4;
    const rect = svgEl('rect', {
      class: 'st-' + run.status,
      x,
      y: height - barHeight,
      width: 3,
      height: barHeight,
      rx: 0.5,
    });
    rect.append(
      svgEl('title', {
        text:
          formatTime(run.startedAt || run.scheduledAt) +
          ' · ' +
          statusWord(run.status) +
          ' · ' +
          formatDuration(run.durationMs),
      }),
    );
    svg.append(rect);
  });
  return svg;
}

function buildNextCell(schedule: StatusSchedule): Child {
  if (schedule.suspended) return h('span', { class: 'muted', text: 'suspended' });
  if (schedule.window === 'ended' || schedule.window === 'not-started') {
    const at = schedule.window === 'ended' ? schedule.activeUntil : schedule.activeFrom;
    return h('span', {
      class: 'muted',
      title: titleOf(at),
      text: (schedule.window === 'ended' ? 'ended ' : 'starts ') + formatTime(at),
    });
  }
  const iso = upcomingFire(schedule);
  if (!iso) return h('span', { class: 'muted', text: '—' });
  return [
    h('span', { class: 'countdown', 'data-countdown': iso, text: countdownText(iso) }),
    h('span', { class: 'sub', title: titleOf(iso), text: formatTime(iso) }),
  ];
}

function buildLastCell(schedule: StatusSchedule): Child {
  const running = schedule.running[0];
  if (running) {
    return [
      h(
        'button',
        {
          class: 'link',
          type: 'button',
          'data-run': running.runId,
          'data-focus': 'run-' + running.runId,
          'aria-label': 'Open running run of ' + schedule.name,
        },
        badge('running'),
      ),
      h(
        'span',
        { class: 'sub' },
        'for ',
        h('span', {
          'data-elapsed': running.startedAt,
          text: formatSpan(now() - parseTime(running.startedAt)),
        }),
      ),
    ];
  }
  const last = schedule.lastRun;
  if (!last) return h('span', { class: 'muted', text: 'never' });
  return [
    h(
      'button',
      {
        class: 'link',
        type: 'button',
        'data-run': last.id,
        'data-focus': 'last-' + schedule.name,
        'aria-label': 'Open last run of ' + schedule.name + ': ' + statusWord(last.status),
      },
      badge(last.status),
    ),
    h(
      'span',
      { class: 'sub', title: titleOf(last.finishedAt) },
      formatDuration(last.durationMs),
      last.finishedAt ? ' · ' : '',
      last.finishedAt
        ? h('span', { 'data-ago': last.finishedAt, text: agoText(last.finishedAt) })
        : null,
    ),
  ];
}

function buildScheduleRow(schedule: StatusSchedule): HTMLTableRowElement {
  const chips = labelPairs(schedule.labels).map((pair) =>
    h('button', {
      class: 'chip',
      type: 'button',
      'data-label-chip': pair,
      'data-focus': 'chip-' + schedule.name + '-' + pair,
      'aria-pressed': String(state.labelFilter === pair),
      title: 'Show only schedules labelled ' + pair,
      text: pair,
    }),
  );
  return h(
    'tr',
    {
      role: 'row',
      class: schedule.running.length ? 'row-running' : null,
      'data-schedule': schedule.name,
    },
    h(
      'td',
      { role: 'cell', class: 'card-title', 'data-label': 'Schedule', title: schedule.file },
      h('div', { class: 'sched-name', text: schedule.name }),
      schedule.description ? h('span', { class: 'sub', text: schedule.description }) : null,
    ),
    h(
      'td',
      { role: 'cell', 'data-label': 'When' },
      h('span', { text: schedule.humanSchedule }),
      h('span', { class: 'sub expr', text: schedule.schedule }),
    ),
    h(
      'td',
      { role: 'cell', 'data-label': 'Time zone' },
      h('span', {}, breakAfterSlashes(schedule.timezone)),
    ),
    h('td', { role: 'cell', 'data-label': 'Next run' }, buildNextCell(schedule)),
    h('td', { role: 'cell', 'data-label': 'Last run' }, buildLastCell(schedule)),
    h('td', { role: 'cell', 'data-label': 'Durations' }, sparkline(schedule.name)),
    h(
      'td',
      { role: 'cell', 'data-label': 'Health' },
      h('span', { class: 'health h-' + schedule.health, text: schedule.health }),
    ),
    h(
      'td',
      { role: 'cell', 'data-label': 'Labels' },
      chips.length ? h('div', { class: 'chips' }, chips) : h('span', { class: 'faint', text: '—' }),
    ),
  );
}

function scheduleRowKey(schedule: StatusSchedule): string {
  const spark = state.spark.get(schedule.name);
  return JSON.stringify([
    schedule.name,
    schedule.description,
    schedule.humanSchedule,
    schedule.schedule,
    schedule.timezone,
    schedule.suspended,
    schedule.window,
    upcomingFire(schedule),
    schedule.running.map((run) => run.runId),
    schedule.lastRun,
    schedule.health,
    schedule.labels,
    spark ? spark.map((run) => run.id + run.status) : state.sparkLoading.has(schedule.name),
    state.labelFilter,
    state.problemsOnly,
    schedule.file,
  ]);
}

export function renderSchedules(): void {
  const status = state.status;
  if (!status) return;
  const container = $('schedules-table');
  const shown = status.schedules.filter(matchesScheduleFilters);
  $('schedules-count').textContent =
    shown.length === status.schedules.length
      ? String(status.schedules.length)
      : shown.length + ' of ' + status.schedules.length;
  let table = container.querySelector('table');
  if (!table) {
    table = h(
      'table',
      { class: 't-schedules cards', role: 'table' },
      h('caption', { class: 'visually-hidden', text: 'Schedules' }),
      h(
        'colgroup',
        {},
        ['18%', '17%', '11%', '11%', '11%', '136px', '8%', '13%'].map((width) =>
          h('col', { width }),
        ),
      ),
      h(
        'thead',
        { role: 'rowgroup' },
        h(
          'tr',
          { role: 'row' },
          [
            'Schedule',
            'When',
            'Time zone',
            'Next run',
            'Last run',
            'Durations',
            'Health',
            'Labels',
          ].map((name) => h('th', { scope: 'col', role: 'columnheader', text: name })),
        ),
      ),
      h('tbody', { role: 'rowgroup' }),
    );
    container.replaceChildren(table);
  }
  const tbody = table.tBodies[0];
  if (!tbody) return;
  if (!shown.length) {
    state.scheduleRows.clear();
    const message = status.schedules.length
      ? h(
          'td',
          { class: 'empty', colspan: 8 },
          'No schedule matches the filter. ',
          h('button', {
            class: 'link',
            type: 'button',
            'data-action': 'clear-schedule-filters',
            text: 'Clear filters',
          }),
        )
      : h('td', {
          class: 'empty',
          colspan: 8,
          text: 'No schedules are loaded. cronops reads manifests from ' + status.configDir + '.',
        });
    tbody.replaceChildren(h('tr', {}, message));
    return;
  }
  const focusKey = focusKeyWithin(tbody);
  const next = new Map<string, RowEntry>();
  const rows = shown.map((schedule) => {
    const key = scheduleRowKey(schedule);
    const old = state.scheduleRows.get(schedule.name);
    const row = old && old.key === key ? old.row : buildScheduleRow(schedule);
    next.set(schedule.name, { key, row });
    return row;
  });
  const current = [...tbody.rows];
  const sameOrder =
    current.length === rows.length &&
    current.every(
      (row, index) =>
        row.getAttribute('data-schedule') === rows[index]?.getAttribute('data-schedule'),
    );
  if (sameOrder) {
    current.forEach((row, index) => {
      const fresh = rows[index];
      if (fresh && row !== fresh) row.replaceWith(fresh);
    });
  } else {
    reconcileRows(tbody, rows);
  }
  state.scheduleRows = next;
  if (focusKey && !(document.activeElement && tbody.contains(document.activeElement)))
    restoreFocus(focusKey);
}

// ---- durations per schedule (sparklines) ------------------------------------------------------

function keepOutcomes(runs: ApiRun[]): ApiRun[] {
  return runs
    .filter((run) => OUTCOMES.includes(run.status) && Number.isFinite(run.durationMs ?? NaN))
    .sort((a, b) => -byIdDesc(a, b))
    .slice(-SPARK_RUNS);
}
let sparkQueue = Promise.resolve();
/** Load the recent durations of schedules not seen yet, one request at a time. */
export function loadMissingSparks(status: StatusSnapshot): void {
  for (const schedule of status.schedules) {
    const name = schedule.name;
    if (state.spark.has(name) || state.sparkLoading.has(name)) continue;
    state.sparkLoading.add(name);
    sparkQueue = sparkQueue.then(async () => {
      try {
        const body = await getJSON(
          API.scheduleRuns(name) + '?status=' + OUTCOMES.join(',') + '&limit=' + SPARK_RUNS,
        );
        state.spark.set(name, keepOutcomes(runsOf(body)));
      } catch {
        // Shown as empty; the next finished run fills it in.
      } finally {
        state.sparkLoading.delete(name);
        renderSchedules();
      }
    });
  }
}
/** Add a finished run to its schedule's durations. */
export function addToSpark(run: ApiRun): void {
  if (!OUTCOMES.includes(run.status) || !Number.isFinite(run.durationMs ?? NaN)) return;
  const runs = (state.spark.get(run.schedule) ?? []).filter((other) => other.id !== run.id);
  runs.push(run);
  state.spark.set(run.schedule, keepOutcomes(runs));
  renderSchedules();
}
