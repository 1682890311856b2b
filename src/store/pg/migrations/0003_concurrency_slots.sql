-- cronops store migration 3: concurrency policies and run-now requests across replicas.
-- compatible-since: 1
--
-- Additive: builds with store schema 1 or 2 keep working beside it (they do not take slots, so their
-- runs are not seen by the concurrency policies of newer replicas; docs/replicas.md).

-- One row per schedule whose concurrencyPolicy is Forbid, Queue or Replace: the run that holds it (running,
-- or about to start), and the fire waiting for it. Taken in the claim statement, atomically with the claim.
create table cronops.schedule_slot (
  schedule       text primary key,
  -- The run holding the schedule, and its replica. Null: free.
  run_id         text,
  owner          text,
  -- Renewed by the owner while its run is in progress; a slot not renewed for two leases is free again.
  renewed_at     timestamptz not null default clock_timestamp(),
  -- Queue: the fire queued behind the holder. Replace: the fire waiting for the holder to stop. The slot
  -- passes to it when the holder ends.
  next_run_id    text,
  next_owner     text,
  -- Replace: the holder's owner is asked to stop this run (it watches for its own runs here).
  cancel_run_id  text,
  cancel_reason  text
);
create index schedule_slot_by_owner on cronops.schedule_slot (owner) where run_id is not null;

-- Run now (HTTP trigger, `cronops trigger`): one run per request id, whichever replica is asked.
create table cronops.manual_request (
  request_id  text primary key,
  schedule    text not null,
  run_id      text not null,
  owner       text not null,
  claimed_at  timestamptz not null default clock_timestamp()
);

-- A `missed` record claims the last instant of its gap in fire_claim (trigger 'missed'); this is the
-- first instant it covers, so that a claim inside the gap is refused once the gap was decided.
alter table cronops.fire_claim add column covers_from timestamptz;
