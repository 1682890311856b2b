// The history store's SQL and the mapping between rows and RunRecords / summaries: no connection here.
import {
  selectSummaryRuns,
  withoutOutputTails,
  createStatusCounts,
} from '../../history/summary.js';
import {
  RUN_STATUSES,
  type HistorySummary,
  type RetentionLimits,
  type RunQuery,
  type RunRecord,
  type RunStatus,
} from '../../history/store.js';

/** The channel every write notifies: payload {"r": replica, "s": schedule, "id": run id, "st": status}. */
export const RUN_CHANNEL = 'cronops_run';

/** A run as the write statement takes it (one element of the jsonb array $1). */
interface RunRow {
  id: string;
  schedule: string;
  scheduled_at: string;
  trigger: string;
  status: string;
  replica: string | null;
  record: RunRecord;
}

/**
 * Insert or replace runs (by id) and advance watermarks (never backwards), in one statement, and notify
 * the other replicas once per run / schedule. $1 runs (jsonb), $2 this replica, $3 schedules, $4 watermarks.
 */
export const WRITE_SQL = `
with input as (
  select * from jsonb_to_recordset($1::jsonb)
    as x(id text, schedule text, scheduled_at timestamptz, trigger text, status text, replica text, record jsonb)
), up as (
  insert into cronops.run as r (id, schedule, scheduled_at, trigger, status, replica, record)
  select id, schedule, scheduled_at, trigger, status, coalesce(replica, $2), record from input
  on conflict (id) do update set
    schedule = excluded.schedule, scheduled_at = excluded.scheduled_at, trigger = excluded.trigger,
    status = excluded.status, replica = excluded.replica, record = excluded.record,
    updated_at = clock_timestamp()
  returning r.schedule, r.id, r.status
), wm as (
  insert into cronops.schedule_state as s (schedule, watermark, watermark_by)
  select schedule, at, $2 from unnest($3::text[], $4::timestamptz[]) as w(schedule, at)
  on conflict (schedule) do update set
    watermark = greatest(s.watermark, excluded.watermark),
    watermark_by = case when s.watermark is null or excluded.watermark > s.watermark
                        then excluded.watermark_by else s.watermark_by end
  returning s.schedule
), events as (
  select json_build_object('r', $2::text, 's', schedule, 'id', id, 'st', status)::text as payload from up
  union all
  select json_build_object('r', $2::text, 's', schedule)::text from wm
)
select count(pg_notify('${RUN_CHANNEL}', payload))::int as notified from events`;

/** Retention by DELETE: $1 schedules, $2 successful limits, $3 failed limits (parallel arrays); $4 replica. */
export const PRUNE_SQL = `
with limits as (
  select * from unnest($1::text[], $2::int[], $3::int[]) as l(schedule, ok_limit, failed_limit)
), ranked as (
  select r.id, r.schedule, r.status, l.ok_limit, l.failed_limit,
         row_number() over (partition by r.schedule, (r.status = 'succeeded') order by r.id desc) as rank
  from cronops.run r join limits l using (schedule)
  where r.status not in ('pending', 'running')
), gone as (
  delete from cronops.run r using ranked k
  where r.id = k.id
    and ((k.status = 'succeeded' and k.rank > k.ok_limit)
      or (k.status <> 'succeeded' and k.rank > k.failed_limit))
  returning r.schedule
)
select schedule, count(*)::int as pruned,
       pg_notify('${RUN_CHANNEL}', json_build_object('r', $4::text, 's', schedule)::text) is not null as notified
from gone group by schedule`;

/** Per schedule and status: count, oldest and newest id. $1 schedules, or null for all. */
export const SUMMARY_COUNTS_SQL = `
select schedule, status, count(*)::int as n, min(id) as oldest, max(id) as newest
from cronops.run where $1::text[] is null or schedule = any($1)
group by schedule, status`;

/** The runs a summary keeps (see selectSummaryRuns), oldest first. $1 schedules, or null for all. */
export const SUMMARY_RUNS_SQL = `
select record, replica from (
  select id, status, record, replica,
    row_number() over (partition by schedule order by id desc) as rn_new,
    row_number() over (partition by schedule, status order by id desc) as rn_status,
    row_number() over (partition by schedule order by id) as rn_old
  from cronops.run where $1::text[] is null or schedule = any($1)
) t
where rn_new <= 2 or rn_status <= 2 or rn_old = 1 or status in ('pending', 'running')
order by id`;

