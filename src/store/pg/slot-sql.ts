// The statements on a schedule's concurrency slot after its claim: taking it at the instant, queueing
// behind its holder (Queue), asking the holder's replica to stop it (Replace), renewing, releasing it, and
// the look each replica takes at the slots it holds or waits for. A slot not renewed for two leases is free.

/** Columns of a slot as the ledger reads them. */
const VIEW = `s.schedule, s.run_id as "runId", s.owner, s.next_run_id as "nextRunId",
  s.next_owner as "nextOwner", s.cancel_run_id as "cancelRunId", s.cancel_reason as "cancelReason",
  (s.renewed_at < clock_timestamp() - make_interval(secs => $4)) as expired`;

/** Whether the slot (row `s`) may go to run $2: free, its own, or held by nobody renewing it for $4 s. */
const TAKEABLE = `(s.run_id is null or s.run_id = $2
  or ((s.next_run_id is null or s.next_run_id = $2)
      and s.renewed_at < clock_timestamp() - make_interval(secs => $4)))`;

/**
 * Take the slot for run $2 of replica $3 when it is free, held by nobody renewing it for $4 seconds (and
 * nobody else waits), or this run is the one waiting for it. $1 the schedule. Returns the slot after: the
 * update is a no-op when the slot is not takeable, so that the row comes back locked and current (a
 * second read would use the statement's snapshot and could miss a row a racing replica just wrote).
 */
export const SLOT_TAKE_SQL = `
insert into cronops.schedule_slot as s (schedule, run_id, owner) values ($1, $2, $3)
on conflict (schedule) do update set
  run_id = case when ${TAKEABLE} then excluded.run_id else s.run_id end,
  owner = case when ${TAKEABLE} then excluded.owner else s.owner end,
  renewed_at = case when ${TAKEABLE} then clock_timestamp() else s.renewed_at end,
  next_run_id = case when ${TAKEABLE} and s.next_run_id = excluded.run_id then null
                     else s.next_run_id end,
  next_owner = case when ${TAKEABLE} and s.next_run_id = excluded.run_id then null
                    else s.next_owner end,
  cancel_run_id = case when ${TAKEABLE} then null else s.cancel_run_id end,
  cancel_reason = case when ${TAKEABLE} then null else s.cancel_reason end
returning ${VIEW}`;

/** Queue run $2 of replica $3 behind the holder of $1's slot, unless another fire is queued already. */
export const SLOT_QUEUE_SQL = `
update cronops.schedule_slot set next_run_id = $2, next_owner = $3
where schedule = $1 and run_id is not null and (next_run_id is null or next_run_id = $2)
returning run_id as "runId"`;

/**
 * Replace: run $2 of replica $3 waits for the holder of $1's slot, whose replica is asked to stop it ($4 the
 * reason). A fire that was waiting already is displaced (it is replaced before it started).
 */
export const SLOT_REPLACE_SQL = `
with old as (select next_run_id from cronops.schedule_slot where schedule = $1 for update)
update cronops.schedule_slot s set next_run_id = $2, next_owner = $3,
  cancel_run_id = s.run_id, cancel_reason = $4
from old
where s.schedule = $1 and s.run_id is not null
returning s.run_id as "runId", s.owner, old.next_run_id as "displaced"`;

/**
 * Runs ended (or waiting fires were dropped): each slot passes to the fire waiting for it, or becomes free;
 * a fire that was waiting stops waiting. $1 schedules, $2 run ids (parallel; one run per schedule). Rows
 * are locked in a fixed order, as the claim statement locks them.
 */
export const SLOT_RELEASE_SQL = `
with r as (select * from unnest($1::text[], $2::text[]) as r(schedule, run_id)),
locked as (
  select s.schedule from cronops.schedule_slot s join r using (schedule)
  order by s.schedule for update of s)
update cronops.schedule_slot s set
  run_id = case when s.run_id = r.run_id then s.next_run_id else s.run_id end,
  owner = case when s.run_id = r.run_id then s.next_owner else s.owner end,
  renewed_at = case when s.run_id = r.run_id then clock_timestamp() else s.renewed_at end,
  next_run_id = null, next_owner = null,
  cancel_run_id = case when s.run_id = r.run_id then null else s.cancel_run_id end,
  cancel_reason = case when s.run_id = r.run_id then null else s.cancel_reason end
from r
where s.schedule = r.schedule and s.schedule in (select schedule from locked)
  and (s.run_id = r.run_id or s.next_run_id = r.run_id)
returning s.schedule`;

/** Renew the slots that replica $1 holds for runs $2 (locked in a fixed order: no deadlock with claims). */
export const SLOT_RENEW_SQL = `
update cronops.schedule_slot s set renewed_at = clock_timestamp()
where s.schedule in (
  select schedule from cronops.schedule_slot
  where owner = $1 and run_id = any($2::text[])
  order by schedule for update)`;

/** The slots replica $1 holds or waits for: stop requests for its runs, and the turn of its waiting fires. */
export const SLOT_WATCH_SQL = `
select ${VIEW.replaceAll('$4', '$2')} from cronops.schedule_slot s
where s.owner = $1 or s.next_owner = $1 or s.next_run_id = any($3::text[])`;
