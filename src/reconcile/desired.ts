// The two sides the reconciler compares: schedules wanted by the manifests, jobs the daemon runs.
import type { LoadedSchedule } from '../manifest/load.js';

/** One schedule as the manifests want it, with the fingerprint of the version that is wanted. */
export interface DesiredSchedule extends LoadedSchedule {
  /** fingerprint(metadata, spec): changes exactly when the job must be updated. */
  hash: string;
  /** Its file is invalid now and this is the last good version of it. */
  degraded: boolean;
  /**
   * Why its `after` cannot be followed (an upstream that is gone, a cycle, a chain too deep): it never
   * runs by `after`, only by its own times. Absent when its upstreams are all there (or it has none).
   */
  afterBlocked?: string;
}

/**
 * The desired schedule of `loaded`, its keys always in the same order. Not `{ ...loaded, hash }`: V8
 * (Node.js 20) gives every object made by a spread followed by more keys a hidden class of its own,
 * which costs hundreds of bytes per schedule.
 */
export function toDesiredSchedule(
  loaded: LoadedSchedule,
  hash: string,
  degraded: boolean,
  afterBlocked?: string,
): DesiredSchedule {
  const desired: DesiredSchedule = {
    name: loaded.name,
    file: loaded.file,
    line: loaded.line,
    metadata: loaded.metadata,
    spec: loaded.spec,
    compiled: loaded.compiled,
    hash,
    degraded,
  };
  if (afterBlocked !== undefined) desired.afterBlocked = afterBlocked;
  return desired;
}

/** Every wanted schedule, by name (a schedule is identified by its name, not by its file). */
export type DesiredState = ReadonlyMap<string, DesiredSchedule>;

/** What the reconciler needs to know about a job the daemon is running. */
export interface ActualJob {
  name: string;
  hash: string;
}

/** Every job the daemon runs, by name. */
export type ActualState = ReadonlyMap<string, ActualJob>;
