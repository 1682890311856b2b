// The dashboard's stylesheet (inlined into the page): system fonts, restrained colours, light and dark, phone-width cards.

/** The CSS of the dashboard page. No external fonts or images; colours follow `prefers-color-scheme`. */
export const DASHBOARD_STYLE = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f5f6f8;
  --panel: #ffffff;
  --panel-2: #f0f2f5;
  --text: #1c2128;
  --muted: #5d6672;
  --faint: #8b949e;
  --border: #d9dee4;
  --grid: #e8ebef;
  --accent: #2463d1;
  --ok: #1a7f37;
  --fail: #c4262e;
  --warn: #9a6700;
  --info: #2463d1;
  --violet: #7a4fc4;
  --neutral: #6e7781;
  --shadow: 0 1px 2px rgba(16, 24, 40, 0.05);
  --radius: 8px;
  --mono: ui-monospace, SFMono-Regular, 'SF Mono', Menlo, Consolas, 'Liberation Mono', monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1116;
    --panel: #161b22;
    --panel-2: #1c222b;
    --text: #e3e8ee;
    --muted: #9aa4af;
    --faint: #6e7781;
    --border: #2d343d;
    --grid: #232a33;
    --accent: #6ea8fe;
    --ok: #3fb950;
    --fail: #f47067;
    --warn: #d4a72c;
    --info: #6ea8fe;
    --violet: #b392f0;
    --neutral: #8b949e;
    --shadow: none;
  }
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
  font-variant-numeric: tabular-nums;
}
a { color: var(--accent); }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
h1, h2, h3 { margin: 0; font-weight: 600; letter-spacing: -0.005em; }
h2 { font-size: 15px; }
h3 { font-size: 13px; }
button, input, select { font: inherit; color: inherit; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; border-radius: 4px; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.muted { color: var(--muted); }
.replicas-warning { margin: 0; padding: 10px 16px; color: var(--warn); font-weight: 600; border-bottom: 1px solid var(--border); }
td.digest.differs { font-weight: 600; }
.faint { color: var(--faint); }
.num { text-align: right; white-space: nowrap; }
.nowrap { white-space: nowrap; }

/* Header */
.top { background: var(--panel); border-bottom: 1px solid var(--border); }
.top-inner {
  max-width: 1280px; margin: 0 auto; padding: 14px 24px;
  display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 8px 24px; align-items: center;
}
.brand { display: flex; align-items: center; gap: 10px; min-width: 0; }
.brand h1 { font-size: 16px; }
.brand .logo { flex: none; }
.brand .version { color: var(--muted); font-size: 12px; }
.activity { grid-column: 1 / -1; display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; min-height: 30px; }
.activity-main { font-size: 20px; font-weight: 600; letter-spacing: -0.01em; }
.activity-main .clock { font-weight: 500; color: var(--muted); }
.activity-next { color: var(--muted); font-size: 14px; }
.activity-next strong { color: var(--text); font-weight: 600; }
.pulse { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 8px; vertical-align: 2px; background: var(--neutral); }
.pulse.running { background: var(--info); box-shadow: 0 0 0 3px color-mix(in srgb, var(--info) 25%, transparent); }
.pulse.idle { background: var(--ok); }
.facts { display: flex; flex-wrap: wrap; gap: 6px; margin: 0; padding: 0; list-style: none; justify-content: flex-end; }
.fact {
  display: inline-flex; align-items: center; gap: 6px; padding: 3px 9px; border: 1px solid var(--border);
  border-radius: 999px; font-size: 12px; color: var(--muted); background: var(--panel); white-space: nowrap;
}
.fact b { font-weight: 600; color: var(--text); }
.fact b[data-ago] { display: inline-block; min-width: 5.5ch; }
.fact a { color: inherit; text-decoration: none; }
.fact.bad { border-color: color-mix(in srgb, var(--fail) 45%, var(--border)); color: var(--fail); }
.fact.bad b { color: var(--fail); }
.dot { width: 7px; height: 7px; border-radius: 50%; background: var(--neutral); flex: none; }
.dot.ok { background: var(--ok); }
.dot.bad { background: var(--fail); }
.dot.warn { background: var(--warn); }
.summary { grid-column: 1 / -1; display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 0; padding: 0; list-style: none; font-size: 12.5px; color: var(--muted); }
.summary li { display: inline-flex; align-items: center; gap: 6px; }
.summary b { color: var(--text); font-weight: 600; }

/* Page */
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 48px; display: grid; gap: 20px; }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); min-width: 0; }
.panel-head {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 10px 16px;
  padding: 12px 16px; border-bottom: 1px solid var(--border);
}
.panel-head .count { color: var(--muted); font-weight: 400; margin-left: 6px; font-size: 13px; }
.panel-foot { padding: 10px 16px; border-top: 1px solid var(--border); display: flex; align-items: center; justify-content: space-between; gap: 12px; color: var(--muted); font-size: 12.5px; }
.panel-body { padding: 12px 16px; }
.note { color: var(--muted); font-size: 12.5px; margin: 0; }
.empty { padding: 28px 16px; text-align: center; color: var(--muted); }

