// How the page words times, durations, statuses and labels; the daemon's clock as the page sees it.
import type { ApiAttempt } from '../run-view.js';
import type { ApiRun, StatusSchedule } from './state.js';

const STATUS_WORDS: Record<string, string> = { timedOut: 'timed out' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

let skewMs = 0;
/** Remember how far the daemon's clock is from the browser's (0 when within 1.5 s). */
export function setClockSkew(ms: number): void {
  skewMs = Math.abs(ms) < 1500 ? 0 : ms;
}
/** The daemon's clock, as far as the last /status told us. */
export const now = (): number => Date.now() + skewMs;
export const pad = (n: number): string => String(n).padStart(2, '0');
export const parseTime = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : NaN);
export const byIdDesc = (a: { id: string }, b: { id: string }): number =>
  a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
export const statusWord = (status: string): string => STATUS_WORDS[status] ?? status;

/** `06 Dec 14:05:09` in the browser's zone; `—` when there is no time. */
export function formatTime(iso: string | null | undefined): string {
  const t = parseTime(iso);
  if (!Number.isFinite(t)) return '—';
  const d = new Date(t);
  return (
    pad(d.getDate()) +
    ' ' +
    MONTHS[d.getMonth()] +
    ' ' +
    pad(d.getHours()) +
    ':' +
    pad(d.getMinutes()) +
    ':' +
    pad(d.getSeconds())
  );
}
/** Two units at most: 45s, 2m 10s, 2h 15m, 3d 4h. */
export function formatSpan(ms: number, round: (x: number) => number = Math.floor): string {
  const s = Math.max(0, round(ms / 1000));
  if (s < 60) return s + 's';
  const m = Math.floor(s / 60);
  if (m < 60) return m + 'm ' + pad(s % 60) + 's';
  const hours = Math.floor(m / 60);
  if (hours < 24) return hours + 'h ' + pad(m % 60) + 'm';
  return Math.floor(hours / 24) + 'd ' + (hours % 24) + 'h';
}
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return Math.round(ms) + ' ms';
  if (ms < 10000) return (ms / 1000).toFixed(1) + ' s';
  if (ms < 60000) return Math.round(ms / 1000) + ' s';
  return formatSpan(ms);
}
export function countdownText(iso: string | null): string {
  const left = parseTime(iso) - now();
  return left <= 0 ? 'due now' : 'in ' + formatSpan(left, Math.ceil);
}
export function agoText(iso: string | null): string {
  const age = now() - parseTime(iso);
  if (!Number.isFinite(age)) return '—';
  if (age < 5000) return 'just now';
  return formatSpan(age).split(' ')[0] + ' ago';
}
export function titleOf(iso: string | null | undefined): string | null {
  return iso ? iso + ' (UTC)' : null;
}
export function lastAttempt(run: ApiRun): ApiAttempt | null {
  return Array.isArray(run.attempts) ? (run.attempts[run.attempts.length - 1] ?? null) : null;
}
export function exitText(attempt: ApiAttempt | null): string {
  if (!attempt) return '—';
  if (attempt.signal) return attempt.signal;
  if (attempt.exitCode !== null && attempt.exitCode !== undefined) return String(attempt.exitCode);
  return '—';
}
export function labelPairs(labels: Record<string, string> | null | undefined): string[] {
  return Object.entries(labels ?? {}).map(([k, v]) => k + '=' + v);
}
/** The first of the daemon's next fires that has not passed; null when suspended or none. */
export function upcomingFire(schedule: StatusSchedule): string | null {
  if (schedule.suspended) return null;
  const t = now();
  for (const iso of schedule.nextFires) if (parseTime(iso) > t - 1000) return iso;
  return null;
}
