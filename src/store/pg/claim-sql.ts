// The claim statement: one per batch of fires, rows inserted in a fixed order (no deadlock between
// replicas racing for the same batch), refused when the instant is further ahead than maxLead by the
// database's clock. A won fire of a Forbid/Queue/Replace schedule takes the schedule's slot in the same
// statement when it is free, so that "may this fire start" is decided atomically with the claim.

/** A slot (row `s`) that a new fire may take: free, or held without renewal for $9 seconds and nobody waiting. */
const SLOT_FREE = `(s.run_id is null or (s.next_run_id is null and s.renewed_at < clock_timestamp() - make_interval(secs => $9)))`;

/**
 * $1 schedules, $2 instants, $3 run ids, $4 triggers, $5 spec hashes, $8 concurrency policies (parallel
 * arrays), $6 this replica, $7 the largest head start allowed, in seconds, $9 how long a slot that is not
 * renewed stays held (two leases), in seconds. One row per input: whether this statement won it, whether
 * it was refused as too early, and the slot of its schedule after the statement (null for Allow).
 */
export const CLAIM_SQL = `
with due as (
  select * from unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $8::text[])
    as d(schedule, scheduled_at, run_id, trigger, spec_hash, policy)
), ins as (
  insert into cronops.fire_claim (schedule, scheduled_at, run_id, owner, trigger, spec_hash)
  select schedule, scheduled_at, run_id, $6, trigger, spec_hash from due
  where scheduled_at <= clock_timestamp() + make_interval(secs => $7)
    and not exists (
      select 1 from cronops.fire_claim m
      where m.schedule = due.schedule and m.trigger = 'missed'
        and due.scheduled_at between m.covers_from and m.scheduled_at)
  order by schedule, scheduled_at
  on conflict do nothing
  returning run_id, schedule, scheduled_at
), slot as (
  insert into cronops.schedule_slot as s (schedule, run_id, owner)
  select distinct on (i.schedule) i.schedule, i.run_id, $6 from ins i join due d using (run_id)
  where d.policy <> 'Allow'
  order by i.schedule, i.scheduled_at
  on conflict (schedule) do update set
    run_id = case when ${SLOT_FREE} then excluded.run_id else s.run_id end,
    owner = case when ${SLOT_FREE} then excluded.owner else s.owner end,
    renewed_at = case when ${SLOT_FREE} then clock_timestamp() else s.renewed_at end
  returning s.schedule, s.run_id, s.owner, s.next_run_id, s.next_owner
)
select d.run_id as "runId", (i.run_id is not null) as won,
       (d.scheduled_at > clock_timestamp() + make_interval(secs => $7)) as "tooEarly",
       sl.run_id as "slotRunId", sl.owner as "slotOwner",
       sl.next_run_id as "slotNextRunId", sl.next_owner as "slotNextOwner"
from due d left join ins i using (run_id) left join slot sl on sl.schedule = d.schedule`;

/** After a statement whose acknowledgement was lost: which of these run ids hold their claim. $1 run ids. */
export const OWN_CLAIMS_SQL = `select run_id as "runId" from cronops.fire_claim where run_id = any($1::text[])`;

/** The database clock, in epoch milliseconds. */
export const DB_NOW_SQL = `select (extract(epoch from clock_timestamp()) * 1000)::float8 as now`;

/**
 * Run now with a request id: the first claim of $1 wins ($2 schedule, $3 run id, $4 replica). Returns the
 * run that holds the request: this one when it won, the earlier one otherwise (also after a lost
 * acknowledgement of our own insert: the run id tells). The no-op update, unlike `do nothing` and a
 * second read, returns the row committed by a racing replica (a read would use the statement's snapshot).
 */
export const REQUEST_CLAIM_SQL = `
insert into cronops.manual_request as m (request_id, schedule, run_id, owner)
values ($1, $2, $3, $4)
on conflict (request_id) do update set request_id = m.request_id
returning m.run_id as "runId", m.owner as replica`;

/** Claims and missed records read for one gap at most (a gap holding more is not recorded missed). */
export const HELD_LIMIT = 10_000;

/** Advisory lock class under which one schedule's gaps are decided one at a time (with the schedule's hash). */
export const GAP_LOCK_CLASS = 471_100_002;

/**
 * What of schedule $1's gap [$2, $3] is held already: claimed instants (`from` = `to`) and the ranges of
 * `missed` records overlapping it. Read inside a transaction holding the schedule's gap lock; at most
 * HELD_LIMIT + 1 rows.
 */
export const HELD_IN_GAP_SQL = `
select coalesce(covers_from, scheduled_at) as "from", scheduled_at as "to"
from cronops.fire_claim
where schedule = $1 and scheduled_at >= $2::timestamptz
  and (scheduled_at <= $3::timestamptz or (trigger = 'missed' and covers_from <= $3::timestamptz))
order by scheduled_at
limit ${HELD_LIMIT + 1}`;

/**
 * A `missed` record for the gap [$2, $3] of schedule $1 ($4 its run id, $5 this replica, $6 spec hash),
 * narrowed already to what nobody holds (HELD_IN_GAP_SQL): claims the gap's last instant, covering the
 * gap from its first. Refused only when that instant was claimed since the read.
 */
export const MISSED_CLAIM_SQL = `
insert into cronops.fire_claim (schedule, scheduled_at, run_id, owner, trigger, spec_hash, covers_from)
values ($1, $3::timestamptz, $4, $5, 'missed', $6, $2::timestamptz)
on conflict do nothing
returning run_id`;
