// The reaper's statements: runs and claims of replicas whose heartbeat expired become `interrupted`.
// Idempotent, so every replica may run them. $1 the lease (interval), $2 the reaping replica.

/** A replica that is gone: no row, or a heartbeat older than the lease. */
const GONE = `(r_owner is null or not exists (
  select 1 from cronops.replica p where p.id = r_owner and p.heartbeat_at >= clock_timestamp() - $1::interval))`;

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

export const REAP_RUNS_SQL = `
with gone as (
  update cronops.run r set
    status = 'interrupted',
    record = r.record || jsonb_build_object(
      'status', 'interrupted',
      'finishedAt', to_char(clock_timestamp() at time zone 'UTC', ${ISO}),
      'reason', 'replica ' || coalesce(r.replica, '(unknown)') || ' stopped renewing its heartbeat; ' ||
                'the process may still be running on its host, and is not run again (reaped by ' || $2 || ')'),
    updated_at = clock_timestamp()
  where r.status in ('running', 'pending')
    and ${GONE.replaceAll('r_owner', 'r.replica')}
    and r.updated_at < clock_timestamp() - $1::interval
  returning r.id, r.schedule, r.replica, r.status
)
select id, schedule, replica,
       pg_notify('cronops_run', json_build_object('r', $2::text, 's', schedule, 'id', id, 'st', status)::text)
from gone`;

/** Claims of gone replicas with no run row: the fire may have started; record it, never re-run it. */
export const REAP_CLAIMS_SQL = `
with orphan as (
  select c.* from cronops.fire_claim c
  where c.claimed_at < clock_timestamp() - $1::interval
    and not exists (select 1 from cronops.run r where r.id = c.run_id)
    and ${GONE.replaceAll('r_owner', 'c.owner')}
  order by c.schedule, c.scheduled_at
  for update of c skip locked
), ins as (
  insert into cronops.run (id, schedule, scheduled_at, trigger, status, replica, record)
  select run_id, schedule, scheduled_at, trigger, 'interrupted', owner, jsonb_build_object(
      'id', run_id, 'schedule', schedule, 'trigger', trigger,
      'scheduledAt', to_char(scheduled_at at time zone 'UTC', ${ISO}),
      'status', 'interrupted', 'attempts', '[]'::jsonb, 'specHash', spec_hash, 'replica', owner,
      'finishedAt', to_char(clock_timestamp() at time zone 'UTC', ${ISO}),
      'reason', 'replica ' || owner || ' claimed this fire and stopped before recording it; ' ||
                'the run may have started, and is not run again (reaped by ' || $2 || ')')
  from orphan
  on conflict (id) do nothing
  returning id, schedule, status
)
select id as run_id,
       pg_notify('cronops_run', json_build_object('r', $2::text, 's', schedule, 'id', id, 'st', status)::text)
from ins`;
