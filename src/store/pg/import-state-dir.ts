// `cronops store import`: a single node's history and watermarks copied into PostgreSQL, idempotently,
// so that catch-up continues across the cut-over.
import type pg from 'pg';
import { createFireJournal } from '../../history/journal.js';
import { readHistoryOffline } from '../../history/read-offline.js';
import type { RunRecord } from '../../history/store.js';
import { SchedulerError } from '../../shared/errors.js';
import { inTransaction } from './connection.js';
import { toRunRow } from './history-sql.js';

/** Runs inserted per statement. */
const BATCH = 500;

const IMPORT_RUNS_SQL = `
insert into cronops.run (id, schedule, scheduled_at, trigger, status, replica, record)
select id, schedule, scheduled_at, trigger, status, replica, record
from jsonb_to_recordset($1::jsonb)
  as x(id text, schedule text, scheduled_at timestamptz, trigger text, status text, replica text, record jsonb)
on conflict (id) do nothing
returning id`;

const IMPORT_WATERMARKS_SQL = `
insert into cronops.schedule_state as s (schedule, watermark, watermark_by)
select schedule, at, 'import' from unnest($1::text[], $2::timestamptz[]) as w(schedule, at)
on conflict (schedule) do update set
  watermark = greatest(s.watermark, excluded.watermark),
  watermark_by = case when s.watermark is null or excluded.watermark > s.watermark
                      then 'import' else s.watermark_by end
returning schedule`;

/** What an import did. */
export interface ImportResult {
  schedules: number;
  /** Runs inserted now. */
  inserted: number;
  /** Runs the store held already (an import run again). */
  present: number;
  /** Fires the journal held without a run: recorded `interrupted`, never run again. */
  recoveredFromJournal: number;
  /** Schedules whose watermark was written (advanced or kept). */
  watermarks: number;
  /** Files of the state directory that could not be read and were skipped. */
  warnings: string[];
}

/** Copy `<stateDir>/history` and the fire journal's watermarks into the store, in one transaction. */
export async function importStateDir(pool: pg.Pool, stateDir: string): Promise<ImportResult> {
  const history = await readHistoryOffline(stateDir);
  if (!history.exists) {
    throw new SchedulerError(
      'HISTORY_READ_FAILED',
      `no history in ${stateDir} (${history.historyDir} does not exist; is --state-dir right?)`,
      { file: history.historyDir },
    );
  }
  const runs: RunRecord[] = history.schedules.flatMap((name) => [...history.runs(name)]);
  const watermarks = new Map<string, string>();
  const advance = (schedule: string, at: string | undefined): void => {
    const known = watermarks.get(schedule);
    if (at !== undefined && (known === undefined || Date.parse(known) < Date.parse(at)))
      watermarks.set(schedule, at);
  };
  for (const name of history.schedules) advance(name, history.lastScheduledAt(name));
  // A daemon that was killed may have started fires its history does not hold: they count as run.
  const journal = createFireJournal(stateDir);
  const known = new Set(runs.map((run) => run.id));
  let recovered = 0;
  try {
    for (const intent of await journal.readPending()) {
      if (intent.trigger !== 'manual') advance(intent.schedule, intent.scheduledAt);
      if (intent.settled || known.has(intent.runId)) continue;
      known.add(intent.runId);
      recovered += 1;
      runs.push({
        id: intent.runId,
        schedule: intent.schedule,
        trigger: intent.trigger,
        scheduledAt: intent.scheduledAt,
        status: 'interrupted',
        reason:
          'found in the fire journal at import: the daemon stopped at the moment of this fire; the run may have started, and is not run again',
        attempts: [],
        specHash: intent.specHash,
      });
    }
  } finally {
    await journal.close();
  }
  const inserted = await inTransaction(pool, async (client) => {
    let count = 0;
    for (let start = 0; start < runs.length; start += BATCH) {
      const batch = runs.slice(start, start + BATCH).map(toRunRow);
      count += (await client.query(IMPORT_RUNS_SQL, [JSON.stringify(batch)])).rowCount ?? 0;
    }
    const entries = [...watermarks];
    await client.query(IMPORT_WATERMARKS_SQL, [
      entries.map(([s]) => s),
      entries.map(([, at]) => at),
    ]);
    await client.query("select pg_notify('cronops_run', json_build_object('r', 'import')::text)");
    return count;
  });
  return {
    schedules: new Set([...history.schedules, ...watermarks.keys()]).size,
    inserted,
    present: runs.length - inserted,
    recoveredFromJournal: recovered,
    watermarks: watermarks.size,
    warnings: history.warnings,
  };
}