/* Controls */
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.field { display: inline-flex; flex-direction: column; gap: 2px; font-size: 11.5px; color: var(--muted); }
input[type='search'], input[type='datetime-local'], select {
  height: 30px; padding: 3px 8px; border: 1px solid var(--border); border-radius: 6px; background: var(--panel); font-size: 13px; min-width: 0;
}
label.toggle { display: inline-flex; align-items: center; gap: 6px; font-size: 13px; color: var(--muted); white-space: nowrap; }
input[type='search'] { width: 220px; }
.btn {
  display: inline-flex; align-items: center; gap: 6px; height: 30px; padding: 0 12px; border: 1px solid var(--border);
  border-radius: 6px; background: var(--panel-2); cursor: pointer; font-size: 13px; white-space: nowrap;
}
.btn:hover { border-color: var(--faint); }
.btn:disabled { opacity: 0.55; cursor: default; }
.btn.quiet { background: transparent; border-color: transparent; color: var(--muted); }
.btn.quiet:hover { color: var(--text); border-color: var(--border); }
.link { background: none; border: 0; padding: 0; color: var(--accent); cursor: pointer; text-align: left; font: inherit; }
.link:hover { text-decoration: underline; }

/* Tables */
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th, td { padding: 9px 12px; text-align: left; vertical-align: middle; border-bottom: 1px solid var(--grid); }
th { font-size: 11.5px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; background: var(--panel); white-space: nowrap; }
th.num { text-align: right; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover td { background: color-mix(in srgb, var(--panel-2) 60%, transparent); }
td .sub { display: block; color: var(--muted); font-size: 12px; margin-top: 1px; }
.sched-name { font-weight: 600; overflow-wrap: anywhere; }
.run-schedule { font-weight: 500; overflow-wrap: anywhere; }
.expr { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.countdown { display: inline-block; min-width: 7.5ch; font-weight: 500; }
.t-schedules { table-layout: fixed; min-width: 1040px; }
.t-runs { table-layout: fixed; min-width: 860px; }
.row-running td:first-child { box-shadow: inset 3px 0 0 var(--info); }

/* Badges, health, chips */
.badge {
  --c: var(--neutral);
  display: inline-flex; align-items: center; gap: 5px; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 500;
  color: var(--c); background: color-mix(in srgb, var(--c) 13%, transparent); border: 1px solid color-mix(in srgb, var(--c) 28%, transparent);
  white-space: nowrap;
}
.badge::before { content: ''; width: 6px; height: 6px; border-radius: 50%; background: currentColor; }
.health { --c: var(--neutral); display: inline-flex; align-items: center; gap: 6px; font-weight: 500; color: var(--c); }
.health::before { content: ''; width: 8px; height: 8px; border-radius: 50%; background: var(--c); }
.st-succeeded, .h-ok { --c: var(--ok); }
.st-failed, .st-timedOut, .h-failing { --c: var(--fail); }
.st-interrupted, .h-stale, .h-degraded, .h-clock-anomaly { --c: var(--warn); }
.st-running, .st-pending { --c: var(--info); }
.st-missed { --c: var(--violet); }
.st-skipped, .st-cancelled, .h-suspended, .h-inactive { --c: var(--neutral); }
.chips { display: flex; flex-wrap: wrap; gap: 4px; }
.chip {
  display: inline-flex; align-items: center; max-width: 100%; padding: 1px 7px; border: 1px solid var(--border); border-radius: 5px;
  background: var(--panel-2); color: var(--muted); font-size: 11.5px; cursor: pointer; font-family: var(--mono);
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; text-align: left;
}
.chip:hover { color: var(--text); border-color: var(--faint); }
.chip[aria-pressed='true'] { color: var(--accent); border-color: var(--accent); background: color-mix(in srgb, var(--accent) 10%, transparent); }
.filter-chip { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; color: var(--muted); }

/* Charts */
svg { display: block; }
.spark rect.st-succeeded { fill: var(--ok); }
.spark rect.st-failed, .spark rect.st-timedOut { fill: var(--fail); }
.spark rect.st-interrupted { fill: var(--warn); }
.spark rect.st-cancelled { fill: var(--neutral); }
.spark .base { stroke: var(--grid); }
.spark-empty { color: var(--faint); font-size: 12px; }
.timeline-wrap { overflow-x: auto; padding: 10px 16px 12px; }
.timeline text { fill: var(--muted); font-size: 11px; font-family: inherit; }
.timeline text.lane-name { fill: var(--text); font-size: 12px; font-weight: 500; }
.timeline .grid { stroke: var(--grid); }
.timeline .grid.day { stroke: var(--border); stroke-dasharray: 3 3; }
.timeline .lane-bg { fill: var(--panel-2); opacity: 0.55; }
.timeline .tick { stroke: var(--accent); stroke-width: 2; stroke-linecap: round; }
.timeline .tick.computed { opacity: 0.75; }
.timeline .band { fill: var(--accent); opacity: 0.28; }
.timeline .cadence { fill: var(--accent); opacity: 0.12; }
.timeline .cadence-label { fill: var(--text); font-size: 11px; font-weight: 600; }
.timeline .now { stroke: var(--fail); stroke-width: 1.5; }
.timeline text.now-label { fill: var(--fail); font-weight: 600; }
.timeline .lane-note { fill: var(--faint); font-style: italic; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; color: var(--muted); }

/* Config errors */
.alert { border-color: color-mix(in srgb, var(--fail) 55%, var(--border)); }
.alert .panel-head { background: color-mix(in srgb, var(--fail) 9%, var(--panel)); border-bottom-color: color-mix(in srgb, var(--fail) 30%, var(--border)); border-radius: var(--radius) var(--radius) 0 0; }
.alert h2 { color: var(--fail); }
.errors { list-style: none; margin: 0; padding: 0; }
.errors li { padding: 10px 16px; border-bottom: 1px solid var(--grid); display: grid; gap: 2px; }
.errors li:last-child { border-bottom: 0; }
.errors .where { font-family: var(--mono); font-size: 12.5px; font-weight: 600; overflow-wrap: anywhere; }
.errors .path { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.banner { padding: 10px 16px; border-radius: var(--radius); border: 1px solid color-mix(in srgb, var(--warn) 50%, var(--border)); background: color-mix(in srgb, var(--warn) 10%, var(--panel)); font-size: 13px; }

/* Run view */
dialog.run-view {
  width: min(760px, calc(100vw - 32px)); max-height: calc(100vh - 48px); padding: 0; border: 1px solid var(--border);
  border-radius: 10px; background: var(--panel); color: var(--text); box-shadow: 0 20px 50px rgba(0, 0, 0, 0.3);
}
dialog.run-view::backdrop { background: rgba(15, 20, 28, 0.5); }
.rv-head { position: sticky; top: 0; z-index: 1; display: flex; align-items: flex-start; justify-content: space-between; gap: 12px; padding: 14px 18px; border-bottom: 1px solid var(--border); background: var(--panel); }
.rv-head h2 { font-size: 16px; display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.rv-id { font-family: var(--mono); font-size: 12px; color: var(--muted); margin-top: 2px; overflow-wrap: anywhere; }
.rv-body { padding: 14px 18px 18px; display: grid; gap: 16px; }
.kv { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 6px 18px; margin: 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; overflow-wrap: anywhere; }
.attempt { border: 1px solid var(--border); border-radius: var(--radius); overflow: hidden; }
.attempt-head { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px; padding: 8px 12px; background: var(--panel-2); font-size: 12.5px; }
.attempt-head h3 { margin-right: auto; }
.output {
  margin: 0; padding: 10px 12px; max-height: 320px; overflow: auto; background: #0f1318; color: #d7dde4;
  font-size: 12px; line-height: 1.5; white-space: pre-wrap; overflow-wrap: anywhere;
}
.output.none { background: transparent; color: var(--faint); font-style: italic; font-family: inherit; }

/* Run view: a pipeline chain (spec.after) as one row of steps */
.chain { display: grid; gap: 10px; }
.chain-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 6px 14px; }
.chain-links { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; }
.run-link, .chain-step button {
  font: inherit; color: inherit; cursor: pointer; border: 1px solid var(--border); border-radius: var(--radius);
  background: var(--panel-2); padding: 4px 8px; display: inline-flex; align-items: center; gap: 8px;
}
.run-link:hover, .chain-step button:hover { border-color: var(--faint); }
.chain-steps { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; align-items: stretch; gap: 8px 0; }
.chain-step { display: flex; align-items: center; }
.chain-step + .chain-step::before { content: '\2192'; color: var(--faint); padding: 0 8px; }
.chain-step button { flex-direction: column; align-items: flex-start; gap: 4px; min-width: 0; text-align: left; }
.chain-step.current button { border-color: var(--accent); box-shadow: inset 0 0 0 1px var(--accent); }
.cs-name { font-weight: 600; overflow-wrap: anywhere; }
.cs-meta { display: flex; align-items: center; gap: 8px; font-size: 12px; color: var(--muted); }
@media (max-width: 720px) {
  /* A phone shows the row as a column, first step on top: each step keeps its name, status and duration on one line. */
  .chain-steps { flex-direction: column; align-items: stretch; }
  .chain-step { flex-direction: column; align-items: stretch; }
  .chain-step + .chain-step::before { content: '\2193'; padding: 2px 0 2px 12px; }
  .chain-step button { flex-direction: row; justify-content: space-between; align-items: center; }
}

/* Phone width: tables become cards, controls stack */
@media (max-width: 720px) {
  .top-inner { padding: 12px 14px; grid-template-columns: minmax(0, 1fr); }
  .facts { justify-content: flex-start; }
  main { padding: 14px 12px 40px; gap: 14px; }
  .activity-main { font-size: 18px; }
  .panel-head { padding: 10px 12px; }
  .controls { width: 100%; }
  .controls > * { flex: 1 1 140px; }
  input[type='search'] { width: 100%; }
  .table-wrap { overflow-x: visible; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; min-width: 0; }
  table.cards { table-layout: auto; }
  table.cards thead, table.cards colgroup { display: none; }
  table.cards tr { padding: 8px 12px; border-bottom: 1px solid var(--border); }
  table.cards tbody tr:hover td { background: transparent; }
  table.cards td {
    display: grid; grid-template-columns: max-content minmax(0, 1fr); column-gap: 16px; align-items: baseline;
    padding: 3px 0; border: 0; text-align: right;
  }
  table.cards td::before { content: attr(data-label); grid-column: 1; grid-row: 1; color: var(--muted); font-size: 12px; text-align: left; }
  table.cards td > * { grid-column: 2; justify-self: end; }
  table.cards td .sub { margin-top: 0; }
  table.cards td.card-title { display: block; text-align: left; padding-bottom: 4px; }
  table.cards td.card-title::before { content: none; }
  table.cards td.card-title > * { justify-self: start; }
  table.cards td > .chips { justify-content: flex-end; }
  table.cards td.empty { display: block; text-align: center; }
  table.cards td.empty::before { content: none; }
  .row-running td:first-child { box-shadow: none; }
  /* Compact schedule cards: name, when, next, last and health; the rest is in the run view and the wide layout. */
  table.t-schedules.cards td[data-label='Time zone'],
  table.t-schedules.cards td[data-label='Durations'],
  table.t-schedules.cards td[data-label='Labels'],
  table.t-schedules.cards td .expr,
  table.t-schedules.cards td.card-title .sub { display: none; }
  /* Three lines a card: name and health; when and next run; last run. */
  table.t-schedules.cards tr {
    display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); column-gap: 12px; row-gap: 2px;
    padding: 6px 12px;
  }
  table.t-schedules.cards td { padding: 0; }
  table.t-schedules.cards td.card-title { grid-area: 1 / 1; padding: 0; overflow-wrap: anywhere; }
  table.t-schedules.cards td[data-label='Health'] { grid-area: 1 / 2; }
  table.t-schedules.cards td[data-label='When'] { grid-area: 2 / 1; display: block; text-align: left; overflow-wrap: anywhere; }
  table.t-schedules.cards td[data-label='Next run'] { grid-area: 2 / 2; }
  table.t-schedules.cards td[data-label='Last run'] { grid-area: 3 / 1 / 4 / 3; }
  table.t-schedules.cards td[data-label='Health']::before,
  table.t-schedules.cards td[data-label='Next run']::before,
  table.t-schedules.cards td[data-label='When']::before { content: none; }
  table.t-schedules.cards td[data-label='Next run'] .sub,
  table.t-schedules.cards td[data-label='Last run'] .sub { display: none; }
  table.t-schedules.cards td[data-label='Next run'] > *,
  table.t-schedules.cards td[data-label='Health'] > * { grid-column: 1 / -1; }
  dialog.run-view { width: 100vw; max-width: 100vw; max-height: 100vh; height: 100vh; margin: 0; border-radius: 0; }
}
@media (prefers-reduced-motion: no-preference) {
  .pulse.running { animation: pulse 1.6s ease-in-out infinite; }
  @keyframes pulse { 50% { box-shadow: 0 0 0 6px color-mix(in srgb, var(--info) 0%, transparent); } }
}
`;
