-- cronops store migration 1: shared history, schedule watermarks, replicas.
-- compatible-since: 1
--
-- Migrations are additive (expand, then contract in a later release). The "compatible-since" line above
-- is the oldest code schema version that still works once this migration is applied: an additive
-- migration keeps the previous value, a contracting one raises it (docs/design/store-migrations.md).

-- One row per replica process: membership, heartbeat, loaded configuration (shown on /status).
create table cronops.replica (
  id             text primary key,
  host           text not null,
  pid            integer not null,
  version        text not null,
  config_digest  text,
  started_at     timestamptz not null default clock_timestamp(),
  heartbeat_at   timestamptz not null default clock_timestamp(),
  -- The replica's clock minus the database's, as last measured by the replica.
  clock_offset_ms double precision
);

-- Per schedule: the scheduled instant of the last fire handled (run, skipped or missed).
create table cronops.schedule_state (
  schedule      text primary key,
  known_since   timestamptz not null default clock_timestamp(),
  watermark     timestamptz,
  watermark_by  text
);

-- History: one row per run. `record` is the RunRecord as the daemon wrote it; the columns beside it are
-- what queries filter and sort on, kept equal to the record's fields by every write.
create table cronops.run (
  id            text primary key,
  schedule      text not null,
  scheduled_at  timestamptz not null,
  trigger       text not null,
  status        text not null,
  replica       text,
  record        jsonb not null,
  updated_at    timestamptz not null default clock_timestamp()
);
create index run_by_schedule on cronops.run (schedule, id desc);
create index run_by_status on cronops.run (status, id desc);
create index run_active on cronops.run (schedule) where status in ('pending', 'running');
