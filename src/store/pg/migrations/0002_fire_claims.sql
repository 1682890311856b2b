-- cronops store migration 2: fire claims, so that several replicas fire each instant once.
-- compatible-since: 1
--
-- Additive: builds with store schema 1 keep working (they do not claim, so they must not run beside
-- replicas that do; docs/replicas.md).

-- THE guarantee: one claim per (schedule, instant) for schedule and catch-up fires. The replica whose
-- insert wins starts the process; the others drop the fire. Manual runs have keys of their own (run id).
create table cronops.fire_claim (
  schedule      text not null,
  scheduled_at  timestamptz not null,
  run_id        text not null unique,
  owner         text not null,
  trigger       text not null,
  spec_hash     text not null,
  claimed_at    timestamptz not null default clock_timestamp(),
  primary key (schedule, scheduled_at)
);
create index fire_claim_by_owner on cronops.fire_claim (owner, claimed_at);
