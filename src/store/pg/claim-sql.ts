// The claim statement: one per batch of fires, rows inserted in a fixed order (no deadlock between
// replicas racing for the same batch), refused when the instant is further ahead than maxLead by the
// database's clock.

/**
 * $1 schedules, $2 instants, $3 run ids, $4 triggers, $5 spec hashes (parallel arrays), $6 this replica,
 * $7 the largest head start allowed, in seconds. One row per input: whether this statement won it, and
 * whether it was refused as too early.
 */
export const CLAIM_SQL = `
with due as (
  select * from unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[])
    as d(schedule, scheduled_at, run_id, trigger, spec_hash)
), ins as (
  insert into cronops.fire_claim (schedule, scheduled_at, run_id, owner, trigger, spec_hash)
  select schedule, scheduled_at, run_id, $6, trigger, spec_hash from due
  where scheduled_at <= clock_timestamp() + make_interval(secs => $7)
  order by schedule, scheduled_at
  on conflict do nothing
  returning run_id
)
select d.run_id as "runId", (i.run_id is not null) as won,
       (d.scheduled_at > clock_timestamp() + make_interval(secs => $7)) as "tooEarly"
from due d left join ins i using (run_id)`;

/** After a statement whose acknowledgement was lost: which of these run ids hold their claim. $1 run ids. */
export const OWN_CLAIMS_SQL = `select run_id as "runId" from cronops.fire_claim where run_id = any($1::text[])`;

/** The database clock, in epoch milliseconds. */
export const DB_NOW_SQL = `select (extract(epoch from clock_timestamp()) * 1000)::float8 as now`;
