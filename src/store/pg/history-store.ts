// The HistoryStore on PostgreSQL: runs and watermarks in tables shared by every replica; summaries kept in
// memory and refreshed from LISTEN/NOTIFY; writes batched into one statement, retried while the database
// is unreachable (and shown by reads meanwhile); retention per schedule by DELETE.
import type pg from 'pg';
import { pino } from 'pino';
import { matchesRunQuery, selectScheduleNames } from '../../history/query.js';
import {
  addToSummary,
  copyRun,
  createEmptySummary,
  exceedsRetention,
} from '../../history/summary.js';
import {
  DEFAULT_RETENTION,
  compareRunIds,
  type HistoryHealth,
  type HistoryStore,
  type HistorySummary,
  type RetentionLimits,
  type RunQuery,
  type RunRecord,
} from '../../history/store.js';
import type { Logger } from '../../shared/logger.js';
import { inTransaction, toStoreError } from './connection.js';
import {
  PRUNE_SQL,
  RUN_CHANNEL,
  SCHEDULES_SQL,
  SUMMARY_COUNTS_SQL,
  SUMMARY_RUNS_SQL,
  WRITE_SQL,
  buildListRunsQuery,
  buildSummaries,
  fromRunRow,
  toPruneParams,
  toRunRow,
} from './history-sql.js';
import { createNotifyListener, type NotifyListener } from './notify-listener.js';

export interface PgHistoryStoreOptions {
  /** The pool the store queries through (owned by the caller, who ends it after close()). */
  pool: pg.Pool;
  /** The connection string, for the LISTEN connection and to keep its password out of messages. */
  url: string;
  /** Stamped on the runs this store writes, and on its notifications. */
  replicaId: string;
  /** @default a silent logger */
  logger?: Logger;
  /** First retry delay after a failed write, doubled up to 5 s. @default 250 */
  retryIntervalMs?: number;
  /** How long notifications are gathered before the summaries they name are read again. @default 25 */
  refreshDelayMs?: number;
}

/** The PostgreSQL store: the HistoryStore contract, plus being told about other replicas' runs. */
export interface PgHistoryStore extends HistoryStore {
  /** Be told of each run another replica wrote (for live events across replicas). */
  subscribeRemoteRuns(listener: (event: RemoteRunEvent) => void): () => void;
}

/** A run written by another replica, as its notification names it. */
export interface RemoteRunEvent {
  replica: string;
  schedule: string;
  runId: string;
  status: string;
}

interface PendingRun {
  run: RunRecord;
  waiters: (() => void)[];
}

const MAX_RETRY_MS = 5000;
const EMPTY = Object.freeze(createEmptySummary());

export function createPgHistoryStore(options: PgHistoryStoreOptions): PgHistoryStore {
  return new PostgresHistoryStore(options);
}

class PostgresHistoryStore implements PgHistoryStore {
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #replica: string;
  readonly #logger: Logger;
  readonly #retryMs: number;
  readonly #refreshDelayMs: number;
  readonly #summaries = new Map<string, HistorySummary>();
  readonly #watermarks = new Map<string, string>();
  readonly #retention = new Map<string, RetentionLimits>();
  readonly #listeners = new Set<(schedule: string) => void>();
  readonly #remoteListeners = new Set<(event: RemoteRunEvent) => void>();
  /** Runs not yet in the database, by id, in the order recorded. */
  readonly #pendingRuns = new Map<string, PendingRun>();
  /** Watermarks not yet in the database. */
  readonly #pendingWatermarks = new Map<string, string>();
  /** Schedules whose retention must be applied. */
  readonly #pruneDue = new Set<string>();
  /** Schedules named by notifications, read again after refreshDelayMs. */
  readonly #refreshDue = new Set<string>();
  #refreshAll = false;
  #refreshTimer: NodeJS.Timeout | undefined;
  #listener: NotifyListener | undefined;
  #writing: Promise<void> | undefined;
  #writeQueued = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelay: number;
  #writable = true;
  #lastError: string | undefined;
  #closed = false;

  constructor(options: PgHistoryStoreOptions) {
    this.#pool = options.pool;
    this.#url = options.url;
    this.#replica = options.replicaId;
    this.#logger = options.logger ?? pino({ enabled: false });
    this.#retryMs = options.retryIntervalMs ?? 250;
    this.#retryDelay = this.#retryMs;
    this.#refreshDelayMs = options.refreshDelayMs ?? 25;
  }

