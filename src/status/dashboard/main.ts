// The dashboard's entry point: reads /status and /api/v1/*, follows /api/v1/events, wires the controls, ticks the clocks.
//
// Bundled into one inline script (scripts/build-dashboard.js): no framework, no requests beyond the
// daemon's own read-only endpoints. Every value from the daemon is written with textContent or
// setAttribute, never parsed as HTML.
import { getJSON, messageOf } from './api.js';
import { $, h, restoreFocus } from './dom.js';
import {
  agoText,
  countdownText,
  formatSpan,
  now,
  parseTime,
  setClockSkew,
  statusWord,
} from './format.js';
import {
  renderActivity,
  renderBanner,
  renderConfigErrors,
  renderFacts,
  renderSummary,
} from './header.js';
import { belongsToShownChain } from './run-chain.js';
import { renderReplicas } from './replicas.js';
import { closeRunView, openRun } from './run-view.js';
import {
  loadRuns,
  renderRunLabel,
  renderRuns,
  renderScheduleOptions,
  syncRuns,
  upsertLiveRun,
} from './runs.js';
import { addToSpark, loadMissingSparks, renderLabelOptions, renderSchedules } from './schedules.js';
import {
  API,
  RUN_STATUSES,
  state,
  STATUS_REFRESH_MS,
  type ApiRun,
  type Connection,
  type RunFilters,
  type StatusSnapshot,
} from './state.js';
import { loadTimeline, renderTimeline } from './timeline.js';

let statusInFlight: Promise<void> | null = null;
let statusAgain = false;
let statusSoon: ReturnType<typeof setTimeout> | null = null;
let timelineMinute = -1;
let timelineSchedules = '';

/** Read /status now (or once more after the request in flight). */
function refreshStatus(): Promise<void> {
  if (statusInFlight) {
    statusAgain = true;
    return statusInFlight;
  }
  statusInFlight = (async () => {
    try {
      const started = Date.now();
      const status = (await getJSON(API.status)) as StatusSnapshot;
      // The document was built about halfway through the request.
      setClockSkew(parseTime(status.generatedAt) - (started + Date.now()) / 2);
      state.statusError = '';
      applyStatus(status);
    } catch (error) {
      state.statusError = messageOf(error);
      renderFacts();
      renderActivity();
    } finally {
      statusInFlight = null;
      if (statusAgain) {
        statusAgain = false;
        requestStatus();
      }
    }
  })();
  return statusInFlight;
}
/** Coalesce bursts (many events in a second) into one /status request. */
function requestStatus(): void {
  if (statusSoon) return;
  statusSoon = setTimeout(() => {
    statusSoon = null;
    void refreshStatus();
  }, 200);
}

function applyStatus(status: StatusSnapshot): void {
  state.status = status;
  $('version').textContent = 'v' + status.version;
  renderFacts();
  renderSummary(status);
  renderActivity();
  renderBanner(status);
  renderConfigErrors(status);
  renderReplicas(status);
  renderLabelOptions(status);
  renderScheduleOptions(status);
  renderSchedules();
  refreshTimeline(status);
  loadMissingSparks(status);
}

/** The timeline's fires are fetched again each minute and when the schedules change. */
function refreshTimeline(status: StatusSnapshot): void {
  const minute = Math.floor(now() / 60000);
  const schedules = JSON.stringify(
    status.schedules.map((s) => [s.name, s.schedule, s.timezone, s.suspended, s.window]),
  );
  if (minute !== timelineMinute || schedules !== timelineSchedules) {
    timelineMinute = minute;
    timelineSchedules = schedules;
    void loadTimeline();
  } else {
    renderTimeline();
  }
}

function setLabelFilter(pair: string): void {
  state.labelFilter = pair;
  $<HTMLSelectElement>('label-filter').value = pair;
  if (state.status) renderLabelOptions(state.status);
  renderSchedules();
  renderTimeline();
  renderRunLabel();
  void loadRuns(true);
}

let events: EventSource | null = null;
let reconnectDelay = 1000;
let everConnected = false;
function setConnection(value: Connection): void {
  if (state.connection === value) return;
  state.connection = value;
  renderFacts();
}
function connectEvents(): void {
  if (!('EventSource' in window)) {
    setConnection('polling');
    return;
  }
  const source = new EventSource(API.events);
  events = source;
  events.onopen = () => {
    reconnectDelay = 1000;
    setConnection('live');
    if (everConnected) {
      requestStatus();
      void syncRuns();
    }
    everConnected = true;
  };
  events.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      setConnection('reconnecting');
      setTimeout(connectEvents, reconnectDelay);
      reconnectDelay = Math.min(30000, reconnectDelay * 2);
    } else {
      setConnection('reconnecting');
    }
  };
  for (const type of ['run.started', 'run.finished'])
    source.addEventListener(type, (event) =>
      handleRunEvent(type, (event as MessageEvent<string>).data),
    );
  for (const type of ['config.reloaded', 'config.error'])
    source.addEventListener(type, () => requestStatus());
  source.onmessage = (event: MessageEvent<string>) => {
    const data = parseEventData(event.data) as { type?: unknown } | null;
    if (data && typeof data.type === 'string') {
      const type = data.type.replace(':', '.');
      if (type.startsWith('run.')) handleRunEvent(type, event.data);
      else requestStatus();
    }
  };
}
function parseEventData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
function handleRunEvent(type: string, text: string): void {
  const data = parseEventData(text) as { run?: ApiRun } | ApiRun | null;
  const run = (data && 'run' in data ? data.run : data) as ApiRun | null | undefined;
  if (run && typeof run.id === 'string' && typeof run.schedule === 'string') {
    upsertLiveRun(run);
    if (type === 'run.finished') addToSpark(run);
    if (state.openRunId !== null && (state.openRunId === run.id || belongsToShownChain(run)))
      openRun(state.openRunId, { refresh: true });
  }
  requestStatus();
}