/** Schedules with state or runs, and their watermarks. $1 schedules, or null for all. */
export const SCHEDULES_SQL = `
select schedule, max(watermark) as watermark from (
  select schedule, watermark from cronops.schedule_state
  union all
  select distinct schedule, null::timestamptz from cronops.run
) s where $1::text[] is null or schedule = any($1)
group by schedule order by schedule`;

/** One element of WRITE_SQL's $1. */
export function toRunRow(run: RunRecord): RunRow {
  return {
    id: run.id,
    schedule: run.schedule,
    scheduled_at: run.scheduledAt,
    trigger: run.trigger,
    status: run.status,
    replica: run.replica ?? null,
    record: run,
  };
}

/** A RunRecord from a row (`record` and the `replica` column). */
export function fromRunRow(row: { record: RunRecord; replica: string | null }): RunRecord {
  const run = row.record;
  if (run.replica === undefined && row.replica !== null) run.replica = row.replica;
  return run;
}

/** The statement and parameters for `listRuns` (newest first, by id). */
export function buildListRunsQuery(query: RunQuery): { text: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (clause: string, value: unknown): void => {
    values.push(value);
    where.push(clause.replace('?', `$${values.length}`));
  };
  if (query.schedule !== undefined) add('schedule = ?', query.schedule);
  if (query.schedules !== undefined) add('schedule = any(?)', [...query.schedules]);
  if (query.status !== undefined && query.status.length > 0) add('status = any(?)', query.status);
  if (query.since !== undefined) add('scheduled_at >= ?', query.since.toISOString());
  if (query.until !== undefined) add('scheduled_at < ?', query.until.toISOString());
  if (query.before !== undefined) add('id < ?', query.before);
  let text = `select record, replica from cronops.run${where.length > 0 ? ` where ${where.join(' and ')}` : ''} order by id desc`;
  if (query.limit !== undefined) {
    values.push(Math.max(0, Math.floor(query.limit)));
    text += ` limit $${values.length}`;
  }
  return { text, values };
}

/** Summaries by schedule from the rows of SUMMARY_COUNTS_SQL and SUMMARY_RUNS_SQL. */
export function buildSummaries(
  counts: readonly {
    schedule: string;
    status: string;
    n: number;
    oldest: string;
    newest: string;
  }[],
  runs: readonly RunRecord[],
): Map<string, HistorySummary> {
  const summaries = new Map<string, HistorySummary>();
  const get = (schedule: string): HistorySummary => {
    let summary = summaries.get(schedule);
    if (summary === undefined) {
      summary = { total: 0, counts: createStatusCounts(), runs: [] };
      summaries.set(schedule, summary);
    }
    return summary;
  };
  for (const row of counts) {
    const summary = get(row.schedule);
    if (!RUN_STATUSES.includes(row.status as RunStatus)) continue;
    summary.counts[row.status as RunStatus] += row.n;
    summary.total += row.n;
    if (summary.oldestId === undefined || row.oldest < summary.oldestId)
      summary.oldestId = row.oldest;
    if (summary.newestId === undefined || row.newest > summary.newestId)
      summary.newestId = row.newest;
  }
  const bySchedule = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const list = bySchedule.get(run.schedule) ?? [];
    list.push(run);
    bySchedule.set(run.schedule, list);
  }
  for (const [schedule, list] of bySchedule) {
    get(schedule).runs = selectSummaryRuns(list).map((run) => withoutOutputTails(run));
  }
  return summaries;
}

/** The retention limits as PRUNE_SQL's parallel arrays. */
export function toPruneParams(
  limits: ReadonlyMap<string, RetentionLimits>,
  replica: string,
): unknown[] {
  const entries = [...limits];
  return [
    entries.map(([schedule]) => schedule),
    entries.map(([, limit]) => Math.max(0, Math.floor(limit.successfulRunsLimit))),
    entries.map(([, limit]) => Math.max(0, Math.floor(limit.failedRunsLimit))),
    replica,
  ];
}
