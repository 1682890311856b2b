// The page header and the alerts above the tables: activity, daemon facts, the summary, banners, configuration errors.
import { $, appendAll, h, type Child } from './dom.js';
import {
  agoText,
  countdownText,
  formatSpan,
  now,
  parseTime,
  titleOf,
  upcomingFire,
} from './format.js';
import {
  HEALTH_WORDS,
  state,
  STATUS_REFRESH_MS,
  type Connection,
  type StatusSnapshot,
} from './state.js';

function runningNow(): { name: string; startedAt: string }[] {
  const list: { name: string; startedAt: string }[] = [];
  for (const schedule of state.status ? state.status.schedules : []) {
    for (const run of schedule.running)
      list.push({ name: schedule.name, startedAt: run.startedAt });
  }
  return list.sort((a, b) => parseTime(a.startedAt) - parseTime(b.startedAt));
}
function nextAcrossSchedules(): { name: string; at: string } | null {
  let best: { name: string; at: string } | null = null;
  for (const schedule of state.status ? state.status.schedules : []) {
    const iso = upcomingFire(schedule);
    if (iso && (!best || parseTime(iso) < parseTime(best.at)))
      best = { name: schedule.name, at: iso };
  }
  return best;
}

let lastActivity = '';
export function renderActivity(): void {
  const text = $('activity');
  const clock = $('activity-clock');
  const next = $('activity-next');
  const pulse = $('pulse');
  let words: string;
  if (!state.status) {
    words = state.statusError ? 'Cannot reach the daemon' : 'Loading…';
    clock.textContent = '';
    pulse.setAttribute('class', 'pulse');
    next.textContent = state.statusError;
  } else {
    const running = runningNow();
    if (running[0]) {
      const first = running[0];
      words =
        'Running: ' +
        first.name +
        (running.length > 1 ? ' +' + (running.length - 1) + ' more' : '');
      clock.textContent = '(' + formatSpan(now() - parseTime(first.startedAt)) + ')';
      pulse.setAttribute('class', 'pulse running');
    } else {
      words = state.status.shuttingDown ? 'Shutting down' : 'Idle';
      clock.textContent = '';
      pulse.setAttribute('class', 'pulse idle');
    }
    const upcoming = nextAcrossSchedules();
    next.replaceChildren();
    if (upcoming)
      appendAll(next, [
        'Next: ',
        h('strong', { text: upcoming.name }),
        ' ' + countdownText(upcoming.at),
      ]);
    else if (!state.status.schedules.length) next.textContent = 'No schedules loaded';
    const anomaly = state.status.clock.lastAnomaly;
    if (anomaly) {
      next.append(
        h('span', {
          class: 'clock-anomaly',
          title: titleOf(anomaly.at) + ': ' + anomaly.schedules.join(', '),
          text:
            ' · Clock anomaly ' +
            agoText(anomaly.at) +
            ': the clock went back ' +
            formatSpan(anomaly.stepMs) +
            ' (' +
            anomaly.schedules.length +
            ' schedule(s) affected)',
        }),
      );
    }
  }
  // Only a change of state is announced; the ticking clock sits outside the live region.
  if (words !== lastActivity) {
    text.textContent = words;
    lastActivity = words;
  }
}

