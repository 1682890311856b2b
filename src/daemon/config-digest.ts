// The digest of a replica's loaded configuration: equal on two replicas exactly when they run the same
// versions of the same schedules (what the status compares during a rolling update).
import { createHash } from 'node:crypto';
import type { DesiredState } from '../reconcile/desired.js';

/** sha256 over each schedule's name and fingerprint, in name order; the first 16 hex digits. */
export function computeConfigDigest(jobs: DesiredState): string {
  const hash = createHash('sha256');
  for (const name of [...jobs.keys()].sort())
    hash.update(`${name}\0${jobs.get(name)?.hash ?? ''}\n`);
  return hash.digest('hex').slice(0, 16);
}
