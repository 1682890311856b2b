// The FireLedger on PostgreSQL: a fire is made "durable" by claiming its (schedule, instant) in the shared
// database; the replica whose claim wins starts it, the others drop it. No leader: every replica races.
import type pg from 'pg';
import { pino } from 'pino';
import type { ClusterRuns, FireLedger, WaitingNotice } from '../../daemon/fire-ledger.js';
import type { FireIntent, JournalHealth } from '../../history/journal.js';
import type { RunRecord } from '../../history/store.js';
import type { SlotView } from '../../runtime/plan-cluster-start.js';
import type { GapBounds, HeldRange } from '../../runtime/plan-missed.js';
import type { Clock } from '../../shared/clock.js';
import { SchedulerError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { computeClaimLead, type ClaimObservation } from './claim-lead.js';
import { MAX_DEFER_MS, planClaimDelay } from './claim-spread.js';
import {
  CLAIM_SQL,
  DB_NOW_SQL,
  GAP_LOCK_CLASS,
  HELD_IN_GAP_SQL,
  HELD_LIMIT,
  MISSED_CLAIM_SQL,
  OWN_CLAIMS_SQL,
  REQUEST_CLAIM_SQL,
} from './claim-sql.js';
import { ConcurrencySlots, toSlotView } from './concurrency-slots.js';
import { inTransaction, redactSecrets } from './connection.js';

export interface PgFireLedgerOptions {
  pool: pg.Pool;
  /** For keeping the password out of messages. */
  url: string;
  replicaId: string;
  clock: Clock;
  /** @default a silent logger */
  logger?: Logger;
  /** The database refuses a claim further ahead of its instant than this (by its own clock). @default 2000 */
  maxLeadMs?: number;
  /** A process starts no earlier than its instant by the database clock when the offset exceeds this. @default 10 */
  offsetToleranceMs?: number;
  /** @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
  /** The replica lease: a concurrency slot not renewed for two leases is free again. @default 30000 */
  leaseMs?: number;
}

/** The PostgreSQL ledger, plus what status and the reaper need. */
export interface PgFireLedger extends FireLedger {
  /** This replica's clock minus the database's, as last measured (ms); 0 until measured. */
  clockOffsetMs(): number;
  /** The live replicas (sorted ids), over which fires are spread (claim-spread.ts). */
  setPeers(ids: readonly string[]): void;
  /** Measure the offset now (a round trip; the midpoint is taken as the database's instant). */
  measureClockOffset(): Promise<number>;
  /** Claim statements sent, and their latency, for the benchmark and metrics. */
  stats(): { statements: number; latenciesMs: readonly number[] };
  /**
   * How far ahead of an instant to claim a batch of `batchSize` fires: adapted to the latency of recent
   * claim statements of about that size (claim-lead.ts).
   */
  claimLeadMs(batchSize: number): number;
  /** Whether the last claim statement reached the database, and why not (for /readyz). */
  health(): JournalHealth;
  /** Which leftover runs are this host's to recover (their replica is gone): see `livenessOf`. */
  selectLeftovers?(runs: readonly RunRecord[]): Promise<RunRecord[]>;
}

/** One fire waiting for its batch's statement. */
interface Waiting {
  intent: FireIntent;
  resolve: () => void;
  reject: (err: unknown) => void;
  onWaiting: WaitingNotice | undefined;
  /** It waited already for the replica that prefers its schedule (claim-spread.ts). */
  deferred?: boolean;
}

/** A row of the claim statement. */
interface ClaimRow {
  runId: string;
  won: boolean;
  tooEarly: boolean;
  slotRunId: string | null;
  slotOwner: string | null;
  slotNextRunId: string | null;
  slotNextOwner: string | null;
}

/** What became of one fire's claim. */
interface ClaimResult {
  won: boolean;
  tooEarly: boolean;
  slot: SlotView;
}

/** A slot that must be looked at again (held by someone not known, maybe this fire). */
const UNKNOWN_SLOT: SlotView = { holder: { runId: '', replica: 'unknown' }, next: null };

/** Latencies kept for stats(). */
const KEEP_LATENCIES = 10_000;

/** Recent claim statements the head start is computed from (minutes of every-second instants). */
const KEEP_OBSERVATIONS = 512;

/** Errors after which the statement may have committed without us hearing of it. */
function isConnectionLoss(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(08|57P)/.test(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /ECONNRESET|EPIPE|ECONNREFUSED|Connection terminated|connection timeout|timeout exceeded/i.test(
    message,
  );
}

export function createPgFireLedger(options: PgFireLedgerOptions): PgFireLedger {
  return new ClaimLedger(options);
}

class ClaimLedger implements PgFireLedger {
  readonly #o: Required<Omit<PgFireLedgerOptions, 'logger' | 'sleep'>>;
  readonly #slots: ConcurrencySlots;
  readonly #logger: Logger;
  readonly #sleep: (ms: number) => Promise<void>;
  #batch: Waiting[] = [];
  #offsetMs = 0;
  #healthy = true;
  #problem: string | undefined;
  #statements = 0;
  readonly #latencies: number[] = [];
  readonly #observations: ClaimObservation[] = [];
  #leadMemo: { observed: number; batchSize: number; leadMs: number } | undefined;
  #observed = 0;
  /** The live replicas, sorted by id (this one included once its heartbeat is in). */
  #peers: readonly string[] = [];

  constructor(options: PgFireLedgerOptions) {
    this.#o = { maxLeadMs: 2000, offsetToleranceMs: 10, leaseMs: 30_000, ...options };
    this.#logger = options.logger ?? pino({ enabled: false });
    this.#slots = new ConcurrencySlots({
      pool: options.pool,
      replicaId: options.replicaId,
      leaseMs: this.#o.leaseMs,
      logger: this.#logger,
    });
    this.#sleep =
      options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))));
  }

  /**
   * Claim each intent. Calls made in the same turn of the event loop share one statement. Each promise
   * resolves once its claim is committed and the instant has come by the database's clock; rejects with
   * FIRE_CLAIMED_ELSEWHERE when another replica holds it, FIRE_SKIPPED_BY_POLICY when its schedule's
   * concurrencyPolicy refuses it, and FIRE_NOT_DURABLE when the database cannot be reached (the fire is
   * not started: never twice). `onWaiting` hears of a fire that waits for its slot (Queue, Replace).
   */
  append(intents: FireIntent[], onWaiting?: WaitingNotice): Promise<void> {
    const claims = intents.map((intent) =>
      intent.trigger === 'manual'
        ? // Manual runs are started by the replica asked to (their run id, or request id, is their key),
          // under the schedule's concurrency policy for the whole cluster.
          this.#admit(intent, UNKNOWN_SLOT, () => Promise.resolve(), onWaiting)
        : new Promise<void>((resolve, reject) =>
            this.#enqueue({ intent, resolve, reject, onWaiting }),
          ),
    );
    return Promise.all(claims).then(() => undefined);
  }

  readPending(): Promise<FireIntent[]> {
    // Claims live in the database; a replica that restarts is a new replica, and the fires of the one
    // that stopped are recovered by the reaper (interrupted, never re-run).
    return Promise.resolve([]);
  }

  checkpoint(): Promise<void> {
    return Promise.resolve();
  }

  healthy(): boolean {
    return this.#healthy;
  }

  health(): JournalHealth {
    return {
      durable: this.#healthy,
      reserveBytes: 0,
      wantedBytes: 0,
      liveBytes: 0,
      source: 'fire claims',
      ...(this.#healthy || this.#problem === undefined ? {} : { problem: this.#problem }),
    };
  }

  claimLeadMs(batchSize: number): number {
    const memo = this.#leadMemo;
    if (memo?.observed === this.#observed && memo.batchSize === batchSize) return memo.leadMs;
    const leadMs = computeClaimLead(this.#observations, batchSize, {
      maxLeadMs: this.#o.maxLeadMs,
    });
    this.#leadMemo = { observed: this.#observed, batchSize, leadMs };
    return leadMs;
  }

  close(): Promise<void> {
    return this.#slots.close();
  }

  bindRuns(runs: ClusterRuns): void {
    this.#slots.bind(runs);
  }

  release(record: Pick<RunRecord, 'id' | 'schedule'>): void {
    this.#slots.release(record.id, record.schedule);
  }

  async claimMissed(
    gap: { schedule: string; first: string; last: string; runId: string; specHash: string },
    narrow: (held: readonly HeldRange[]) => GapBounds | undefined,
  ): Promise<GapBounds | undefined> {
    return inTransaction(this.#o.pool, async (client) => {
      await client.query('select pg_advisory_xact_lock($1, hashtext($2))', [
        GAP_LOCK_CLASS,
        gap.schedule,
      ]);
      // A regular claim of the narrowed gap's last instant may land between the read and the insert:
      // read again and narrow again (each statement sees what was committed before it).
      for (let round = 0; round < 3; round += 1) {
        const held = await client.query<HeldRange>(HELD_IN_GAP_SQL, [
          gap.schedule,
          gap.first,
          gap.last,
        ]);
        if (held.rows.length > HELD_LIMIT) return undefined;
        const rest = narrow(held.rows);
        if (rest === undefined) return undefined;
        const inserted = await client.query(MISSED_CLAIM_SQL, [
          gap.schedule,
          rest.first.toISOString(),
          rest.last.toISOString(),
          gap.runId,
          this.#o.replicaId,
          gap.specHash,
        ]);
        if (inserted.rowCount === 1) return rest;
      }
      return undefined;
    });
  }

  async ownClaims(runIds: string[]): Promise<Set<string>> {
    const { rows } = await this.#o.pool.query<{ runId: string }>(OWN_CLAIMS_SQL, [runIds]);
    return new Set(rows.map((row) => row.runId));
  }

  async claimRequest(request: {
    requestId: string;
    schedule: string;
    runId: string;
  }): Promise<{ runId: string; replica: string }> {
    const params = [request.requestId, request.schedule, request.runId, this.#o.replicaId];
    const query = () =>
      this.#o.pool.query<{ runId: string; replica: string }>(REQUEST_CLAIM_SQL, params);
    // After a lost acknowledgement the statement is sent again: the run id says whether it was ours.
    const { rows } = await query().catch((error: unknown) => {
      if (!isConnectionLoss(error)) throw error;
      return query();
    });
    const row = rows[0];
    if (row === undefined) throw new Error(`request ${request.requestId} was not claimed`);
    return row;
  }

  clockOffsetMs(): number {
    return this.#offsetMs;
  }

  setPeers(ids: readonly string[]): void {
    this.#peers = ids;
  }

  async measureClockOffset(): Promise<number> {
    const before = this.#o.clock.now().getTime();
    const { rows } = await this.#o.pool.query<{ now: number }>(DB_NOW_SQL);
    const after = this.#o.clock.now().getTime();
    this.#offsetMs = (before + after) / 2 - (rows[0]?.now ?? (before + after) / 2);
    return this.#offsetMs;
  }

  stats(): { statements: number; latenciesMs: readonly number[] } {
    return { statements: this.#statements, latenciesMs: this.#latencies };
  }

  async #flushBatch(): Promise<void> {
    const batch = this.#deferOthers(this.#batch);
    this.#batch = [];
    if (batch.length === 0) return;
    let results: Map<string, ClaimResult>;
    try {
      results = await this.#claim(batch.map((w) => w.intent));
      this.#healthy = true;
      this.#problem = undefined;
    } catch (error) {
      this.#healthy = false;
      const message = redactSecrets(
        error instanceof Error ? error.message : String(error),
        this.#o.url,
      );
      this.#problem = `cannot claim fires in the store: ${message}`;
      const failure = new SchedulerError(
        'FIRE_NOT_DURABLE',
        `the fire could not be claimed in the store: ${message}`,
      );
      for (const waiting of batch) waiting.reject(failure);
      return;
    }
    const early: Waiting[] = [];
    for (const waiting of batch) {
      const result = results.get(waiting.intent.runId);
      if (result?.won)
        this.#admit(
          waiting.intent,
          result.slot,
          () => this.#atInstant(waiting.intent),
          waiting.onWaiting,
        ).then(waiting.resolve, waiting.reject);
      else if (result?.tooEarly) early.push(waiting);
      else
        waiting.reject(
          new SchedulerError(
            'FIRE_CLAIMED_ELSEWHERE',
            `${waiting.intent.schedule} at ${waiting.intent.scheduledAt} is claimed by another replica`,
            { schedule: waiting.intent.schedule },
          ),
        );
    }
    if (early.length > 0) void this.#claimAgainLater(early);
  }

  /** The claim statement; after a lost acknowledgement, once more, recognising claims that are ours. */
  async #claim(intents: FireIntent[]): Promise<Map<string, ClaimResult>> {
    const params = [
      intents.map((i) => i.schedule),
      intents.map((i) => i.scheduledAt),
      intents.map((i) => i.runId),
      intents.map((i) => i.trigger),
      intents.map((i) => i.specHash),
      this.#o.replicaId,
      this.#o.maxLeadMs / 1000,
      intents.map((i) => this.#slots.policyOf(i.schedule)),
      this.#slots.expirySeconds,
    ];
    const started = performance.now();
    let rows: ClaimRow[];
    let retried = false;
    try {
      rows = (await this.#o.pool.query(CLAIM_SQL, params)).rows;
    } catch (error) {
      if (!isConnectionLoss(error)) throw error;
      this.#logger.warn(
        { fires: intents.length },
        'claim acknowledgement lost; claiming again and checking which claims are ours',
      );
      retried = true;
      rows = (await this.#o.pool.query(CLAIM_SQL, params)).rows;
    }
    this.#statements += retried ? 2 : 1;
    const latencyMs = performance.now() - started;
    this.#latencies.push(latencyMs);
    if (this.#latencies.length > KEEP_LATENCIES) this.#latencies.shift();
    this.#observations.push({ batchSize: intents.length, latencyMs });
    if (this.#observations.length > KEEP_OBSERVATIONS) this.#observations.shift();
    this.#observed += 1;
    const results = new Map(
      rows.map((row) => [
        row.runId,
        { won: row.won, tooEarly: row.tooEarly, slot: toSlotView(row) },
      ]),
    );
    if (retried) {
      // A conflict may be our own first statement, committed before the connection dropped: the run id
      // (made by this replica) says whose claim it is.
      const lost = rows.filter((row) => !row.won && !row.tooEarly).map((row) => row.runId);
      if (lost.length > 0) {
        const own = await this.#o.pool.query<{ runId: string }>(OWN_CLAIMS_SQL, [lost]);
        // Whether the first statement took the slot is not known: it is looked at again at the instant.
        for (const { runId } of own.rows)
          results.set(runId, { won: true, tooEarly: false, slot: UNKNOWN_SLOT });
      }
    }
    return results;
  }

  /** The slot's decision; a store that cannot be reached means the fire is not started (never twice). */
  #admit(
    intent: FireIntent,
    slot: SlotView,
    atInstant: () => Promise<void>,
    onWaiting: WaitingNotice | undefined,
  ): Promise<void> {
    return this.#slots.admit(intent, slot, atInstant, onWaiting).catch((error: unknown) => {
      if (error instanceof SchedulerError) throw error;
      const message = redactSecrets(
        error instanceof Error ? error.message : String(error),
        this.#o.url,
      );
      throw new SchedulerError(
        'FIRE_NOT_DURABLE',
        `the concurrency slot could not be taken in the store: ${message}`,
      );
    });
  }

  /** Wait for the instant by the database's clock (later than the local one on a fast replica). */
  async #atInstant(intent: FireIntent): Promise<void> {
    if (this.#offsetMs > this.#o.offsetToleranceMs) {
      const due = Date.parse(intent.scheduledAt) + this.#offsetMs;
      const wait = due - this.#o.clock.now().getTime();
      if (wait > 0) await this.#sleep(wait);
    }
  }

  /** Claims the database refused as early (this clock runs ahead): try again once it allows them. */
  async #claimAgainLater(early: Waiting[]): Promise<void> {
    await this.measureClockOffset().catch(() => undefined);
    const first = Math.min(...early.map((w) => Date.parse(w.intent.scheduledAt)));
    const wait = first + this.#offsetMs - this.#o.maxLeadMs / 2 - this.#o.clock.now().getTime();
    this.#logger.warn(
      { fires: early.length, clockOffsetMs: Math.round(this.#offsetMs) },
      'claims refused as too early by the database clock; this clock runs ahead; claiming again',
    );
    await this.#sleep(Math.max(wait, 50));
    for (const waiting of early) this.#enqueue(waiting);
  }

  /** Into the next claim statement (one per turn of the event loop). */
  #enqueue(waiting: Waiting): void {
    if (this.#batch.length === 0) setImmediate(() => void this.#flushBatch());
    this.#batch.push(waiting);
  }

  /**
   * Fires of schedules another live replica prefers wait a little before their claim, so that each
   * replica starts its share (claim-spread.ts); the rest are claimed now.
   */
  #deferOthers(batch: Waiting[]): Waiting[] {
    if (this.#peers.length < 2) return batch;
    const now = this.#o.clock.now().getTime();
    const claimNow: Waiting[] = [];
    const later: Waiting[] = [];
    let delay = MAX_DEFER_MS;
    for (const waiting of batch) {
      const { schedule, scheduledAt } = waiting.intent;
      const wait =
        waiting.deferred === true
          ? 0
          : planClaimDelay(schedule, Date.parse(scheduledAt), now, this.#o.replicaId, this.#peers);
      if (wait <= 0) claimNow.push(waiting);
      else {
        waiting.deferred = true;
        later.push(waiting);
        delay = Math.min(delay, wait);
      }
    }
    if (later.length > 0)
      setTimeout(() => {
        for (const waiting of later) this.#enqueue(waiting);
      }, delay);
    return claimNow;
  }
}
