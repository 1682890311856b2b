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
  /** The first instant, or a moment just before it (the instants are those in [first, last]). */
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

/** Run ids kept per schedule for the check of lost acknowledgements (the rest of a long gap: bounds only). */
const KEEP_FIRES = 1_000;

/** One schedule's unclaimed fires: their bounds and count, and the first KEEP_FIRES of them. */
interface Unclaimed {
  first: Date;
  last: Date;
  fires: number;
  kept: UnclaimedFire[];
}

export class ClaimGaps {
  readonly #o: Required<ClaimGapsOptions>;
  #gaps = new Map<string, Unclaimed>();
  #wake = new AbortController();
  #looping = false;
  #stopped = false;

  constructor(options: ClaimGapsOptions) {
    this.#o = { minBackoffMs: 500, maxBackoffMs: 15_000, ...options };
  }

  /** Schedules with unclaimed fires waiting for the store, and how many fires. */
  pending(): { schedules: number; fires: number } {
    let fires = 0;
    for (const gap of this.#gaps.values()) fires += gap.fires;
    return { schedules: this.#gaps.size, fires };
  }

  /**
   * Leave `fire` to its schedule's gap (its claim failed: the store could not be reached). An hour-long
   * outage of an every-second schedule is 3,600 fires: past the first KEEP_FIRES, only the bounds grow.
   */
  add(fire: UnclaimedFire): void {
    if (this.#stopped) return;
    const name = fire.record.schedule;
    const at = new Date(fire.record.scheduledAt);
    const gap = this.#gaps.get(name);
    if (gap === undefined) {
      this.#gaps.set(name, { first: at, last: at, fires: 1, kept: [fire] });
      this.#o.logger.error(
        { schedule: name, scheduledAt: fire.record.scheduledAt },
        'fires cannot be claimed: the store cannot be reached; none starts without a claim, and the gap is decided (catch-up or one missed record) once the store answers',
      );
    } else {
      if (at < gap.first) gap.first = at;
      if (at > gap.last) gap.last = at;
      gap.fires += 1;
      if (gap.kept.length < KEEP_FIRES) gap.kept.push(fire);
    }
    if (!this.#looping) void this.#loop();
  }

  /** The store answered a claim: decide the gaps now rather than at the next retry. */
  reachable(): void {
    if (this.#gaps.size > 0) this.#wake.abort();
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
    this.#gaps.clear();
  }

  async #loop(): Promise<void> {
    this.#looping = true;
    let backoff = this.#o.minBackoffMs;
    while (!this.#stopped && this.#gaps.size > 0) {
      await this.#o.sleep(backoff, this.#wake.signal);
      this.#wake = new AbortController();
      if (this.#stopped) break;
      // Taken out while the store is asked (fires that fail meanwhile start new gaps), put back if it fails.
      const taken = this.#gaps;
      this.#gaps = new Map();
      let own: Set<string>;
      try {
        own = await this.#o.ownClaims(
          [...taken.values()].flatMap((gap) => gap.kept.map((fire) => fire.record.id)),
        );
      } catch {
        this.#putBack(taken);
        backoff = Math.min(this.#o.maxBackoffMs, backoff * 2);
        continue;
      }
      backoff = this.#o.minBackoffMs;
      if (this.#stopped) break;
      for (const [name, gap] of taken) this.#decide(name, gap, own);
    }
    this.#looping = false;
  }

  #putBack(taken: Map<string, Unclaimed>): void {
    for (const [name, gap] of taken) {
      const later = this.#gaps.get(name);
      if (later === undefined) {
        this.#gaps.set(name, gap);
        continue;
      }
      if (later.first < gap.first) gap.first = later.first;
      if (later.last > gap.last) gap.last = later.last;
      gap.fires += later.fires;
      gap.kept.push(...later.kept.slice(0, Math.max(0, KEEP_FIRES - gap.kept.length)));
      this.#gaps.set(name, gap);
    }
  }

  /**
   * A schedule's gap once the store answers: fires whose claim committed after all are recorded
   * interrupted, and the instants between them are decided as gaps (the last reaching the gap's end).
   */
  #decide(name: string, gap: Unclaimed, own: Set<string>): void {
    const kept = [...gap.kept].sort(
      (a, b) => Date.parse(a.record.scheduledAt) - Date.parse(b.record.scheduledAt),
    );
    const gaps: UnclaimedGap[] = [];
    let open: UnclaimedGap | undefined;
    for (const fire of kept) {
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
    // Fires past the kept ones: the rest of the gap, after the last kept fire.
    const rest = gap.fires - kept.length;
    if (rest > 0) {
      const after = new Date(Date.parse(kept.at(-1)!.record.scheduledAt) + 1);
      if (open === undefined) gaps.push({ name, first: after, last: gap.last, fires: rest });
      else {
        open.last = gap.last;
        open.fires += rest;
      }
    }
    for (const decided of gaps) {
      this.#o.logger.info(
        { schedule: name, first: decided.first, last: decided.last, fires: decided.fires },
        'the store answers again; deciding the fires that could not be claimed',
      );
      this.#o.decide(decided);
    }
  }
}
