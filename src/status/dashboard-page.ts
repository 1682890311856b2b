// The read-only dashboard served at GET / (SPEC 7): one self-contained HTML page, styles and script inline.
import { createHash } from 'node:crypto';
import { loadDashboardScript } from './dashboard-script.js';
import { DASHBOARD_STYLE } from './dashboard-style.js';

/** The `Content-Type` to serve the page with. */
export const DASHBOARD_CONTENT_TYPE = 'text/html; charset=utf-8';

/**
 * The Content-Security-Policy of the page: only its own inline style and script (by hash), and
 * requests to the daemon it came from. Nothing is loaded from anywhere else.
 */
export function buildDashboardPolicy(script: string, style: string): string {
  return [
    "default-src 'none'",
    `script-src '${hashOf(script)}'`,
    `style-src '${hashOf(style)}'`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function hashOf(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

const LOGO = `<svg class="logo" width="22" height="22" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="9.5" fill="none" stroke="currentColor" stroke-width="2"/><path d="M12 6.5V12l3.5 2.2" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

let page: string | undefined;

/**
 * The dashboard page. Read-only: it only reads `/status` and `/api/v1/*` and follows
 * `/api/v1/events`; everything it shows comes from those answers (which never hold secrets).
 */
export function renderDashboardPage(): string {
  page ??= buildPage();
  return page;
}

function buildPage(): string {
  const script = loadDashboardScript();
  const policy = buildDashboardPolicy(script, DASHBOARD_STYLE);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>cronops</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_STYLE}</style>
</head>
<body>
<header class="top">
  <div class="top-inner">
    <div class="brand">${LOGO}<h1>cronops</h1><span class="version" id="version"></span></div>
    <ul class="facts" id="facts" aria-label="Daemon state"></ul>
    <div class="activity">
      <span class="activity-main"><span class="pulse" id="pulse" aria-hidden="true"></span><span id="activity" role="status" aria-live="polite" aria-atomic="true">Loading…</span> <span class="clock" id="activity-clock"></span></span>
      <span class="activity-next" id="activity-next"></span>
    </div>
    <ul class="summary" id="summary" aria-label="Summary"></ul>
  </div>
</header>
<main>
  <div class="banner" id="banner" role="alert" hidden></div>

  <section class="panel alert" id="config-errors" aria-labelledby="config-errors-title" hidden>
    <div class="panel-head">
      <h2 id="config-errors-title">Configuration errors<span class="count" id="config-errors-count"></span></h2>
      <p class="note">Fix the files; the daemon reloads them. Until then their schedules run from the last valid version.</p>
    </div>
    <ul class="errors" id="config-errors-list"></ul>
  </section>

  <section class="panel" id="replicas" aria-labelledby="replicas-title" hidden>
    <div class="panel-head">
      <h2 id="replicas-title">Replicas<span class="count" id="replicas-count"></span></h2>
      <p class="note">Every replica races for every instant; each runs once. Configurations may differ for the length of a rolling update.</p>
    </div>
    <p class="replicas-warning" id="replicas-warning" role="alert" hidden></p>
    <div class="table-wrap" id="replicas-table"></div>
  </section>

  <section class="panel" id="schedules" aria-labelledby="schedules-title">
    <div class="panel-head">
      <h2 id="schedules-title">Schedules<span class="count" id="schedules-count"></span></h2>
      <div class="controls">
        <label class="visually-hidden" for="schedule-filter">Filter schedules</label>
        <input type="search" id="schedule-filter" placeholder="Filter schedules…" autocomplete="off" spellcheck="false">
        <label class="visually-hidden" for="label-filter">Label</label>
        <select id="label-filter"><option value="">All labels</option></select>
        <label class="toggle"><input type="checkbox" id="problems-only"> Problems only</label>
      </div>
    </div>
    <div class="table-wrap" id="schedules-table"><p class="empty">Loading schedules…</p></div>
  </section>

  <section class="panel" id="timeline" aria-labelledby="timeline-title">
    <div class="panel-head">
      <h2 id="timeline-title">Next 24 hours</h2>
      <p class="note" id="timeline-desc">Upcoming fires per schedule, in <span id="timeline-zone">local time</span>. Fires close together show as a band; a schedule firing more than 144 times a day shows its cadence.</p>
    </div>
    <div class="panel-body timeline-wrap" id="timeline-chart"></div>
  </section>

  <section class="panel" id="runs" aria-labelledby="runs-title">
    <div class="panel-head">
      <h2 id="runs-title">Run history</h2>
      <div class="controls">
        <label class="field">Status<select id="run-status"></select></label>
        <label class="field">Schedule<select id="run-schedule"><option value="">All schedules</option></select></label>
        <label class="field">Since<input type="datetime-local" id="run-since" step="1"></label>
        <label class="field">Until<input type="datetime-local" id="run-until" step="1"></label>
        <span class="filter-chip" id="run-label" hidden></span>
        <button class="btn quiet" type="button" data-action="clear-runs">Clear</button>
      </div>
    </div>
    <div class="table-wrap" id="runs-table"></div>
    <div class="panel-foot">
      <span id="runs-summary" aria-live="polite"></span>
      <button class="btn" type="button" id="runs-more" hidden>Load more</button>
    </div>
  </section>
</main>
<dialog class="run-view" id="run-view" aria-labelledby="rv-title"></dialog>
<script>${script}</script>
</body>
</html>
`;
}
