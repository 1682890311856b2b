// Fixtures shared by the tests of the status inputs and of the status built in steps.
import type { RunRecord } from '../../src/history/store.js';
import type { DesiredSchedule } from '../../src/reconcile/desired.js';

/** A loaded schedule as the status reads it (only the fields the status looks at). */
export function statusJob(
  name: string,
  hash = 'h1',
  extra: Partial<DesiredSchedule['spec']> = {},
): DesiredSchedule {
  return {
    name,
    file: `/d/${name}.yaml`,
    line: 1,
    hash,
    degraded: false,
    metadata: { name, labels: { team: 'data' } },
    spec: {
      schedule: '0 3 * * *',
      timezone: 'UTC',
      suspend: false,
      concurrencyPolicy: 'Forbid',
      ...extra,
    },
    compiled: {},
  } as unknown as DesiredSchedule;
}

/** A run of `schedule` scheduled at 11:00 on 2026-11-22. */
export function statusRun(
  id: string,
  status: RunRecord['status'] = 'succeeded',
  schedule = 'a',
): RunRecord {
  return {
    id,
    schedule,
    trigger: 'schedule',
    scheduledAt: '2026-11-22T11:00:00.000Z',
    status,
    attempts: [],
    specHash: 'h1',
  } as RunRecord;
}

/**
 * An `upcoming` source: each schedule's next fires, 03:00 on 2026-11-23, as one array kept in `fires`
 * (the same array on every call, as UpcomingFires hands out, until a test replaces it).
 */
export function upcomingFrom(fires: Map<string, Date[]>): (job: DesiredSchedule) => Date[] {
  return (job) => {
    let list = fires.get(job.name);
    if (list === undefined) {
      list = [new Date('2026-11-23T03:00:00.000Z')];
      fires.set(job.name, list);
    }
    return list;
  };
}
