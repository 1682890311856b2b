// The dashboard page: self-contained, nothing loaded from elsewhere, a CSP that matches its inline code, a script that parses.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { buildDashboardPolicy, renderDashboardPage } from '../../src/status/dashboard-page.js';
import { loadDashboardScript } from '../../src/status/dashboard-script.js';
import { DASHBOARD_STYLE } from '../../src/status/dashboard-style.js';

const page = renderDashboardPage();
const DASHBOARD_SCRIPT = loadDashboardScript();

/** The browser sources, as written (the bundle is minified). */
const SOURCES = readdirSync(new URL('../../src/status/dashboard/', import.meta.url))
  .filter((name) => name.endsWith('.ts'))
  .map((name) =>
    readFileSync(new URL(`../../src/status/dashboard/${name}`, import.meta.url), 'utf8'),
  )
  .join('\n');

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
    const table = /export const API = \{([\s\S]*?)\n\};/.exec(SOURCES)?.[1] ?? '';
    const paths = [...table.matchAll(/'(\/[^']*)'/g)].map((match) => match[1]);
    expect(paths).toEqual([
      '/status',
      '/api/v1/runs',
      '/api/v1/runs/',
      '/api/v1/schedules/',
      '/runs',
      '/api/v1/events',
      '/api/v1/timeline',
    ]);
    // Every request goes through getJSON (one fetch, GET) with an address built from that table.
    expect(SOURCES.match(/fetch\(/g)).toHaveLength(1);
    expect(DASHBOARD_SCRIPT.match(/fetch\(/g)).toHaveLength(1);
    const requested = [...SOURCES.matchAll(/getJSON\(([^)]*)/g)].map((match) => match[1]);
    expect(requested.length).toBeGreaterThan(3);
    for (const argument of requested) {
      expect(argument?.trim()).toMatch(/^(?:url: string$|API\.|runQuery\()/);
    }
    expect(SOURCES.match(/new EventSource\(([^)]*)\)/g)).toEqual(['new EventSource(API.events)']);
    expect(SOURCES).not.toMatch(/method\s*:/);
    expect(DASHBOARD_SCRIPT).not.toMatch(/method\s*:/);
    expect(SOURCES).not.toMatch(/\.innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
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
});