// ---- clock, wiring ------------------------------------------------------------------------------------

let lastMinute = 0;
function tick(): void {
  renderActivity();
  for (const el of document.querySelectorAll('[data-countdown]'))
    el.textContent = countdownText(el.getAttribute('data-countdown'));
  for (const el of document.querySelectorAll('[data-elapsed]'))
    el.textContent = formatSpan(now() - parseTime(el.getAttribute('data-elapsed')));
  for (const el of document.querySelectorAll('[data-ago]'))
    el.textContent = agoText(el.getAttribute('data-ago'));
  if (state.status) {
    // A fire that has passed: the daemon has news (a run, the following fires).
    const overdue = state.status.schedules.some(
      (s) => !s.suspended && parseTime(s.nextFires[0]) < now() - 1500,
    );
    if (overdue && state.connection !== 'live') requestStatus();
    const minute = Math.floor(now() / 60000);
    if (minute !== lastMinute) {
      lastMinute = minute;
      refreshTimeline(state.status);
    }
  }
}
function startTicking(): void {
  setTimeout(
    () => {
      tick();
      setInterval(tick, 1000);
    },
    1000 - (Date.now() % 1000) + 20,
  );
}

function wire(): void {
  $('schedule-filter').addEventListener('input', (event) => {
    state.textFilter = (event.target as HTMLInputElement).value;
    renderSchedules();
    renderTimeline();
  });
  $('problems-only').addEventListener('change', (event) => {
    state.problemsOnly = (event.target as HTMLInputElement).checked;
    renderSchedules();
    renderTimeline();
  });
  $('label-filter').addEventListener('change', (event) =>
    setLabelFilter((event.target as HTMLSelectElement).value),
  );
  const runFilter = (id: string, key: keyof RunFilters): void =>
    $(id).addEventListener('change', (event) => {
      state.runFilters[key] = (event.target as HTMLInputElement).value;
      void loadRuns(true);
    });
  runFilter('run-status', 'status');
  runFilter('run-schedule', 'schedule');
  runFilter('run-since', 'since');
  runFilter('run-until', 'until');
  $('run-status').replaceChildren(
    h('option', { value: '', text: 'All statuses' }),
    ...RUN_STATUSES.map((status) => h('option', { value: status, text: statusWord(status) })),
  );
  $('runs-more').addEventListener('click', () => void loadRuns(false));
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const chip = target.closest('[data-label-chip]');
    if (chip) {
      const pair = chip.getAttribute('data-label-chip') ?? '';
      setLabelFilter(state.labelFilter === pair ? '' : pair);
      return;
    }
    const runButton = target.closest('[data-run]');
    if (runButton) {
      openRun(runButton.getAttribute('data-run') ?? '');
      return;
    }
    const action = target.closest('[data-action]');
    const name = action && action.getAttribute('data-action');
    if (name === 'close-run') closeRunView();
    else if (name === 'clear-label') setLabelFilter('');
    else if (name === 'clear-runs') {
      state.runFilters = { status: '', schedule: '', since: '', until: '' };
      for (const id of ['run-status', 'run-schedule', 'run-since', 'run-until'])
        $<HTMLInputElement>(id).value = '';
      void loadRuns(true);
    } else if (name === 'clear-schedule-filters') {
      state.textFilter = '';
      $<HTMLInputElement>('schedule-filter').value = '';
      state.problemsOnly = false;
      $<HTMLInputElement>('problems-only').checked = false;
      setLabelFilter('');
    } else if (!action) {
      // A click anywhere on a history row opens it, like its button.
      const runRow = target.closest('[data-run-row]');
      if (runRow && !target.closest('button, a, input, select'))
        openRun(runRow.getAttribute('data-run-row') ?? '');
    }
  });
  const dialog = $<HTMLDialogElement>('run-view');
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) closeRunView();
  });
  dialog.addEventListener('close', () => {
    state.openRunId = null;
    if (location.hash.startsWith('#run='))
      history.replaceState(null, '', location.pathname + location.search);
    restoreFocus(state.opener);
  });
  window.addEventListener('hashchange', openFromHash);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') requestStatus();
  });
  if ('ResizeObserver' in window) {
    let lastWidth = 0;
    new ResizeObserver((entries) => {
      const width = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (width !== lastWidth) {
        lastWidth = width;
        renderTimeline();
      }
    }).observe($('timeline-chart'));
  }
}

function openFromHash(): void {
  const match = /^#run=(.+)$/.exec(location.hash);
  const id = match?.[1] === undefined ? null : decodeURIComponent(match[1]);
  if (id !== null && state.openRunId !== id) openRun(id);
}

wire();
renderFacts();
renderRuns();
void refreshStatus();
void loadRuns(true);
connectEvents();
openFromHash();
startTicking();
setInterval(() => {
  void refreshStatus();
  if (state.connection !== 'live') void syncRuns();
}, STATUS_REFRESH_MS);
