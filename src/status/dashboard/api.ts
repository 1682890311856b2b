// Reading the daemon's JSON endpoints, with a timeout and a one-line error.
import { REQUEST_TIMEOUT_MS, type ApiRun } from './state.js';

/** GET `url` as JSON. Rejects with an Error naming the path and what went wrong. */
export async function getJSON(url: string): Promise<unknown> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      headers: { Accept: 'application/json' },
      cache: 'no-store',
      signal: controller.signal,
    });
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const error = (body as { error?: unknown } | null)?.error;
      const detail = typeof error === 'string' ? error : response.statusText;
      throw new Error(url.split('?')[0] + ': ' + response.status + ' ' + detail);
    }
    return body;
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') {
      throw new Error(
        url.split('?')[0] + ': no answer within ' + REQUEST_TIMEOUT_MS / 1000 + ' s',
        { cause: error },
      );
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The runs of a run-list answer (`{ runs, nextCursor }`, or a bare list). */
export function runsOf(body: unknown): ApiRun[] {
  if (Array.isArray(body)) return body as ApiRun[];
  const runs = (body as { runs?: unknown } | null)?.runs;
  return Array.isArray(runs) ? (runs as ApiRun[]) : [];
}

/** A page's cursor for the next page, if any. */
export function nextCursorOf(body: unknown): string | null {
  const cursor = (body as { nextCursor?: unknown } | null)?.nextCursor;
  return typeof cursor === 'string' && cursor !== '' ? cursor : null;
}

/** The error's message (anything thrown). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
