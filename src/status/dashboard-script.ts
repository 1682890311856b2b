// The dashboard's browser script (inlined into the page): reads /status and /api/v1/*, follows /api/v1/events, renders with the DOM only.
//
// Plain browser JavaScript kept as a string: no framework, no build step, no requests beyond the
// daemon's own read-only endpoints. Every value from the daemon is written with textContent or
// setAttribute, never parsed as HTML. (No backticks or dollar-brace in here: this is a template literal.)

/** The client script of the dashboard page. */
export const DASHBOARD_SCRIPT = String.raw`
(() => {
  'use strict';

  const API = {
    status: '/status',
    runs: '/api/v1/runs',
    run: (id) => '/api/v1/runs/' + encodeURIComponent(id),
    scheduleRuns: (name) => '/api/v1/schedules/' + encodeURIComponent(name) + '/runs',
    events: '/api/v1/events',
  };
  const STATUS_REFRESH_MS = 10000;
  const REQUEST_TIMEOUT_MS = 10000;
  const PAGE_SIZE = 50;
  const SPARK_RUNS = 30;
  const DAY_MS = 86400000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'timedOut', 'skipped', 'missed', 'interrupted', 'cancelled'];
  const OUTCOMES = ['succeeded', 'failed', 'timedOut', 'interrupted', 'cancelled'];
  const STATUS_WORDS = { timedOut: 'timed out' };
  const HEALTH_WORDS = ['ok', 'failing', 'stale', 'suspended', 'degraded', 'clock-anomaly'];
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

  const state = {
    status: null,
    statusError: '',
    connection: 'connecting',
    textFilter: '',
    labelFilter: '',
    runFilters: { status: '', schedule: '', since: '', until: '' },
    runs: [],
    /** How many runs the history shows: a page, plus a page per "Load more". */
    runsLimit: PAGE_SIZE,
    nextCursor: null,
    runsLoading: false,
    runsError: '',
    runsToken: 0,
    spark: new Map(),
    sparkLoading: new Set(),
    openRunId: null,
    opener: null,
    scheduleRows: new Map(),
    runRows: new Map(),
    timelineKey: '',
    labelOptionsKey: '',
    scheduleOptionsKey: '',
  };

  // ---- small helpers -------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);
  let skewMs = 0;
  /** The daemon's clock, as far as the last /status told us. */
  const now = () => Date.now() + skewMs;

  function h(tag, props, ...children) {
    const svg = tag.startsWith('svg:');
    const el = svg ? document.createElementNS(SVG_NS, tag.slice(4)) : document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') el.textContent = String(value);
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    appendAll(el, children);
    return el;
  }
  function appendAll(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  const pad = (n) => String(n).padStart(2, '0');
  const parseTime = (iso) => (iso ? Date.parse(iso) : NaN);
  const byIdDesc = (a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  const statusWord = (status) => STATUS_WORDS[status] || status;

  function formatTime(iso) {
    const t = parseTime(iso);
    if (!Number.isFinite(t)) return '—';
    const d = new Date(t);
    return pad(d.getDate()) + ' ' + MONTHS[d.getMonth()] + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function formatClock(ms) {
    const d = new Date(ms);
    return WEEKDAYS[d.getDay()] + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes());
  }
  /** Two units at most: 45s, 2m 10s, 2h 15m, 3d 4h. */
  function formatSpan(ms, round) {
    const s = Math.max(0, (round || Math.floor)(ms / 1000));
    if (s < 60) return s + 's';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + pad(s % 60) + 's';
    const hours = Math.floor(m / 60);
    if (hours < 24) return hours + 'h ' + pad(m % 60) + 'm';
    return Math.floor(hours / 24) + 'd ' + (hours % 24) + 'h';
  }
  function formatDuration(ms) {
    if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 10000) return (ms / 1000).toFixed(1) + ' s';
    if (ms < 60000) return Math.round(ms / 1000) + ' s';
    return formatSpan(ms);
  }
  function countdownText(iso) {
    const left = parseTime(iso) - now();
    return left <= 0 ? 'due now' : 'in ' + formatSpan(left, Math.ceil);
  }
  function agoText(iso) {
    const age = now() - parseTime(iso);
    if (!Number.isFinite(age)) return '—';
    if (age < 5000) return 'just now';
    return formatSpan(age).split(' ')[0] + ' ago';
  }
  function titleOf(iso) {
    return iso ? iso + ' (UTC)' : null;
  }
  function badge(status) {
    return h('span', { class: 'badge st-' + status, text: statusWord(status) });
  }
  function lastAttempt(run) {
    return Array.isArray(run.attempts) && run.attempts.length ? run.attempts[run.attempts.length - 1] : null;
  }
  function exitText(attempt) {
    if (!attempt) return '—';
    if (attempt.signal) return attempt.signal;
    if (attempt.exitCode !== null && attempt.exitCode !== undefined) return String(attempt.exitCode);
    return '—';
  }
  /** Europe/<wbr>Amsterdam: long zone names wrap at their slashes, not mid-word. */
  function breakAfterSlashes(text) {
    return text.split('/').flatMap((part, index, parts) => (index < parts.length - 1 ? [part + '/', h('wbr', {})] : [part]));
  }
  function labelPairs(labels) {
    return Object.entries(labels || {}).map(([k, v]) => k + '=' + v);
  }

  async function getJSON(url) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store', signal: controller.signal });
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      if (!response.ok) {
        const detail = body && body.error ? body.error : response.statusText;
        throw new Error(url.split('?')[0] + ': ' + response.status + ' ' + detail);
      }
      return body;
    } catch (error) {
      if (error && error.name === 'AbortError') throw new Error(url.split('?')[0] + ': no answer within ' + REQUEST_TIMEOUT_MS / 1000 + ' s');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
  const runsOf = (body) => (Array.isArray(body) ? body : body && Array.isArray(body.runs) ? body.runs : []);

  // ---- status: header, facts, banners, config errors -------------------------------------------

  let statusInFlight = null;
  let statusAgain = false;
  let statusSoon = null;
  function refreshStatus() {
    if (statusInFlight) {
      statusAgain = true;
      return statusInFlight;
    }
    statusInFlight = (async () => {
      try {
        const started = Date.now();
        const status = await getJSON(API.status);
        // The document was built about halfway through the request.
        skewMs = parseTime(status.generatedAt) - (started + Date.now()) / 2;
        if (Math.abs(skewMs) < 1500) skewMs = 0;
        state.statusError = '';
        applyStatus(status);
      } catch (error) {
        state.statusError = error.message;
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
  function requestStatus() {
    if (statusSoon) return;
    statusSoon = setTimeout(() => {
      statusSoon = null;
      refreshStatus();
    }, 200);
  }

  function applyStatus(status) {
    state.status = status;
    $('version').textContent = 'v' + status.version;
    renderFacts();
    renderSummary();
    renderActivity();
    renderBanner();
    renderConfigErrors();
    renderLabelOptions();
    renderScheduleOptions();
    renderSchedules();
    renderTimeline();
    loadMissingSparks();
  }

  function runningNow() {
    const list = [];
    for (const schedule of state.status ? state.status.schedules : []) {
      for (const run of schedule.running || []) list.push({ name: schedule.name, startedAt: run.startedAt });
    }
    return list.sort((a, b) => parseTime(a.startedAt) - parseTime(b.startedAt));
  }
  function upcomingFire(schedule) {
    if (schedule.suspended) return null;
    const t = now();
    for (const iso of schedule.nextFires || []) if (parseTime(iso) > t - 1000) return iso;
    return null;
  }
  function nextAcrossSchedules() {
    let best = null;
    for (const schedule of state.status ? state.status.schedules : []) {
      const iso = upcomingFire(schedule);
      if (iso && (!best || parseTime(iso) < parseTime(best.at))) best = { name: schedule.name, at: iso };
    }
    return best;
  }

  let lastActivity = '';
  function renderActivity() {
    const text = $('activity');
    const clock = $('activity-clock');
    const next = $('activity-next');
    const pulse = $('pulse');
    let words;
    if (!state.status) {
      words = state.statusError ? 'Cannot reach the daemon' : 'Loading…';
      clock.textContent = '';
      pulse.setAttribute('class', 'pulse');
      next.textContent = state.statusError;
    } else {
      const running = runningNow();
      if (running.length) {
        const first = running[0];
        words = 'Running: ' + first.name + (running.length > 1 ? ' +' + (running.length - 1) + ' more' : '');
        clock.textContent = '(' + formatSpan(now() - parseTime(first.startedAt)) + ')';
        pulse.setAttribute('class', 'pulse running');
      } else {
        words = state.status.shuttingDown ? 'Shutting down' : 'Idle';
        clock.textContent = '';
        pulse.setAttribute('class', 'pulse idle');
      }
      const upcoming = nextAcrossSchedules();
      next.replaceChildren();
      if (upcoming) appendAll(next, ['Next: ', h('strong', { text: upcoming.name }), ' ' + countdownText(upcoming.at)]);
      else if (!state.status.schedules.length) next.textContent = 'No schedules loaded';
      const anomaly = state.status.clock && state.status.clock.lastAnomaly;
      if (anomaly) {
        next.append(h('span', { class: 'clock-anomaly', title: titleOf(anomaly.at) + ': ' + anomaly.schedules.join(', '), text: ' · Clock anomaly ' + agoText(anomaly.at) + ': the clock went back ' + formatSpan(anomaly.stepMs) + ' (' + anomaly.schedules.length + ' schedule(s) affected)' }));
      }
    }
    // Only a change of state is announced; the ticking clock sits outside the live region.
    if (words !== lastActivity) {
      text.textContent = words;
      lastActivity = words;
    }
  }

  function fact(kind, children, title) {
    return h('li', { class: 'fact' + (kind === 'bad' ? ' bad' : ''), title: title || null }, h('span', { class: 'dot ' + kind }), children);
  }
  function renderFacts() {
    const list = $('facts');
    const items = [];
    const status = state.status;
    if (status) {
      const errors = status.files.reduce((sum, file) => sum + file.errors.length, 0);
      items.push(
        errors
          ? fact('bad', h('a', { href: '#config-errors' }, 'Config: ', h('b', { text: errors + (errors === 1 ? ' error' : ' errors') })))
          : fact('ok', ['Config ', h('b', { text: 'ok' })]),
      );
      items.push(
        status.history.writable
          ? fact('ok', ['History ', h('b', { text: 'writable' })])
          : fact('bad', ['History ', h('b', { text: 'not writable' })], status.history.lastError || ''),
      );
      const reconcile = status.lastReconcile;
      items.push(
        reconcile
          ? fact(reconcile.ok ? 'ok' : 'warn', ['Reconciled ', h('b', { 'data-ago': reconcile.at, text: agoText(reconcile.at) })], 'Last reconcile ' + reconcile.at + ' (' + reconcile.trigger + ')')
          : fact('warn', 'Not reconciled yet'),
      );
      const anomaly = status.clock && status.clock.lastAnomaly;
      if (anomaly) {
        items.push(fact('warn', ['Clock anomaly ', h('b', { 'data-ago': anomaly.at, text: agoText(anomaly.at) })], 'The clock went back ' + formatSpan(anomaly.stepMs) + ' (' + anomaly.cause + '); affected: ' + anomaly.schedules.join(', ')));
      }
    }
    const connection = {
      connecting: ['warn', 'Connecting…', 'Opening the live event stream'],
      live: ['ok', 'Live', 'Updates arrive as they happen'],
      reconnecting: ['warn', 'Reconnecting…', 'The event stream dropped; refreshing every ' + STATUS_REFRESH_MS / 1000 + ' s meanwhile'],
      polling: ['warn', 'Polling', 'No event stream; refreshing every ' + STATUS_REFRESH_MS / 1000 + ' s'],
    }[state.connection];
    if (state.statusError) items.push(fact('bad', h('b', { text: 'Offline' }), state.statusError));
    else items.push(fact(connection[0], h('span', { id: 'connection', text: connection[1] }), connection[2]));
    list.replaceChildren(...items);
  }

  function renderSummary() {
    const status = state.status;
    const s = status.summary;
    const items = [h('li', {}, h('b', { text: String(s.schedules) }), s.schedules === 1 ? ' schedule' : ' schedules')];
    for (const word of HEALTH_WORDS) {
      const count = s.byHealth[word] || 0;
      items.push(h('li', { class: count ? '' : 'faint' }, h('span', { class: 'health h-' + word, 'aria-hidden': 'true' }), h('b', { text: String(count) }), ' ' + word));
    }
    items.push(h('li', {}, h('b', { text: String(s.running) }), ' running'));
    if (s.queued) items.push(h('li', {}, h('b', { text: String(s.queued) }), ' queued'));
    items.push(h('li', {}, h('b', { text: String(s.files) }), s.files === 1 ? ' file' : ' files', s.invalidFiles ? ' (' + s.invalidFiles + ' invalid)' : ''));
    $('summary').replaceChildren(...items);
  }

  function renderBanner() {
    const status = state.status;
    const lines = [];
    if (!status.ready) lines.push('Not ready: ' + status.notReadyReasons.join('; ') + '.');
    if (!status.history.writable) lines.push('History cannot be written' + (status.history.lastError ? ' (' + status.history.lastError + ')' : '') + '; runs go on and are kept in memory.');
    for (const item of status.history.corrupt) lines.push('History file ' + item.file + ' was corrupt (' + item.error + ') and was moved to ' + item.movedTo + '.');
    const banner = $('banner');
    banner.hidden = lines.length === 0;
    banner.replaceChildren(...lines.map((line) => h('div', { text: line })));
  }

  function renderConfigErrors() {
    const bad = state.status.files.filter((file) => !file.ok || file.errors.length);
    const section = $('config-errors');
    section.hidden = bad.length === 0;
    if (!bad.length) return;
    const count = bad.reduce((sum, file) => sum + file.errors.length, 0);
    $('config-errors-count').textContent = count + (count === 1 ? ' error' : ' errors') + ' in ' + bad.length + (bad.length === 1 ? ' file' : ' files');
    const items = [];
    for (const file of bad) {
      for (const error of file.errors) {
        const where = file.file + (error.line > 0 ? ':' + error.line + ':' + error.col : '');
        items.push(
          h('li', {},
            h('span', { class: 'where', text: where }),
            error.path ? h('span', { class: 'path', text: error.path }) : null,
            h('span', { class: 'message', text: error.message })),
        );
      }
      if (file.schedules.length) {
        items.push(h('li', { class: 'muted' }, 'Still running from the last valid version of this file: ', h('b', { text: file.schedules.join(', ') })));
      }
    }
    $('config-errors-list').replaceChildren(...items);
  }

  // ---- schedules table --------------------------------------------------------------------------

  function renderLabelOptions() {
    const pairs = new Set();
    for (const schedule of state.status.schedules) for (const pair of labelPairs(schedule.labels)) pairs.add(pair);
    if (state.labelFilter) pairs.add(state.labelFilter);
    const sorted = [...pairs].sort();
    const key = sorted.join('\n');
    if (key === state.labelOptionsKey) return;
    state.labelOptionsKey = key;
    const select = $('label-filter');
    select.replaceChildren(h('option', { value: '', text: 'All labels' }), ...sorted.map((pair) => h('option', { value: pair, text: pair })));
    select.value = state.labelFilter;
    select.disabled = sorted.length === 0;
  }

  function setLabelFilter(pair) {
    state.labelFilter = pair;
    $('label-filter').value = pair;
    renderLabelOptions();
    renderSchedules();
    renderTimeline();
    renderRunLabel();
    loadRuns(true);
  }

  function matchesScheduleFilters(schedule) {
    if (state.labelFilter && !labelPairs(schedule.labels).includes(state.labelFilter)) return false;
    const terms = state.textFilter.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) return true;
    const hay = [schedule.name, schedule.description || '', schedule.humanSchedule, schedule.schedule, schedule.timezone, schedule.health]
      .concat(labelPairs(schedule.labels))
      .join(' ')
      .toLowerCase();
    return terms.every((term) => hay.includes(term));
  }

  function sparkline(name) {
    const runs = state.spark.get(name);
    if (!runs) return h('span', { class: 'spark-empty', text: state.sparkLoading.has(name) ? '…' : '' });
    if (!runs.length) return h('span', { class: 'spark-empty', text: 'no runs yet' });
    const slots = SPARK_RUNS;
    const width = slots * 4;
    const height = 26;
    const max = Math.max(...runs.map((run) => run.durationMs || 0), 1);
    const sorted = runs.map((run) => run.durationMs || 0).sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    const failures = runs.filter((run) => run.status !== 'succeeded').length;
    const label = 'Durations of the last ' + runs.length + (runs.length === 1 ? ' run' : ' runs') + ': median ' + formatDuration(median) + ', longest ' + formatDuration(max) + (failures ? ', ' + failures + ' not succeeded' : '');
    const svg = h('svg:svg', { class: 'spark', width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': label });
    svg.append(h('svg:title', { text: label }));
    svg.append(h('svg:line', { class: 'base', x1: 0, x2: width, y1: height - 0.5, y2: height - 0.5 }));
    runs.forEach((run, index) => {
      const barHeight = Math.max(2, Math.round(((run.durationMs || 0) / max) * (height - 2)));
      const x = (slots - runs.length + index) * 4;
      const rect = h('svg:rect', { class: 'st-' + run.status, x, y: height - barHeight, width: 3, height: barHeight, rx: 0.5 });
      rect.append(h('svg:title', { text: formatTime(run.startedAt || run.scheduledAt) + ' · ' + statusWord(run.status) + ' · ' + formatDuration(run.durationMs) }));
      svg.append(rect);
    });
    return svg;
  }

  function buildNextCell(schedule) {
    if (schedule.suspended) return h('span', { class: 'muted', text: 'suspended' });
    const iso = upcomingFire(schedule);
    if (!iso) return h('span', { class: 'muted', text: '—' });
    return [
      h('span', { class: 'countdown', 'data-countdown': iso, text: countdownText(iso) }),
      h('span', { class: 'sub', title: titleOf(iso), text: formatTime(iso) }),
    ];
  }

  function buildLastCell(schedule) {
    const running = schedule.running && schedule.running[0];
    if (running) {
      return [
        h('button', { class: 'link', type: 'button', 'data-run': running.runId, 'data-focus': 'run-' + running.runId, 'aria-label': 'Open running run of ' + schedule.name }, badge('running')),
        h('span', { class: 'sub' }, 'for ', h('span', { 'data-elapsed': running.startedAt, text: formatSpan(now() - parseTime(running.startedAt)) })),
      ];
    }
    const last = schedule.lastRun;
    if (!last) return h('span', { class: 'muted', text: 'never' });
    return [
      h('button', { class: 'link', type: 'button', 'data-run': last.id, 'data-focus': 'last-' + schedule.name, 'aria-label': 'Open last run of ' + schedule.name + ': ' + statusWord(last.status) }, badge(last.status)),
      h('span', { class: 'sub', title: titleOf(last.finishedAt) }, formatDuration(last.durationMs), last.finishedAt ? ' · ' : '', last.finishedAt ? h('span', { 'data-ago': last.finishedAt, text: agoText(last.finishedAt) }) : null),
    ];
  }

  function buildScheduleRow(schedule) {
    const chips = labelPairs(schedule.labels).map((pair) =>
      h('button', { class: 'chip', type: 'button', 'data-label-chip': pair, 'data-focus': 'chip-' + schedule.name + '-' + pair, 'aria-pressed': String(state.labelFilter === pair), title: 'Show only schedules labelled ' + pair, text: pair }),
    );
    return h('tr', { role: 'row', class: schedule.running && schedule.running.length ? 'row-running' : null, 'data-schedule': schedule.name },
      h('td', { role: 'cell', class: 'card-title', 'data-label': 'Schedule', title: schedule.file },
        h('div', { class: 'sched-name', text: schedule.name }),
        schedule.description ? h('span', { class: 'sub', text: schedule.description }) : null),
      h('td', { role: 'cell', 'data-label': 'When' }, h('span', { text: schedule.humanSchedule }), h('span', { class: 'sub expr', text: schedule.schedule })),
      h('td', { role: 'cell', 'data-label': 'Time zone' }, h('span', {}, breakAfterSlashes(schedule.timezone))),
      h('td', { role: 'cell', 'data-label': 'Next run' }, buildNextCell(schedule)),
      h('td', { role: 'cell', 'data-label': 'Last run' }, buildLastCell(schedule)),
      h('td', { role: 'cell', 'data-label': 'Durations' }, sparkline(schedule.name)),
      h('td', { role: 'cell', 'data-label': 'Health' }, h('span', { class: 'health h-' + schedule.health, text: schedule.health })),
      h('td', { role: 'cell', 'data-label': 'Labels' }, chips.length ? h('div', { class: 'chips' }, chips) : h('span', { class: 'faint', text: '—' })),
    );
  }

  function scheduleRowKey(schedule) {
    const spark = state.spark.get(schedule.name);
    return JSON.stringify([
      schedule.name, schedule.description, schedule.humanSchedule, schedule.schedule, schedule.timezone, schedule.suspended,
      upcomingFire(schedule), (schedule.running || []).map((run) => run.runId), schedule.lastRun, schedule.health, schedule.labels,
      spark ? spark.map((run) => run.id + run.status) : state.sparkLoading.has(schedule.name), state.labelFilter, schedule.file,
    ]);
  }

  /** Put the rows into the table body in order, touching only rows that changed (focus and selection survive). */
  function reconcileRows(tbody, rows) {
    rows.forEach((row, index) => {
      const current = tbody.rows[index];
      if (current !== row) tbody.insertBefore(row, current || null);
    });
    while (tbody.rows.length > rows.length) tbody.rows[rows.length].remove();
  }

  function restoreFocus(key) {
    if (!key) return;
    const target = document.querySelector('[data-focus="' + CSS.escape(key) + '"]');
    if (target) target.focus();
  }

  function renderSchedules() {
    const status = state.status;
    if (!status) return;
    const container = $('schedules-table');
    const shown = status.schedules.filter(matchesScheduleFilters);
    $('schedules-count').textContent = shown.length === status.schedules.length ? String(status.schedules.length) : shown.length + ' of ' + status.schedules.length;
    let table = container.querySelector('table');
    if (!table) {
      table = h('table', { class: 't-schedules cards', role: 'table' },
        h('caption', { class: 'visually-hidden', text: 'Schedules' }),
        h('colgroup', {}, ['18%', '17%', '11%', '11%', '11%', '136px', '8%', '13%'].map((width) => h('col', { width }))),
        h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, ['Schedule', 'When', 'Time zone', 'Next run', 'Last run', 'Durations', 'Health', 'Labels'].map((name) => h('th', { scope: 'col', role: 'columnheader', text: name })))),
        h('tbody', { role: 'rowgroup' }));
      container.replaceChildren(table);
    }
    const tbody = table.tBodies[0];
    if (!shown.length) {
      state.scheduleRows.clear();
      const message = status.schedules.length
        ? h('td', { class: 'empty', colspan: 8 }, 'No schedule matches the filter. ', h('button', { class: 'link', type: 'button', 'data-action': 'clear-schedule-filters', text: 'Clear filters' }))
        : h('td', { class: 'empty', colspan: 8, text: 'No schedules are loaded. cronops reads manifests from ' + status.configDir + '.' });
      tbody.replaceChildren(h('tr', {}, message));
      return;
    }
    const focusKey = document.activeElement && tbody.contains(document.activeElement) ? document.activeElement.getAttribute('data-focus') : null;
    const next = new Map();
    const rows = shown.map((schedule) => {
      const key = scheduleRowKey(schedule);
      const old = state.scheduleRows.get(schedule.name);
      const row = old && old.key === key ? old.row : buildScheduleRow(schedule);
      next.set(schedule.name, { key, row });
      return row;
    });
    const current = [...tbody.rows];
    const sameOrder = current.length === rows.length && current.every((row, index) => row.getAttribute('data-schedule') === rows[index].getAttribute('data-schedule'));
    if (sameOrder) {
      current.forEach((row, index) => {
        if (row !== rows[index]) row.replaceWith(rows[index]);
      });
    } else {
      reconcileRows(tbody, rows);
    }
    state.scheduleRows = next;
    if (focusKey && !(document.activeElement && tbody.contains(document.activeElement))) restoreFocus(focusKey);
  }

  // ---- durations per schedule (sparklines) ------------------------------------------------------

  function keepOutcomes(runs) {
    return runs
      .filter((run) => OUTCOMES.includes(run.status) && Number.isFinite(run.durationMs))
      .sort((a, b) => -byIdDesc(a, b))
      .slice(-SPARK_RUNS);
  }
  let sparkQueue = Promise.resolve();
  function loadMissingSparks() {
    for (const schedule of state.status.schedules) {
      const name = schedule.name;
      if (state.spark.has(name) || state.sparkLoading.has(name)) continue;
      state.sparkLoading.add(name);
      sparkQueue = sparkQueue.then(async () => {
        try {
          const body = await getJSON(API.scheduleRuns(name) + '?status=' + OUTCOMES.join(',') + '&limit=' + SPARK_RUNS);
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
  function addToSpark(run) {
    if (!OUTCOMES.includes(run.status) || !Number.isFinite(run.durationMs)) return;
    const runs = (state.spark.get(run.schedule) || []).filter((other) => other.id !== run.id);
    runs.push(run);
    state.spark.set(run.schedule, keepOutcomes(runs));
    renderSchedules();
  }

  // ---- 24-hour timeline of upcoming fires -------------------------------------------------------

  /* fires:begin (self-contained; tests/status/dashboard-page.test.ts checks it against src/cron/fires.ts) */
  const MACROS = { '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0', '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *' };
  const MONTH_NAMES = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
  const DAY_NAMES = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
  const UNIT_MS = { d: 86400000, h: 3600000, m: 60000, s: 1000, ms: 1 };

  /** One cron field as a set of values, or null for syntax this page does not evaluate (L, W, #). */
  function parseCronField(text, min, max, names) {
    const values = new Set();
    const valueOf = (word) => {
      if (/^\d+$/.test(word)) return Number(word);
      const named = names && names[word.toLowerCase()];
      return named === undefined ? NaN : named;
    };
    for (const part of text.split(',')) {
      const [range, stepText] = part.split('/');
      const step = stepText === undefined ? 1 : Number(stepText);
      if (!Number.isInteger(step) || step < 1) return null;
      let lo = min;
      let hi = max;
      if (range !== '*' && range !== '?') {
        const [a, b] = range.split('-');
        lo = valueOf(a);
        hi = b === undefined ? (stepText === undefined ? lo : max) : valueOf(b);
      }
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < min || hi > max || lo > hi) return null;
      for (let v = lo; v <= hi; v += step) values.add(v);
    }
    return values;
  }

  function compileExpression(expression) {
    const source = expression.trim();
    const [word, ...rest] = source.split(/\s+/);
    if (word.toLowerCase() === '@every') {
      const text = rest[0] || '';
      let everyMs = 0;
      if (/^\d+$/.test(text)) everyMs = Number(text) * 1000;
      else {
        const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
        if (!match) return null;
        ['d', 'h', 'm', 's', 'ms'].forEach((unit, index) => {
          if (match[index + 1]) everyMs += Number(match[index + 1]) * UNIT_MS[unit];
        });
      }
      return everyMs >= 1000 ? { kind: 'every', everyMs } : null;
    }
    const text = MACROS[word.toLowerCase()] || source;
    const raw = text.split(/\s+/);
    if (raw.length !== 5 && raw.length !== 6) return null;
    const fields = raw.length === 6 ? raw : ['0'].concat(raw);
    const second = parseCronField(fields[0], 0, 59);
    const minute = parseCronField(fields[1], 0, 59);
    const hour = parseCronField(fields[2], 0, 23);
    const dom = parseCronField(fields[3], 1, 31);
    const month = parseCronField(fields[4], 1, 12, MONTH_NAMES);
    const dow = parseCronField(fields[5], 0, 7, DAY_NAMES);
    if (!second || !minute || !hour || !dom || !month || !dow) return null;
    if (dow.has(7)) dow.add(0);
    const wild = (field) => /^[*?]/.test(field);
    return {
      kind: 'cron',
      seconds: [...second].sort((a, b) => a - b),
      minute, hour, dom, month, dow,
      dayOr: !wild(fields[3]) && !wild(fields[5]),
      fixedTime: !fields[1].startsWith('*') && !fields[2].startsWith('*'),
    };
  }

  const zoneFormats = new Map();
  function wallTimeOf(zone, ms) {
    let format = zoneFormats.get(zone);
    if (!format) {
      format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' });
      zoneFormats.set(zone, format);
    }
    const parts = {};
    for (const part of format.formatToParts(ms)) parts[part.type] = part.value;
    const wall = { year: +parts.year, month: +parts.month, day: +parts.day, hour: +parts.hour % 24, minute: +parts.minute, dow: DAY_NAMES[parts.weekday.toLowerCase()] };
    wall.ms = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
    return wall;
  }
  function matchesWall(cron, wall) {
    if (!cron.minute.has(wall.minute) || !cron.hour.has(wall.hour) || !cron.month.has(wall.month)) return false;
    const dom = cron.dom.has(wall.day);
    const dow = cron.dow.has(wall.dow);
    return cron.dayOr ? dom || dow : dom && dow;
  }

  /**
   * Fire instants in [from, to): the daemon's own nextFires first, then the rest of the window
   * evaluated here from the expression in the schedule's time zone (minute by minute, with the
   * daemon's daylight-saving rule for fixed times: a skipped time fires once after the gap, a
   * repeated time once). Returns null when the expression uses syntax not evaluated here.
   */
  const fireCache = new Map();
  function computeFires(expression, zone, from, to) {
    const key = expression + '|' + zone + '|' + from + '|' + to;
    if (fireCache.has(key)) return fireCache.get(key);
    if (fireCache.size > 200) fireCache.clear();
    const cron = compileExpression(expression);
    let fires = null;
    if (cron && cron.kind === 'every') {
      fires = [];
      for (let t = Math.ceil(from / cron.everyMs) * cron.everyMs; t < to && fires.length < 100000; t += cron.everyMs) fires.push(t);
    } else if (cron) {
      fires = [];
      const seen = new Set();
      let previous = null;
      for (let minute = Math.floor(from / 60000) * 60000; minute < to; minute += 60000) {
        let wall;
        try {
          wall = wallTimeOf(zone, minute);
        } catch {
          return null;
        }
        let match = matchesWall(cron, wall);
        let gapMatch = false;
        if (cron.fixedTime) {
          if (match && seen.has(wall.ms)) match = false;
          seen.add(wall.ms);
          if (previous && wall.ms - previous.ms > 60000) {
            for (let skipped = previous.ms + 60000; skipped < wall.ms && !gapMatch; skipped += 60000) {
              const d = new Date(skipped);
              gapMatch = matchesWall(cron, { minute: d.getUTCMinutes(), hour: d.getUTCHours(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), dow: d.getUTCDay() });
            }
          }
        }
        previous = wall;
        // A time skipped by the gap fires once, at the first instant after it.
        if (gapMatch && minute >= from && minute < to && !(match && cron.seconds[0] === 0)) fires.push(minute);
        if (!match) continue;
        for (const second of cron.seconds) {
          const t = minute + second * 1000;
          if (t >= from && t < to) fires.push(t);
        }
      }
    }
    fireCache.set(key, fires);
    return fires;
  }

  /* fires:end */

  function firesInWindow(schedule, from, to) {
    const known = (schedule.nextFires || []).map(parseTime).filter(Number.isFinite);
    const lastKnown = known.length ? Math.max(...known) : from - 1;
    const inWindow = known.filter((t) => t >= from && t < to);
    if (lastKnown >= to) return { fires: inWindow, partial: false };
    const minuteStart = Math.floor(from / 60000) * 60000;
    const computed = computeFires(schedule.schedule, schedule.timezone, minuteStart, minuteStart + DAY_MS + 60000);
    if (!computed) return { fires: inWindow, partial: known.length > 0 };
    return { fires: inWindow.concat(computed.filter((t) => t > lastKnown && t < to)), partial: false };
  }

  function renderTimeline() {
    const status = state.status;
    if (!status) return;
    const wrap = $('timeline-chart');
    const width = Math.max(640, Math.floor((wrap.clientWidth || 0) - 32));
    const from = Math.floor(now() / 60000) * 60000;
    const schedules = status.schedules.filter(matchesScheduleFilters);
    const key = JSON.stringify([width, from, schedules.map((s) => [s.name, s.schedule, s.timezone, s.suspended, s.nextFires])]);
    if (key === state.timelineKey) return;
    state.timelineKey = key;
    const to = from + DAY_MS;
    const labelWidth = Math.min(190, Math.round(width * 0.2));
    const right = 14;
    const top = 26;
    const lane = 28;
    const height = top + Math.max(1, schedules.length) * lane + 6;
    const plot = width - labelWidth - right;
    const xOf = (t) => labelWidth + ((t - from) / DAY_MS) * plot;
    const svg = h('svg:svg', { class: 'timeline', width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-labelledby': 'timeline-title timeline-desc' });
    // Hour grid in the browser's time zone; a dashed line and the weekday at midnight.
    const labelEvery = plot < 700 ? 6 : 3;
    const firstHour = new Date(from);
    firstHour.setMinutes(60, 0, 0);
    for (let t = firstHour.getTime(); t < to; t += 3600000) {
      const d = new Date(t);
      const x = xOf(t);
      const midnight = d.getHours() === 0;
      svg.append(h('svg:line', { class: 'grid' + (midnight ? ' day' : ''), x1: x, x2: x, y1: top - 6, y2: height - 4 }));
      if (midnight || d.getHours() % labelEvery === 0) {
        svg.append(h('svg:text', { x, y: 14, 'text-anchor': 'middle', text: midnight ? WEEKDAYS[d.getDay()] + ' ' + d.getDate() : pad(d.getHours()) + ':00' }));
      }
    }
    svg.append(h('svg:line', { class: 'now', x1: labelWidth, x2: labelWidth, y1: top - 8, y2: height - 4 }));
    svg.append(h('svg:text', { class: 'now-label', x: labelWidth, y: 14, 'text-anchor': 'middle', text: 'now' }));
    if (!schedules.length) {
      svg.append(h('svg:text', { class: 'lane-note', x: labelWidth + 10, y: top + 18, text: status.schedules.length ? 'No schedule matches the filter' : 'No schedules' }));
    }
    const maxChars = Math.max(6, Math.floor((labelWidth - 14) / 7));
    schedules.forEach((schedule, index) => {
      const y = top + index * lane;
      svg.append(h('svg:rect', { class: 'lane-bg', x: labelWidth, y: y + 3, width: plot, height: lane - 6, rx: 3 }));
      const name = schedule.name.length > maxChars ? schedule.name.slice(0, maxChars - 1) + '…' : schedule.name;
      const text = h('svg:text', { class: 'lane-name', x: 0, y: y + lane / 2 + 4, text: name });
      text.append(h('svg:title', { text: schedule.name + ' · ' + schedule.humanSchedule + ' (' + schedule.timezone + ')' }));
      svg.append(text);
      if (schedule.suspended) {
        svg.append(h('svg:text', { class: 'lane-note', x: labelWidth + 8, y: y + lane / 2 + 4, text: 'suspended' }));
        return;
      }
      const { fires, partial } = firesInWindow(schedule, from, to);
      if (!fires.length) {
        const next = upcomingFire(schedule);
        svg.append(h('svg:text', { class: 'lane-note', x: labelWidth + 8, y: y + lane / 2 + 4, text: next ? 'next fire ' + formatTime(next) : 'no fire in the next 24 hours' }));
        return;
      }
      // Fires closer than 3 px merge into a band; single fires are ticks.
      let group = [fires[0]];
      const flush = () => {
        const x1 = xOf(group[0]);
        const x2 = xOf(group[group.length - 1]);
        if (group.length === 1) {
          const tick = h('svg:line', { class: 'tick', x1, x2: x1, y1: y + 7, y2: y + lane - 7 });
          tick.append(h('svg:title', { text: schedule.name + ' · ' + formatTime(new Date(group[0]).toISOString()) }));
          svg.append(tick);
        } else {
          const band = h('svg:rect', { class: 'band', x: x1 - 1, y: y + 7, width: Math.max(2, x2 - x1 + 2), height: lane - 14, rx: 2 });
          band.append(h('svg:title', { text: schedule.name + ' · ' + group.length + ' fires, ' + formatTime(new Date(group[0]).toISOString()) + ' – ' + formatTime(new Date(group[group.length - 1]).toISOString()) }));
          svg.append(band);
        }
      };
      for (const t of fires.slice(1)) {
        if (xOf(t) - xOf(group[group.length - 1]) < 3) group.push(t);
        else {
          flush();
          group = [t];
        }
      }
      flush();
      if (partial) {
        const x = xOf(fires[fires.length - 1]) + 6;
        if (x < width - 40) svg.append(h('svg:text', { class: 'lane-note', x, y: y + lane / 2 + 4, text: 'later fires not shown' }));
      }
    });
    wrap.replaceChildren(svg);
    $('timeline-zone').textContent = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  }

  // ---- run history --------------------------------------------------------------------------------

  function renderScheduleOptions() {
    const names = state.status.schedules.map((schedule) => schedule.name);
    if (state.runFilters.schedule && !names.includes(state.runFilters.schedule)) names.push(state.runFilters.schedule);
    const key = names.join('\n');
    if (key === state.scheduleOptionsKey) return;
    state.scheduleOptionsKey = key;
    const select = $('run-schedule');
    select.replaceChildren(h('option', { value: '', text: 'All schedules' }), ...names.map((name) => h('option', { value: name, text: name })));
    select.value = state.runFilters.schedule;
  }

  function renderRunLabel() {
    const holder = $('run-label');
    holder.hidden = !state.labelFilter;
    holder.replaceChildren();
    if (state.labelFilter) {
      appendAll(holder, ['Label ', h('code', { text: state.labelFilter }), ' ', h('button', { class: 'btn quiet', type: 'button', 'data-action': 'clear-label', 'aria-label': 'Stop filtering by label ' + state.labelFilter, text: '✕' })]);
    }
  }

  function localInputToIso(value) {
    if (!value) return '';
    const t = new Date(value).getTime();
    return Number.isFinite(t) ? new Date(t).toISOString() : '';
  }

  function runQuery(cursor) {
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

  function runMatchesFilters(run) {
    const f = state.runFilters;
    if (f.status && run.status !== f.status) return false;
    if (f.schedule && run.schedule !== f.schedule) return false;
    if (state.labelFilter) {
      const schedule = state.status && state.status.schedules.find((s) => s.name === run.schedule);
      if (!schedule || !labelPairs(schedule.labels).includes(state.labelFilter)) return false;
    }
    const at = parseTime(run.scheduledAt);
    const since = parseTime(localInputToIso(f.since));
    const until = parseTime(localInputToIso(f.until));
    if (Number.isFinite(since) && at < since) return false;
    if (Number.isFinite(until) && at >= until) return false;
    return true;
  }

  async function loadRuns(reset) {
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
      state.nextCursor = body && body.nextCursor ? body.nextCursor : null;
    } catch (error) {
      if (token === state.runsToken) state.runsError = error.message;
    } finally {
      if (token === state.runsToken) {
        state.runsLoading = false;
        renderRuns();
      }
    }
  }

  /** The first page again, merged into what is shown (after a reconnect, or while polling). */
  async function syncRuns() {
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
  function mergeRuns(runs) {
    const byId = new Map(state.runs.map((run) => [run.id, run]));
    for (const run of runs) byId.set(run.id, Object.assign({}, byId.get(run.id), run));
    state.runs = [...byId.values()].sort(byIdDesc);
    if (state.runs.length > state.runsLimit) {
      state.runs.length = state.runsLimit;
      state.nextCursor = state.runs[state.runs.length - 1].id;
    }
  }

  function upsertLiveRun(run) {
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
    const copy = Object.assign({}, run);
    if (Array.isArray(copy.attempts)) copy.attempts = copy.attempts.map((attempt) => Object.assign({}, attempt, { outputTail: undefined }));
    mergeRuns([copy]);
    renderRuns();
  }

  function buildRunRow(run) {
    const attempt = lastAttempt(run);
    const duration = run.status === 'running' && run.startedAt
      ? h('span', { 'data-elapsed': run.startedAt, text: formatSpan(now() - parseTime(run.startedAt)) })
      : formatDuration(run.durationMs);
    const reason = run.missed
      ? run.missed.count + (run.missed.count === 1 ? ' fire' : ' fires') + ' missed' + (run.reason ? ': ' + run.reason : '')
      : run.reason || '';
    return h('tr', { role: 'row', 'data-run-row': run.id },
      h('td', { role: 'cell', class: 'card-title', 'data-label': 'Scheduled' },
        h('button', { class: 'link nowrap', type: 'button', 'data-run': run.id, 'data-focus': 'run-' + run.id, title: titleOf(run.scheduledAt), 'aria-label': 'Open run of ' + run.schedule + ' scheduled ' + formatTime(run.scheduledAt), text: formatTime(run.scheduledAt) })),
      h('td', { role: 'cell', 'data-label': 'Schedule', class: 'run-schedule', text: run.schedule }),
      h('td', { role: 'cell', 'data-label': 'Status' }, badge(run.status)),
      h('td', { role: 'cell', 'data-label': 'Trigger', text: run.trigger }),
      h('td', { role: 'cell', 'data-label': 'Duration', class: 'num' }, duration),
      h('td', { role: 'cell', 'data-label': 'Attempts', class: 'num', text: String(Array.isArray(run.attempts) ? run.attempts.length : run.attempts || 0) }),
      h('td', { role: 'cell', 'data-label': 'Exit', class: 'num mono', text: exitText(attempt) }),
      h('td', { role: 'cell', 'data-label': 'Reason', class: reason ? '' : 'faint', text: reason || '—' }),
    );
  }

  function renderRuns() {
    const container = $('runs-table');
    let table = container.querySelector('table');
    if (!table) {
      table = h('table', { class: 't-runs cards', role: 'table' },
        h('caption', { class: 'visually-hidden', text: 'Run history, newest first' }),
        h('colgroup', {}, ['15%', '17%', '11%', '9%', '9%', '8%', '7%', '24%'].map((width) => h('col', { width }))),
        h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, [['Scheduled', ''], ['Schedule', ''], ['Status', ''], ['Trigger', ''], ['Duration', 'num'], ['Attempts', 'num'], ['Exit', 'num'], ['Reason', '']].map(([name, cls]) => h('th', { scope: 'col', role: 'columnheader', class: cls || null, text: name })))),
        h('tbody', { role: 'rowgroup' }));
      container.replaceChildren(table);
    }
    const tbody = table.tBodies[0];
    const focusKey = document.activeElement && tbody.contains(document.activeElement) ? document.activeElement.getAttribute('data-focus') : null;
    if (!state.runs.length) {
      const text = state.runsError ? 'Cannot load runs: ' + state.runsError : state.runsLoading ? 'Loading runs…' : 'No runs match these filters yet.';
      state.runRows.clear();
      tbody.replaceChildren(h('tr', {}, h('td', { class: 'empty', colspan: 8, text })));
    } else {
      const next = new Map();
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
        const fresh = id && next.get(id);
        if (fresh && fresh.row !== row) row.replaceWith(fresh.row);
        else if (!fresh) row.remove();
      }
      reconcileRows(tbody, rows);
      state.runRows = next;
      if (focusKey && !(document.activeElement && tbody.contains(document.activeElement))) restoreFocus(focusKey);
    }
    const more = $('runs-more');
    more.hidden = !state.nextCursor;
    more.disabled = state.runsLoading;
    more.textContent = state.runsLoading && state.runs.length ? 'Loading…' : 'Load more';
    $('runs-summary').textContent = state.runsError && state.runs.length
      ? 'Cannot load more runs: ' + state.runsError
      : state.runs.length ? 'Showing ' + state.runs.length + (state.runs.length === 1 ? ' run' : ' runs') + (state.nextCursor ? '; older runs are available' : '') : '';
  }

  // ---- run view -------------------------------------------------------------------------------------

  function openRun(id, options) {
    const dialog = $('run-view');
    const refresh = options && options.refresh;
    if (!refresh) {
      state.opener = document.activeElement && document.activeElement !== document.body ? document.activeElement.getAttribute('data-focus') : null;
      state.openRunId = id;
      dialog.replaceChildren(runViewHead(id, null), h('div', { class: 'rv-body' }, h('p', { class: 'note', text: 'Loading run…' })));
      if (!dialog.open) dialog.showModal();
      if (location.hash !== '#run=' + encodeURIComponent(id)) history.replaceState(null, '', '#run=' + encodeURIComponent(id));
    }
    getJSON(API.run(id))
      .then((body) => {
        if (state.openRunId !== id) return;
        renderRunView(body && body.run ? body.run : body);
      })
      .catch((error) => {
        if (state.openRunId !== id || refresh) return;
        dialog.replaceChildren(runViewHead(id, null), h('div', { class: 'rv-body' }, h('p', { class: 'banner', text: 'Cannot load this run: ' + error.message })));
      });
  }

  function runViewHead(id, run) {
    return h('div', { class: 'rv-head' },
      h('div', {},
        h('h2', { id: 'rv-title' }, run ? [h('span', { text: run.schedule }), badge(run.status)] : 'Run'),
        h('div', { class: 'rv-id', text: 'Run ' + id })),
      h('button', { class: 'btn', type: 'button', 'data-action': 'close-run', 'aria-label': 'Close run view', text: 'Close' }));
  }

  function row(label, value, title) {
    return [h('dt', { text: label }), h('dd', { title: title || null }, value)];
  }

  function renderRunView(run) {
    const dialog = $('run-view');
    const body = h('div', { class: 'rv-body' });
    const duration = run.status === 'running' && run.startedAt
      ? h('span', { 'data-elapsed': run.startedAt, text: formatSpan(now() - parseTime(run.startedAt)) })
      : formatDuration(run.durationMs);
    const facts = [
      row('Status', [badge(run.status)]),
      run.reason ? row('Reason', run.reason) : null,
      row('Trigger', run.trigger),
      row('Scheduled', formatTime(run.scheduledAt), titleOf(run.scheduledAt)),
      row('Started', formatTime(run.startedAt), titleOf(run.startedAt)),
      row('Finished', run.finishedAt ? formatTime(run.finishedAt) : run.status === 'running' ? 'still running' : '—', titleOf(run.finishedAt)),
      row('Duration', duration),
      run.missed ? row('Missed', run.missed.count + (run.missed.count === 1 ? ' fire' : ' fires') + ', ' + formatTime(run.missed.first) + ' – ' + formatTime(run.missed.last)) : null,
    ];
    body.append(h('dl', { class: 'kv' }, facts));
    const attempts = Array.isArray(run.attempts) ? run.attempts : [];
    if (attempts.length !== 1) body.append(h('h3', { text: attempts.length ? attempts.length + ' attempts' : 'No attempt was made' }));
    for (const attempt of attempts) {
      const took = attempt.finishedAt && attempt.startedAt ? parseTime(attempt.finishedAt) - parseTime(attempt.startedAt) : null;
      const ended = attempt.signal
        ? 'signal ' + attempt.signal
        : attempt.exitCode !== null && attempt.exitCode !== undefined ? 'exit code ' + attempt.exitCode : attempt.finishedAt ? 'no exit code' : 'running';
      const output = attempt.outputTail;
      body.append(
        h('section', { class: 'attempt', 'aria-label': 'Attempt ' + attempt.attempt },
          h('div', { class: 'attempt-head' },
            h('h3', { text: 'Attempt ' + attempt.attempt }),
            h('span', { class: 'mono', text: ended }),
            h('span', { title: titleOf(attempt.startedAt), text: 'started ' + formatTime(attempt.startedAt) }),
            attempt.finishedAt ? h('span', { title: titleOf(attempt.finishedAt), text: 'finished ' + formatTime(attempt.finishedAt) }) : null,
            took !== null ? h('span', { text: formatDuration(took) }) : null),
          attempt.error ? h('p', { class: 'banner', text: attempt.error }) : null,
          output ? h('pre', { class: 'output', tabindex: '0', 'aria-label': 'Output of attempt ' + attempt.attempt, text: output })
            : h('pre', { class: 'output none', text: run.status === 'running' && !attempt.finishedAt ? 'The output is shown when the attempt ends.' : 'No output.' })),
      );
    }
    const hadFocus = dialog.contains(document.activeElement);
    dialog.replaceChildren(runViewHead(run.id, run), body);
    if (hadFocus && dialog.open) dialog.querySelector('[data-action="close-run"]').focus();
  }

  function closeRunView() {
    const dialog = $('run-view');
    if (dialog.open) dialog.close();
  }

  // ---- live updates -----------------------------------------------------------------------------------

  let events = null;
  let reconnectDelay = 1000;
  let everConnected = false;
  function setConnection(value) {
    if (state.connection === value) return;
    state.connection = value;
    renderFacts();
  }
  function connectEvents() {
    if (!('EventSource' in window)) {
      setConnection('polling');
      return;
    }
    events = new EventSource(API.events);
    events.onopen = () => {
      reconnectDelay = 1000;
      setConnection('live');
      if (everConnected) {
        requestStatus();
        syncRuns();
      }
      everConnected = true;
    };
    events.onerror = () => {
      if (events.readyState === EventSource.CLOSED) {
        events.close();
        setConnection('reconnecting');
        setTimeout(connectEvents, reconnectDelay);
        reconnectDelay = Math.min(30000, reconnectDelay * 2);
      } else {
        setConnection('reconnecting');
      }
    };
    for (const type of ['run.started', 'run.finished']) events.addEventListener(type, (event) => handleRunEvent(type, event.data));
    for (const type of ['config.reloaded', 'config.error']) events.addEventListener(type, () => requestStatus());
    events.onmessage = (event) => {
      const data = parseEventData(event.data);
      if (data && typeof data.type === 'string') {
        const type = data.type.replace(':', '.');
        if (type.startsWith('run.')) handleRunEvent(type, event.data);
        else requestStatus();
      }
    };
  }
  function parseEventData(text) {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }
  function handleRunEvent(type, text) {
    const data = parseEventData(text);
    const run = data && data.run ? data.run : data;
    if (run && typeof run.id === 'string' && typeof run.schedule === 'string') {
      upsertLiveRun(run);
      if (type === 'run.finished') addToSpark(run);
      if (state.openRunId === run.id) openRun(run.id, { refresh: true });
    }
    requestStatus();
  }

  // ---- clock, wiring ------------------------------------------------------------------------------------

  let lastMinute = 0;
  function tick() {
    renderActivity();
    for (const el of document.querySelectorAll('[data-countdown]')) el.textContent = countdownText(el.getAttribute('data-countdown'));
    for (const el of document.querySelectorAll('[data-elapsed]')) el.textContent = formatSpan(now() - parseTime(el.getAttribute('data-elapsed')));
    for (const el of document.querySelectorAll('[data-ago]')) el.textContent = agoText(el.getAttribute('data-ago'));
    if (state.status) {
      // A fire that has passed: the daemon has news (a run, the following fires).
      const overdue = state.status.schedules.some((s) => !s.suspended && s.nextFires.length && parseTime(s.nextFires[0]) < now() - 1500);
      if (overdue && state.connection !== 'live') requestStatus();
      const minute = Math.floor(now() / 60000);
      if (minute !== lastMinute) {
        lastMinute = minute;
        renderTimeline();
      }
    }
  }
  function startTicking() {
    setTimeout(() => {
      tick();
      setInterval(tick, 1000);
    }, 1000 - (Date.now() % 1000) + 20);
  }

  function wire() {
    $('schedule-filter').addEventListener('input', (event) => {
      state.textFilter = event.target.value;
      renderSchedules();
      renderTimeline();
    });
    $('label-filter').addEventListener('change', (event) => setLabelFilter(event.target.value));
    const runFilter = (id, key) => $(id).addEventListener('change', (event) => {
      state.runFilters[key] = event.target.value;
      loadRuns(true);
    });
    runFilter('run-status', 'status');
    runFilter('run-schedule', 'schedule');
    runFilter('run-since', 'since');
    runFilter('run-until', 'until');
    $('run-status').replaceChildren(h('option', { value: '', text: 'All statuses' }), ...RUN_STATUSES.map((status) => h('option', { value: status, text: statusWord(status) })));
    $('runs-more').addEventListener('click', () => loadRuns(false));
    document.addEventListener('click', (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (!target) return;
      const chip = target.closest('[data-label-chip]');
      if (chip) {
        const pair = chip.getAttribute('data-label-chip');
        setLabelFilter(state.labelFilter === pair ? '' : pair);
        return;
      }
      const runButton = target.closest('[data-run]');
      if (runButton) {
        openRun(runButton.getAttribute('data-run'));
        return;
      }
      const action = target.closest('[data-action]');
      const name = action && action.getAttribute('data-action');
      if (name === 'close-run') closeRunView();
      else if (name === 'clear-label') setLabelFilter('');
      else if (name === 'clear-runs') {
        state.runFilters = { status: '', schedule: '', since: '', until: '' };
        for (const id of ['run-status', 'run-schedule', 'run-since', 'run-until']) $(id).value = '';
        loadRuns(true);
      } else if (name === 'clear-schedule-filters') {
        state.textFilter = '';
        $('schedule-filter').value = '';
        setLabelFilter('');
      } else if (!action) {
        // A click anywhere on a history row opens it, like its button.
        const runRow = target.closest('[data-run-row]');
        if (runRow && !target.closest('button, a, input, select')) openRun(runRow.getAttribute('data-run-row'));
      }
    });
    const dialog = $('run-view');
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) closeRunView();
    });
    dialog.addEventListener('close', () => {
      state.openRunId = null;
      if (location.hash.startsWith('#run=')) history.replaceState(null, '', location.pathname + location.search);
      restoreFocus(state.opener);
    });
    window.addEventListener('hashchange', openFromHash);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') requestStatus();
    });
    if ('ResizeObserver' in window) {
      let lastWidth = 0;
      new ResizeObserver((entries) => {
        const width = Math.floor(entries[0].contentRect.width);
        if (width !== lastWidth) {
          lastWidth = width;
          renderTimeline();
        }
      }).observe($('timeline-chart'));
    }
  }

  function openFromHash() {
    const match = /^#run=(.+)$/.exec(location.hash);
    if (match && state.openRunId !== decodeURIComponent(match[1])) openRun(decodeURIComponent(match[1]));
  }

  wire();
  renderFacts();
  renderRuns();
  refreshStatus();
  loadRuns(true);
  connectEvents();
  openFromHash();
  startTicking();
  setInterval(() => {
    refreshStatus();
    if (state.connection !== 'live') syncRuns();
  }, STATUS_REFRESH_MS);
})();
`;
