// Fires whose claim could not be made because the shared store could not be reached. No process starts
// without a claim, and such a fire is not recorded one by one either (that was one `missed` record per
// instant on every replica). Each schedule's unclaimed instants form a gap, decided once the store answers
// again the way a gap after downtime is: `catchUp` starts what is still within startingDeadline, the rest
// is one `missed` record, written once across replicas (missed-once.ts). Nothing moves the watermark
// meanwhile, so a replica that stops before the store is back leaves the gap to the next start's catch-up.
import type { Logger } from 'pino';
import type { RunRecord } from '../history/store.js';
import type { DesiredSchedule } from '../reconcile/desired.js';

/** A fire that was not claimed. */
export interface UnclaimedFire {
  record: RunRecord;
  job: DesiredSchedule;
}

/** Consecutive unclaimed instants of one schedule, to be decided as one gap. */
export interface UnclaimedGap {
  name: string;
  first: Date;
  last: Date;
  /** How many of this replica's fires were left unclaimed in it. */
  fires: number;
}

export interface ClaimGapsOptions {
  logger: Logger;
  /**
   * Which of these run ids hold a claim after all (the statement committed, its acknowledgement was
   * lost); rejects while the store cannot be reached.
   */
  ownClaims: (runIds: string[]) => Promise<Set<string>>;
  /** Decide a gap, as instants that came due together (the fire planner, RunManager.handleDue). */
  decide: (gap: UnclaimedGap) => void;
  /** A fire whose claim is this replica's but whose process never started: recorded interrupted. */
  interrupted: (fire: UnclaimedFire, reason: string) => void;
  /** Waits `ms`, ending early when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** First wait before asking the store again, doubled up to maxBackoffMs. @default 500 */
  minBackoffMs?: number;
  /** @default 15000 */
  maxBackoffMs?: number;
}

export class ClaimGaps {
  readonly #o: Required<ClaimGapsOptions>;
  readonly #fires = new Map<string, UnclaimedFire[]>();
  #wake = new AbortController();
  #looping = false;
  #stopped = false;

  constructor(options: ClaimGapsOptions) {
    this.#o = { minBackoffMs: 500, maxBackoffMs: 15_000, ...options };
  }

  /** Schedules with unclaimed fires waiting for the store, and how many fires. */
  pending(): { schedules: number; fires: number } {
    let fires = 0;
    for (const list of this.#fires.values()) fires += list.length;
    return { schedules: this.#fires.size, fires };
  }

  /** Leave `fire` to its schedule's gap (its claim failed: the store could not be reached). */
  add(fire: UnclaimedFire): void {
    if (this.#stopped) return;
    const name = fire.record.schedule;
    const list = this.#fires.get(name);
    if (list === undefined) {
      this.#fires.set(name, [fire]);
      this.#o.logger.error(
        { schedule: name, scheduledAt: fire.record.scheduledAt },
        'fires cannot be claimed: the store cannot be reached; none starts without a claim, and the gap is decided (catch-up or one missed record) once the store answers',
      );
    } else list.push(fire);
    if (!this.#looping) void this.#loop();
  }

  /** The store answered a claim: decide the gaps now rather than at the next retry. */
  reachable(): void {
    if (this.#fires.size > 0) this.#wake.abort();
  }

  /** Shutdown: what is still unclaimed is left to the catch-up of the next start (no watermark moved). */
  stop(): void {
    this.#stopped = true;
    this.#wake.abort();
    const left = this.pending();
    if (left.fires > 0)
      this.#o.logger.warn(
        left,
        'stopping with fires that could not be claimed; the next start catches their gaps up from the watermark',
      );
    this.#fires.clear();
  }

  async #loop(): Promise<void> {
    this.#looping = true;
    let backoff = this.#o.minBackoffMs;
    while (!this.#stopped && this.#fires.size > 0) {
      await this.#o.sleep(backoff, this.#wake.signal);
      this.#wake = new AbortController();
      if (this.#stopped) break;
      const taken = [...this.#fires.values()].flat();
      let own: Set<string>;
      try {
        own = await this.#o.ownClaims(taken.map((fire) => fire.record.id));
      } catch {
        backoff = Math.min(this.#o.maxBackoffMs, backoff * 2);
        continue;
      }
      backoff = this.#o.minBackoffMs;
      if (this.#stopped) break;
      this.#take(taken);
      this.#decide(taken, own);
    }
    this.#looping = false;
  }

  /** Remove `taken` from the waiting fires (fires added meanwhile stay for the next round). */
  #take(taken: readonly UnclaimedFire[]): void {
    const ids = new Set(taken.map((fire) => fire.record.id));
    for (const [name, list] of this.#fires) {
      const rest = list.filter((fire) => !ids.has(fire.record.id));
      if (rest.length === 0) this.#fires.delete(name);
      else this.#fires.set(name, rest);
    }
  }

  #decide(taken: readonly UnclaimedFire[], own: Set<string>): void {
    const byName = new Map<string, UnclaimedFire[]>();
    for (const fire of taken) {
      const list = byName.get(fire.record.schedule) ?? [];
      list.push(fire);
      byName.set(fire.record.schedule, list);
    }
    for (const [name, fires] of byName) {
      fires.sort((a, b) => Date.parse(a.record.scheduledAt) - Date.parse(b.record.scheduledAt));
      const gaps: UnclaimedGap[] = [];
      let open: UnclaimedGap | undefined;
      for (const fire of fires) {
        if (own.has(fire.record.id)) {
          // Claimed after all, never started: interrupted, never re-run (the store holds its claim).
          this.#o.interrupted(
            fire,
            'the fire was claimed while the store was failing (the acknowledgement was lost), and its process was not started',
          );
          open = undefined;
          continue;
        }
        const at = new Date(fire.record.scheduledAt);
        if (open === undefined) {
          open = { name, first: at, last: at, fires: 0 };
          gaps.push(open);
        }
        open.last = at;
        open.fires += 1;
      }
      for (const gap of gaps) {
        this.#o.logger.info(
          { schedule: name, first: gap.first, last: gap.last, fires: gap.fires },
          'the store answers again; deciding the fires that could not be claimed',
        );
        this.#o.decide(gap);
      }
    }
  }
}
