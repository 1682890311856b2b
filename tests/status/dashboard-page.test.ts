// The dashboard page: self-contained, nothing loaded from elsewhere, a CSP that matches its inline code, a script that parses.
import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/cron/compile.js';
import { iterateFires } from '../../src/cron/fires.js';
import { buildDashboardPolicy, renderDashboardPage } from '../../src/status/dashboard-page.js';
import { DASHBOARD_SCRIPT } from '../../src/status/dashboard-script.js';
import { DASHBOARD_STYLE } from '../../src/status/dashboard-style.js';

const page = renderDashboardPage();
const DAY_MS = 86_400_000;

/** The timeline's fire computation, taken out of the page script (it is self-contained). */
type ComputeFires = (expression: string, zone: string, from: number, to: number) => number[] | null;
const fireBlock =
  /\/\* fires:begin[^*]*\*\/([\s\S]*?)\/\* fires:end \*\//.exec(DASHBOARD_SCRIPT)?.[1] ?? '';
const computeFires = new Function(`${fireBlock}\nreturn computeFires;`)() as ComputeFires;

/** What the daemon fires in [from, to). */
function daemonFires(expression: string, zone: string, from: number, to: number): number[] {
  const compiled = compileSchedule(expression);
  if (!compiled.ok) throw new Error(`cannot compile ${expression}`);
  const fires: number[] = [];
  for (const at of iterateFires(compiled.schedule, zone, new Date(from - 1))) {
    if (at.getTime() >= to) break;
    fires.push(at.getTime());
  }
  return fires;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

describe('status/dashboard-page', () => {
  it('is one HTML document with the style and the script inline', () => {
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain(`<style>${DASHBOARD_STYLE}</style>`);
    expect(page).toContain(`<script>${DASHBOARD_SCRIPT}</script>`);
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page.match(/<style/g)).toHaveLength(1);
  });

  it.each([
    ['a script file', /<script[^>]+src=/i],
    ['a stylesheet', /<link[^>]+stylesheet/i],
    ['an @import', /@import/i],
    ['a url() in CSS', /url\(/i],
    ['an http(s) address in an attribute', /(?:src|href|action)=["']?https?:/i],
    ['a protocol-relative address', /(?:src|href)=["']?\/\//i],
    ['an inline event handler attribute', /\son[a-z]+=["']/i],
  ])('loads nothing from elsewhere: no %s', (_what, pattern) => {
    expect(page).not.toMatch(pattern);
  });

  it('only requests the daemon’s own read-only endpoints', () => {
    const table = /const API = \{([\s\S]*?)\n {2}\};/.exec(DASHBOARD_SCRIPT)?.[1] ?? '';
    const paths = [...table.matchAll(/'(\/[^']*)'/g)].map((match) => match[1]);
    expect(paths).toEqual([
      '/status',
      '/api/v1/runs',
      '/api/v1/runs/',
      '/api/v1/schedules/',
      '/runs',
      '/api/v1/events',
    ]);
    // Every request goes through getJSON (one fetch, GET) with an address built from that table.
    expect(DASHBOARD_SCRIPT.match(/fetch\(/g)).toHaveLength(1);
    const requested = [...DASHBOARD_SCRIPT.matchAll(/getJSON\(([^)]*)/g)].map((match) => match[1]);
    expect(requested.length).toBeGreaterThan(3);
    for (const argument of requested) expect(argument).toMatch(/^(?:url$|API\.|runQuery\()/);
    expect(DASHBOARD_SCRIPT.match(/new EventSource\(([^)]*)\)/g)).toEqual([
      'new EventSource(API.events)',
    ]);
    expect(DASHBOARD_SCRIPT).not.toMatch(/method\s*:/);
    expect(DASHBOARD_SCRIPT).not.toMatch(
      /\.innerHTML|outerHTML|insertAdjacentHTML|document\.write/,
    );
  });

  it('allows exactly its own script and style by hash in its Content-Security-Policy', () => {
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1];
    expect(policy).toBe(buildDashboardPolicy(DASHBOARD_SCRIPT, DASHBOARD_STYLE));
    expect(policy).toContain(`script-src ${sha256(DASHBOARD_SCRIPT)}`);
    expect(policy).toContain(`style-src ${sha256(DASHBOARD_STYLE)}`);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("connect-src 'self'");
  });

  it('ships a script that parses', () => {
    expect(() => new Script(DASHBOARD_SCRIPT, { filename: 'dashboard.js' })).not.toThrow();
  });

  it('renders the same page every time', () => {
    expect(renderDashboardPage()).toBe(page);
  });

  it.each([
    ['0 8-23 * * 1-5', 'Europe/Berlin', '2026-03-13T12:00:00Z'],
    ['0 9,15,21 * * 0,6', 'Europe/Berlin', '2026-03-14T00:00:00Z'],
    ['30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z'],
    ['30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z'],
    ['0 2,3 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z'],
    ['*/15 * * * *', 'America/New_York', '2026-03-07T20:00:00Z'],
    ['*/15 * * * *', 'America/New_York', '2026-10-31T20:00:00Z'],
    ['30 1 * * *', 'America/New_York', '2026-10-31T20:00:00Z'],
    ['15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z'],
    ['20 */2 * * *', 'Europe/Amsterdam', '2026-05-01T07:13:00Z'],
    ['0 9 1,15 * 1', 'UTC', '2026-06-08T00:00:00Z'],
    ['0 9 1,15 * 1', 'UTC', '2026-06-30T12:00:00Z'],
    ['0 0 * * 7', 'UTC', '2026-05-02T12:00:00Z'],
    ['0 0 1 jan,jul *', 'UTC', '2026-06-30T12:00:00Z'],
    ['*/10 * 9-17 * * mon-fri', 'UTC', '2026-05-04T08:00:00Z'],
    ['5-59/20 * * * * *', 'Asia/Kolkata', '2026-05-04T08:00:00Z'],
    ['@hourly', 'Asia/Kolkata', '2026-05-01T00:00:00Z'],
    ['@daily', 'Pacific/Chatham', '2026-04-04T00:00:00Z'],
    ['@every 90m', 'UTC', '2026-01-01T00:07:00Z'],
    ['@every 1h30m', 'Europe/Berlin', '2026-03-29T00:00:00Z'],
    ['@every 30s', 'UTC', '2026-01-01T00:00:10Z'],
  ])(
    'draws the timeline fires of "%s" in %s from %s exactly as the daemon fires them',
    (expression, zone, fromIso) => {
      const from = Date.parse(fromIso);
      const expected = daemonFires(expression, zone, from, from + DAY_MS);
      expect(expected.length).toBeGreaterThan(0);
      expect(computeFires(expression, zone, from, from + DAY_MS)).toEqual(expected);
    },
  );

  it.each(['0 0 L * *', '0 0 * * 5L', '0 0 * * 1#2', '0 0 15W * *'])(
    'leaves "%s" (L, W, #) to the daemon: no fires computed',
    (expression) => {
      expect(
        computeFires(
          expression,
          'UTC',
          Date.parse('2026-05-01T00:00:00Z'),
          Date.parse('2026-05-02T00:00:00Z'),
        ),
      ).toBeNull();
    },
  );
});
