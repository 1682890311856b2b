// Filtering runs for `listRuns`, the CLI and the HTTP API: pure, newest first, with an id cursor.
import type { RunQuery, RunRecord } from './store.js';

/** Whether one run passes every filter of the query except `limit`, `schedule` and `schedules`. */
export function matchesRunQuery(run: RunRecord, query: RunQuery): boolean {
  if (query.before !== undefined && !(run.id < query.before)) return false;
  if (query.chain !== undefined && run.id !== query.chain && run.chainId !== query.chain)
    return false;
  if (query.status !== undefined && query.status.length > 0 && !query.status.includes(run.status))
    return false;
  if (query.since !== undefined || query.until !== undefined) {
    const at = Date.parse(run.scheduledAt);
    if (query.since !== undefined && !(at >= query.since.getTime())) return false;
    if (query.until !== undefined && !(at < query.until.getTime())) return false;
  }
  return true;
}

/** The schedules among `names` that `query.schedule` and `query.schedules` allow. */
export function selectScheduleNames(names: Iterable<string>, query: RunQuery): string[] {
  const only = query.schedules === undefined ? undefined : new Set(query.schedules);
  return [...names].filter(
    (name) =>
      (query.schedule === undefined || name === query.schedule) &&
      (only === undefined || only.has(name)),
  );
}

/**
 * The runs matching `query`, newest first (by id), at most `query.limit`.
 * `shards` maps schedule names to their runs, each sorted oldest first; each shard is
 * walked from its newest run and stops after `limit` matches, so a small page costs
 * O(limit × shards), not O(all history). `since`/`until` compare `scheduledAt`.
 */
export function selectRuns(
  shards: ReadonlyMap<string, readonly RunRecord[]>,
  query: RunQuery,
): RunRecord[] {
  const limit = query.limit === undefined ? Infinity : Math.max(0, Math.floor(query.limit));
  if (limit === 0) return [];
  const sources = selectScheduleNames(shards.keys(), query).map(
    (name) => shards.get(name) as readonly RunRecord[],
  );
  const found: RunRecord[] = [];
  for (const runs of sources) {
    let taken = 0;
    for (let index = runs.length - 1; index >= 0 && taken < limit; index -= 1) {
      const run = runs[index] as RunRecord;
      if (!matchesRunQuery(run, query)) continue;
      found.push(run);
      taken += 1;
    }
  }
  found.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return limit === Infinity ? found : found.slice(0, limit);
}
