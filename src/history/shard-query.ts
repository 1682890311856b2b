// Answering run queries from the shards: summaries and id filters first, shard files only where needed.
import { probeId } from './id-filter.js';
import { selectRuns, selectScheduleNames } from './query.js';
import { findRun, mayHold, mayMatch, selectUpperBound, type Shard } from './shard-state.js';
import type { RunQuery, RunRecord } from './store.js';

/** Shards a query reads at once. */
const QUERY_READ_BATCH = 8;

/** A shard's runs: from memory, read from its file, or (when the file cannot be read) what memory holds. */
export type ReadRuns = (shard: Shard) => Promise<readonly RunRecord[]>;

/**
 * Newest first (by id), across the shards; reads only those that can hold the newest matches. `readRuns`
 * gives a shard's runs (read if they are not in memory).
 */
export async function listShardRuns(
  shards: ReadonlyMap<string, Shard>,
  query: RunQuery,
  readRuns: ReadRuns,
): Promise<RunRecord[]> {
  const limit = query.limit === undefined ? Infinity : Math.max(0, Math.floor(query.limit));
  if (limit === 0) return [];
  const pool =
    query.schedule === undefined && query.schedules === undefined
      ? [...shards.values()]
      : selectScheduleNames(shards.keys(), query).map((name) => shards.get(name)!);
  // Newest possible match first: once `limit` runs are found, a shard whose newest run is older
  // than all of them cannot change the answer, and neither can any after it.
  const candidates = pool
    .filter((shard) => mayMatch(shard, query))
    .map((shard) => ({ shard, bound: selectUpperBound(shard, query) }))
    .sort((a, b) => (a.bound < b.bound ? 1 : a.bound > b.bound ? -1 : 0));
  // Each batch is a map of shards: the schedule filter is already applied.
  const across: RunQuery = { ...query };
  delete across.schedule;
  delete across.schedules;
  let found: RunRecord[] = [];
  for (let start = 0; start < candidates.length; start += QUERY_READ_BATCH) {
    const first = candidates[start] as (typeof candidates)[number];
    const oldestFound = found[limit - 1];
    if (oldestFound !== undefined && first.bound < oldestFound.id) break;
    const batch = candidates.slice(start, start + QUERY_READ_BATCH);
    const runs = await Promise.all(batch.map(({ shard }) => readRuns(shard)));
    const shards = new Map(batch.map(({ shard }, index) => [shard.name, runs[index] ?? []]));
    found = found.concat(selectRuns(shards, across));
    found.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    if (found.length > limit) found.length = limit;
  }
  return found;
}

/** One run with its output tails; `schedule`, when known, spares looking through the other shards. */
export async function findShardRun(
  shards: ReadonlyMap<string, Shard>,
  id: string,
  options: { schedule?: string },
  readRuns: ReadRuns,
): Promise<RunRecord | undefined> {
  const probe = probeId(id);
  const pool =
    options.schedule === undefined
      ? shards.values()
      : [shards.get(options.schedule)].filter((shard) => shard !== undefined);
  const named: Shard[] = [];
  const maybe: Shard[] = [];
  for (const shard of pool) {
    if (shard.runs !== undefined) {
      const run = findRun(shard.runs, id);
      if (run !== undefined) return run;
      continue;
    }
    const pending = shard.pending.find((run) => run.id === id);
    if (pending !== undefined) return pending;
    if (!mayHold(shard, id, probe)) continue;
    if (shard.summary.runs.some((run) => run.id === id)) named.push(shard);
    else maybe.push(shard);
  }
  // The summaries name the run in the common case (a recent run); else the id filters narrow the shards
  // down to the one that holds it and, rarely, a false "maybe".
  for (const shard of [...named, ...maybe]) {
    const run = findRun(await readRuns(shard), id);
    if (run !== undefined) return run;
  }
  return undefined;
}

/** Whether the shard holds the run; answered from memory unless only the file can tell. */
export async function holdsRun(
  shard: Shard | undefined,
  id: string,
  readRuns: ReadRuns,
): Promise<boolean> {
  if (shard === undefined) return false;
  if (shard.runs !== undefined) return findRun(shard.runs, id) !== undefined;
  if (shard.pending.some((run) => run.id === id)) return true;
  if (!mayHold(shard, id, probeId(id))) return false;
  if (shard.summary.runs.some((run) => run.id === id)) return true;
  return findRun(await readRuns(shard), id) !== undefined;
}