  async open(): Promise<{ schedules: string[]; corrupt: HistoryHealth['corrupt'] }> {
    this.#listener = createNotifyListener({
      url: this.#url,
      channel: RUN_CHANNEL,
      logger: this.#logger,
      onNotify: (payload) => this.#onNotify(payload),
      // Notifications sent while it was away are lost: read everything again.
      onConnected: () => this.#queueRefresh(undefined),
    });
    try {
      await this.#listener.start();
      await this.#refresh(undefined);
    } catch (error) {
      await this.#listener.close();
      throw toStoreError('cannot open the history store', error, this.#url);
    }
    return { schedules: [...this.#summaries.keys()].sort(), corrupt: [] };
  }

  recordRun(
    run: RunRecord,
    options: { durable?: boolean; lastScheduledAt?: string } = {},
  ): Promise<void> {
    const record = copyRun(run);
    // Each run names the replica that recorded it (kept when another replica finishes it later).
    if (record.replica === undefined) record.replica = this.#replica;
    const summary = this.#summaries.get(record.schedule) ?? createEmptySummary();
    this.#summaries.set(record.schedule, addToSummary(summary, record));
    if (options.lastScheduledAt !== undefined)
      this.#advanceWatermark(record.schedule, options.lastScheduledAt);
    const previous = this.#pendingRuns.get(record.id);
    this.#pendingRuns.delete(record.id);
    const pending: PendingRun = { run: record, waiters: previous?.waiters ?? [] };
    this.#pendingRuns.set(record.id, pending);
    if (record.status !== 'pending' && record.status !== 'running')
      this.#pruneDue.add(record.schedule);
    return this.#commit(pending, options.durable === true);
  }

  lastScheduledAt(schedule: string): string | undefined {
    return this.#watermarks.get(schedule);
  }

  setLastScheduledAt(
    schedule: string,
    at: string,
    options: { durable?: boolean } = {},
  ): Promise<void> {
    this.#advanceWatermark(schedule, at);
    if (!this.#summaries.has(schedule)) this.#summaries.set(schedule, createEmptySummary());
    return this.#commit(undefined, options.durable === true);
  }

  setRetention(schedule: string, limits: RetentionLimits): void {
    this.#retention.set(schedule, { ...limits });
    const summary = this.#summaries.get(schedule);
    if (summary !== undefined && exceedsRetention(summary, limits)) {
      this.#pruneDue.add(schedule);
      void this.#commit(undefined, false);
    }
  }

  summary(schedule: string): HistorySummary {
    return this.#summaries.get(schedule) ?? EMPTY;
  }

  async runs(schedule: string): Promise<readonly RunRecord[]> {
    const rows = await this.#query<{ record: RunRecord; replica: string | null }>(
      'select record, replica from cronops.run where schedule = $1 order by id desc',
      [schedule],
    );
    const runs = this.#overlay(rows.map(fromRunRow), { schedule });
    return runs.reverse();
  }

  async listRuns(query: RunQuery): Promise<RunRecord[]> {
    if (query.limit !== undefined && query.limit <= 0) return [];
    const { text, values } = buildListRunsQuery(query);
    const rows = await this.#query<{ record: RunRecord; replica: string | null }>(text, values);
    const runs = this.#overlay(rows.map(fromRunRow), query);
    return query.limit === undefined ? runs : runs.slice(0, Math.floor(query.limit));
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const pending = this.#pendingRuns.get(id);
    if (pending !== undefined) return copyRun(pending.run);
    const rows = await this.#query<{ record: RunRecord; replica: string | null }>(
      'select record, replica from cronops.run where id = $1',
      [id],
    );
    return rows[0] === undefined ? undefined : fromRunRow(rows[0]);
  }

  async hasRun(schedule: string, id: string): Promise<boolean> {
    if (this.#pendingRuns.get(id)?.run.schedule === schedule) return true;
    if (this.#summaries.get(schedule)?.runs.some((run) => run.id === id)) return true;
    const rows = await this.#query('select 1 from cronops.run where schedule = $1 and id = $2', [
      schedule,
      id,
    ]);
    return rows.length > 0;
  }

  subscribe(listener: (schedule: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  subscribeRemoteRuns(listener: (event: RemoteRunEvent) => void): () => void {
    this.#remoteListeners.add(listener);
    return () => this.#remoteListeners.delete(listener);
  }

  health(): HistoryHealth {
    return {
      writable: this.#writable,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      pendingWrites: this.#pendingRuns.size + this.#pendingWatermarks.size,
      corrupt: [],
    };
  }

  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    if (this.#hasWork()) await this.#startWrite();
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#refreshTimer);
    await this.#listener?.close();
    // Whoever still waits for a durable write that cannot happen any more is released.
    for (const pending of this.#pendingRuns.values()) pending.waiters.splice(0).forEach((w) => w());
  }

  #advanceWatermark(schedule: string, at: string): void {
    const known = this.#watermarks.get(schedule);
    if (known === undefined || Date.parse(known) < Date.parse(at))
      this.#watermarks.set(schedule, at);
    const queued = this.#pendingWatermarks.get(schedule);
    if (queued === undefined || Date.parse(queued) < Date.parse(at))
      this.#pendingWatermarks.set(schedule, at);
  }

  /** Resolves after the write that takes this change: once written if durable, else once attempted. */
  #commit(pending: PendingRun | undefined, durable: boolean): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const written =
      durable && pending !== undefined
        ? new Promise<void>((resolve) => pending.waiters.push(resolve))
        : undefined;
    const attempted = this.#startWrite();
    return written ?? attempted;
  }

  #hasWork(): boolean {
    return (
      this.#pendingRuns.size > 0 || this.#pendingWatermarks.size > 0 || this.#pruneDue.size > 0
    );
  }

  /** One write loop at a time; changes made while it writes go in its next round. */
  #startWrite(): Promise<void> {
    if (this.#writing !== undefined) {
      this.#writeQueued = true;
      return this.#writing;
    }
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const writing = this.#writeLoop().finally(() => {
      this.#writing = undefined;
    });
    this.#writing = writing;
    return writing;
  }

  async #writeLoop(): Promise<void> {
    // Let the records of this turn of the event loop join one statement.
    await new Promise<void>((resolve) => setImmediate(resolve));
    do {
      this.#writeQueued = false;
      const ok = await this.#writeOnce();
      if (!ok) {
        this.#scheduleRetry();
        return;
      }
    } while (this.#writeQueued || this.#hasWork());
  }

  async #writeOnce(): Promise<boolean> {
    const runs = [...this.#pendingRuns.values()];
    const watermarks = [...this.#pendingWatermarks];
    const prune = new Map(
      [...this.#pruneDue].map((schedule) => [
        schedule,
        this.#retention.get(schedule) ?? DEFAULT_RETENTION,
      ]),
    );
    try {
      if (runs.length > 0 || watermarks.length > 0) {
        await this.#pool.query(WRITE_SQL, [
          JSON.stringify(runs.map((pending) => toRunRow(pending.run))),
          this.#replica,
          watermarks.map(([schedule]) => schedule),
          watermarks.map(([, at]) => at),
        ]);
      }
      // Only what was written leaves the queues: a record replaced meanwhile is written next round.
      for (const pending of runs) {
        if (this.#pendingRuns.get(pending.run.id) === pending)
          this.#pendingRuns.delete(pending.run.id);
        pending.waiters.splice(0).forEach((resolve) => resolve());
      }
      for (const [schedule, at] of watermarks) {
        if (this.#pendingWatermarks.get(schedule) === at) this.#pendingWatermarks.delete(schedule);
      }
      for (const schedule of prune.keys()) this.#pruneDue.delete(schedule);
      const pruned =
        prune.size > 0
          ? (
              await this.#pool.query<{ schedule: string }>(
                PRUNE_SQL,
                toPruneParams(prune, this.#replica),
              )
            ).rows
          : [];
      const touched = new Set([...runs.map((p) => p.run.schedule), ...prune.keys()]);
      if (touched.size > 0) await this.#refresh([...touched]);
      for (const { schedule } of pruned) this.#emit(schedule);
      if (!this.#writable) this.#logger.info('history store writable again');
      this.#writable = true;
      this.#lastError = undefined;
      this.#retryDelay = this.#retryMs;
      return true;
    } catch (error) {
      for (const schedule of prune.keys()) this.#pruneDue.add(schedule);
      const failure = toStoreError('cannot write history', error, this.#url);
      if (this.#writable) {
        this.#logger.error(
          { err: failure, pending: this.#pendingRuns.size },
          'history not written; kept in memory and retried',
        );
      }
      this.#writable = false;
      this.#lastError = failure.message;
      return false;
    }
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#startWrite();
    }, this.#retryDelay);
    this.#retryTimer.unref();
    this.#retryDelay = Math.min(MAX_RETRY_MS, this.#retryDelay * 2);
  }

  async #query<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
    try {
      return (await this.#pool.query<T>(text, values)).rows;
    } catch (error) {
      throw toStoreError('cannot read history', error, this.#url);
    }
  }

  /** Database rows (newest first) with the runs not yet written put in their place. */
  #overlay(rows: RunRecord[], query: RunQuery): RunRecord[] {
    if (this.#pendingRuns.size === 0) return rows;
    const out = rows.filter((run) => !this.#pendingRuns.has(run.id));
    for (const { run } of this.#pendingRuns.values()) {
      if (selectScheduleNames([run.schedule], query).length === 1 && matchesRunQuery(run, query))
        out.push(copyRun(run));
    }
    return out.sort((a, b) => compareRunIds(b, a));
  }

  #onNotify(payload: string): void {
    let event: { r?: unknown; s?: unknown; id?: unknown; st?: unknown };
    try {
      event = JSON.parse(payload) as typeof event;
    } catch {
      return;
    }
    if (event.r === this.#replica || typeof event.s !== 'string') return;
    this.#queueRefresh([event.s]);
    if (typeof event.id === 'string' && typeof event.r === 'string') {
      const remote: RemoteRunEvent = {
        replica: event.r,
        schedule: event.s,
        runId: event.id,
        status: String(event.st),
      };
      for (const listener of this.#remoteListeners) listener(remote);
    }
  }

  /** Read the named schedules (undefined: all) again shortly, once for a burst of notifications. */
  #queueRefresh(schedules: string[] | undefined): void {
    if (schedules === undefined) this.#refreshAll = true;
    else for (const schedule of schedules) this.#refreshDue.add(schedule);
    if (this.#refreshTimer !== undefined || this.#closed) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      const all = this.#refreshAll;
      const names = [...this.#refreshDue];
      this.#refreshAll = false;
      this.#refreshDue.clear();
      this.#refresh(all ? undefined : names).then(
        () => (all ? [...this.#summaries.keys()] : names).forEach((name) => this.#emit(name)),
        (error: unknown) => {
          this.#logger.warn(
            { err: toStoreError('cannot refresh history summaries', error, this.#url) },
            'history summaries not refreshed; retrying',
          );
          this.#queueRefresh(all ? undefined : names);
        },
      );
    }, this.#refreshDelayMs);
    this.#refreshTimer.unref();
  }

  /** Summaries and watermarks of the named schedules (undefined: all) from the database. */
  async #refresh(schedules: string[] | undefined): Promise<void> {
    const param = schedules ?? null;
    // One snapshot for the three reads: a run and the watermark written with it are seen together.
    const { counts, runs, states } = await inTransaction(
      this.#pool,
      async (client) => ({
        counts: await client.query(SUMMARY_COUNTS_SQL, [param]),
        runs: await client.query<{ record: RunRecord; replica: string | null }>(SUMMARY_RUNS_SQL, [
          param,
        ]),
        states: await client.query<{ schedule: string; watermark: Date | null }>(SCHEDULES_SQL, [
          param,
        ]),
      }),
      'begin isolation level repeatable read read only',
    );
    const summaries = buildSummaries(counts.rows, runs.rows.map(fromRunRow));
    const names = new Set([...(schedules ?? []), ...summaries.keys()]);
    for (const row of states.rows) {
      names.add(row.schedule);
      if (row.watermark !== null) this.#advanceKnownWatermark(row.schedule, row.watermark);
    }
    for (const name of names) {
      let summary = summaries.get(name) ?? createEmptySummary();
      // Runs recorded here and not written yet are part of the summary too.
      for (const { run } of this.#pendingRuns.values())
        if (run.schedule === name) summary = addToSummary(summary, run);
      this.#summaries.set(name, summary);
    }
  }

  #advanceKnownWatermark(schedule: string, at: Date): void {
    const known = this.#watermarks.get(schedule);
    if (known === undefined || Date.parse(known) < at.getTime())
      this.#watermarks.set(schedule, at.toISOString());
  }

  #emit(schedule: string): void {
    for (const listener of this.#listeners) listener(schedule);
  }
}
