// How the HTTP API and the event stream show a run: named fields only, absent values as null, output tails on request.
import type { RunRecord, RunStatus, RunTrigger } from '../history/store.js';

/** One attempt of a run as the API shows it. */
export interface ApiAttempt {
  attempt: number;
  startedAt: string;
  finishedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  /** Why the attempt could not start or ended abnormally (spawn error, HTTP error). */
  error: string | null;
  /** The process group id while it ran. */
  pid: number | null;
  /** The bounded tail of combined stdout and stderr; only in `GET /api/v1/runs/{id}`. */
  outputTail?: string | null;
}

/** A run as the API shows it (`GET /api/v1/runs…`, the event stream). */
export interface ApiRun {
  id: string;
  schedule: string;
  trigger: RunTrigger;
  status: RunStatus;
  scheduledAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  reason: string | null;
  /** Which version of the manifest ran it. */
  specHash: string;
  /** For `missed` records: how many fires the gap held, and its first and last instants. */
  missed: { count: number; first: string; last: string } | null;
  attempts: ApiAttempt[];
  /** With `--store`: the replica that ran (or recorded) it. */
  replica?: string;
  /** Trigger `after` only: the run whose end started this one. */
  upstream?: { schedule: string; runId: string; status: string };
  /** Trigger `after` only: the id of the chain's first run (`/api/v1/runs?chain=ID`). */
  chainId?: string;
  /** Trigger `after` only: the chain's first run's scheduledAt. */
  logicalTime?: string;
}

/**
 * The API form of a run record. Copies named fields only, so nothing else a record may carry
 * reaches a client; `outputTails` adds each attempt's output tail (the single-run endpoint).
 */
export function buildApiRun(run: RunRecord, options: { outputTails: boolean }): ApiRun {
  return {
    id: run.id,
    schedule: run.schedule,
    trigger: run.trigger,
    status: run.status,
    scheduledAt: run.scheduledAt,
    startedAt: run.startedAt ?? null,
    finishedAt: run.finishedAt ?? null,
    durationMs: run.durationMs ?? null,
    reason: run.reason ?? null,
    specHash: run.specHash,
    missed: run.missed
      ? { count: run.missed.count, first: run.missed.first, last: run.missed.last }
      : null,
    attempts: run.attempts.map((attempt) => ({
      attempt: attempt.attempt,
      startedAt: attempt.startedAt,
      finishedAt: attempt.finishedAt ?? null,
      exitCode: attempt.exitCode ?? null,
      signal: attempt.signal ?? null,
      error: attempt.error ?? null,
      pid: attempt.pid ?? null,
      ...(options.outputTails ? { outputTail: attempt.outputTail ?? null } : {}),
    })),
    ...(run.replica !== undefined && { replica: run.replica }),
    ...(run.upstream !== undefined && { upstream: { ...run.upstream } }),
    ...(run.chainId !== undefined && { chainId: run.chainId }),
    ...(run.logicalTime !== undefined && { logicalTime: run.logicalTime }),
  };
}