function fact(kind: string, children: Child, title?: string): HTMLLIElement {
  return h(
    'li',
    { class: 'fact' + (kind === 'bad' ? ' bad' : ''), title: title || null },
    h('span', { class: 'dot ' + kind }),
    children,
  );
}
export function renderFacts(): void {
  const list = $('facts');
  const items: HTMLLIElement[] = [];
  const status = state.status;
  if (status) {
    const errors = status.files.reduce((sum, file) => sum + file.errors.length, 0);
    items.push(
      errors
        ? fact(
            'bad',
            h(
              'a',
              { href: '#config-errors' },
              'Config: ',
              h('b', { text: errors + (errors === 1 ? ' error' : ' errors') }),
            ),
          )
        : fact('ok', ['Config ', h('b', { text: 'ok' })]),
    );
    items.push(
      status.history.writable
        ? fact('ok', ['History ', h('b', { text: 'writable' })])
        : fact(
            'bad',
            ['History ', h('b', { text: 'not writable' })],
            status.history.lastError || '',
          ),
    );
    const reconcile = status.lastReconcile;
    items.push(
      reconcile
        ? fact(
            reconcile.ok ? 'ok' : 'warn',
            ['Reconciled ', h('b', { 'data-ago': reconcile.at, text: agoText(reconcile.at) })],
            'Last reconcile ' + reconcile.at + ' (' + reconcile.trigger + ')',
          )
        : fact('warn', 'Not reconciled yet'),
    );
    const anomaly = status.clock.lastAnomaly;
    if (anomaly) {
      items.push(
        fact(
          'warn',
          ['Clock anomaly ', h('b', { 'data-ago': anomaly.at, text: agoText(anomaly.at) })],
          'The clock went back ' +
            formatSpan(anomaly.stepMs) +
            ' (' +
            anomaly.cause +
            '); affected: ' +
            anomaly.schedules.join(', '),
        ),
      );
    }
  }
  const connections: Record<Connection, [string, string, string]> = {
    connecting: ['warn', 'Connecting…', 'Opening the live event stream'],
    live: ['ok', 'Live', 'Updates arrive as they happen'],
    reconnecting: [
      'warn',
      'Reconnecting…',
      'The event stream dropped; refreshing every ' + STATUS_REFRESH_MS / 1000 + ' s meanwhile',
    ],
    polling: [
      'warn',
      'Polling',
      'No event stream; refreshing every ' + STATUS_REFRESH_MS / 1000 + ' s',
    ],
  };
  const connection = connections[state.connection];
  if (state.statusError) items.push(fact('bad', h('b', { text: 'Offline' }), state.statusError));
  else
    items.push(
      fact(connection[0], h('span', { id: 'connection', text: connection[1] }), connection[2]),
    );
  list.replaceChildren(...items);
}

export function renderSummary(status: StatusSnapshot): void {
  const s = status.summary;
  const items = [
    h(
      'li',
      {},
      h('b', { text: String(s.schedules) }),
      s.schedules === 1 ? ' schedule' : ' schedules',
    ),
  ];
  for (const word of HEALTH_WORDS) {
    const count = (s.byHealth as Record<string, number>)[word] ?? 0;
    items.push(
      h(
        'li',
        { class: count ? '' : 'faint' },
        h('span', { class: 'health h-' + word, 'aria-hidden': 'true' }),
        h('b', { text: String(count) }),
        ' ' + word,
      ),
    );
  }
  items.push(h('li', {}, h('b', { text: String(s.running) }), ' running'));
  if (s.queued) items.push(h('li', {}, h('b', { text: String(s.queued) }), ' queued'));
  items.push(
    h(
      'li',
      {},
      h('b', { text: String(s.files) }),
      s.files === 1 ? ' file' : ' files',
      s.invalidFiles ? ' (' + s.invalidFiles + ' invalid)' : '',
    ),
  );
  $('summary').replaceChildren(...items);
}

export function renderBanner(status: StatusSnapshot): void {
  const lines: string[] = [];
  if (!status.ready) lines.push('Not ready: ' + status.notReadyReasons.join('; ') + '.');
  if (!status.history.writable)
    lines.push(
      'History cannot be written' +
        (status.history.lastError ? ' (' + status.history.lastError + ')' : '') +
        '; runs go on and are kept in memory.',
    );
  for (const item of status.history.corrupt)
    lines.push(
      'History file ' +
        item.file +
        ' was corrupt (' +
        item.error +
        ') and was moved to ' +
        item.movedTo +
        '.',
    );
  const banner = $('banner');
  banner.hidden = lines.length === 0;
  banner.replaceChildren(...lines.map((line) => h('div', { text: line })));
}

export function renderConfigErrors(status: StatusSnapshot): void {
  const bad = status.files.filter((file) => !file.ok || file.errors.length);
  const section = $('config-errors');
  section.hidden = bad.length === 0;
  if (!bad.length) return;
  const count = bad.reduce((sum, file) => sum + file.errors.length, 0);
  $('config-errors-count').textContent =
    count +
    (count === 1 ? ' error' : ' errors') +
    ' in ' +
    bad.length +
    (bad.length === 1 ? ' file' : ' files');
  const items: HTMLLIElement[] = [];
  for (const file of bad) {
    for (const error of file.errors) {
      const where = file.file + (error.line > 0 ? ':' + error.line + ':' + error.col : '');
      items.push(
        h(
          'li',
          {},
          h('span', { class: 'where', text: where }),
          error.path ? h('span', { class: 'path', text: error.path }) : null,
          h('span', { class: 'message', text: error.message }),
        ),
      );
    }
    if (file.schedules.length) {
      items.push(
        h(
          'li',
          { class: 'muted' },
          'Still running from the last valid version of this file: ',
          h('b', { text: file.schedules.join(', ') }),
        ),
      );
    }
  }
  $('config-errors-list').replaceChildren(...items);
}
