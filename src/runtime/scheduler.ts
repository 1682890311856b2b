// The fire loop: one timer for all schedules, woken shortly before the earliest instant.
import { systemStopwatch, type Clock, type Stopwatch } from '../shared/clock.js';
import type { Timers, TimerHandle } from './timers.js';

/** Where a schedule's fires come from: the next instant strictly after `afterMs`, or undefined. */
export type NextFireFn = (afterMs: number) => number | undefined;

/** The fires of one schedule that came due at one wake-up. */
export interface DueFires {
  name: string;
  /** Earliest due instant not yet handed out. */
  first: Date;
  /** Latest due instant (≤ now). */
  last: Date;
  /** How many instants are due, first and last included. */
  count: number;
  /** When the loop noticed them. */
  now: Date;
}

/** Counts fires in (afterMs, untilMs]: lets a day of every-second fires be one record, not a loop of 86,400 callbacks. */
export type CountFiresFn = (
  afterMs: number,
  untilMs: number,
) => { count: number; first?: number; last?: number };

export interface FireLoopOptions {
  clock: Clock;
  timers: Timers;
  /** Called once per schedule per wake-up with everything that came due, in instant order across schedules. */
  onDue: (due: DueFires) => void;
  /**
   * Called shortly before instants come due (up to `prepareLeadMs` ahead), once per schedule and instant,
   * so that the work that must precede a process start (making the fire durable) is off the critical path.
   * An instant may come due without having been prepared (scheduled within the lead, or a clock step).
   */
  onPrepare?: (items: { name: string; at: Date }[]) => void;
  /**
   * How far ahead of an instant `onPrepare` runs: milliseconds, or a function of how many schedules are
   * due at that instant (a batch of claims takes longer than one). @default 0 (never)
   */
  prepareLeadMs?: number | ((batchSize: number) => number);
  /**
   * Longest single wait, so that a clock step is noticed promptly.
   * @default 30_000
   */
  maxWaitMs?: number;
  /** Times the slices a burst is handed out in. @default the system's monotonic clock */
  stopwatch?: Stopwatch;
}

interface Entry {
  name: string;
  next: NextFireFn;
  count: CountFiresFn;
  /** The next instant to hand out; undefined when the schedule never fires again. */
  atMs: number | undefined;
  /** Bumped on every change so stale heap items are recognised. */
  version: number;
  /** The instant last handed to onPrepare. */
  preparedAt: number | undefined;
}

interface HeapItem {
  atMs: number;
  name: string;
  version: number;
}

/**
 * How early to wake before an instant `delayMs` away. Linux lets epoll_wait overshoot by up to 0.1 % of
 * its timeout (a 60 s timer woke 14–62 ms late), so a long wait ends early and a short timer finishes.
 */
export function earlyWakeMs(delayMs: number): number {
  return delayMs > 50 ? Math.min(delayMs - 2, Math.ceil(delayMs * 0.002) + 3) : 0;
}

/**
 * The last milliseconds before an instant are polled with immediates, not left to a timer. A timer counts
 * from the event loop's clock, which is whole milliseconds read at the start of the loop's turn, and its
 * wait is rounded up to one: the timer that ended the wait woke the daemon 0.1–1.9 ms after the instant.
 * Polling costs up to about this long of CPU per instant that fires.
 */
const FINISH_MS = 2;

/**
 * A wake-up with many fires hands them out in slices, each on its own turn of the event loop, so that a
 * burst never holds the loop: signal handlers, HTTP and status get a turn between slices. A fire's
 * process starts after onDue returns (once its durable intent has settled), so a slice's cost is only
 * known at the next turn: the next slice is sized from it to take about SLICE_MS (each turn costs
 * the loop's own work too, so slices are not made smaller than that needs), and grows at most
 * twofold and to MAX_SLICE fires (about 0.5 s at 16 ms a start, the worst measured on two cores).
 */
const SLICE_MS = 50;
const MAX_SLICE = 32;

export class FireLoop {
  readonly #options: Required<Omit<FireLoopOptions, 'onPrepare'>> &
    Pick<FireLoopOptions, 'onPrepare'>;
  readonly #entries = new Map<string, Entry>();
  #heap: HeapItem[] = [];
  #timer: TimerHandle | undefined;
  #armedFor: number | undefined;
  #stopped = false;
  /** Fires that came due but were not handed out yet, in instant order. */
  #pending: DueFires[] = [];
  #slice: { timer: TimerHandle; size: number; startedMs: number } | undefined;
  /** Bumped whenever the heap changes, so the lead computed for an instant's batch is recomputed. */
  #heapVersion = 0;
  #leadMemo: { atMs: number; heapVersion: number; leadMs: number } | undefined;

  constructor(options: FireLoopOptions) {
    this.#options = { maxWaitMs: 30_000, prepareLeadMs: 0, stopwatch: systemStopwatch, ...options };
  }

  /**
   * Start (or replace) a schedule; its first instant is the first one strictly after `afterMs`:
   * `firstMs` when the caller already knows it (planning found it), else `next(afterMs)`.
   */
  set(
    name: string,
    next: NextFireFn,
    count: CountFiresFn,
    afterMs: number,
    firstMs?: number,
  ): void {
    const previous = this.#entries.get(name);
    const entry: Entry = {
      name,
      next,
      count,
      atMs: firstMs !== undefined && firstMs > afterMs ? firstMs : next(afterMs),
      version: (previous?.version ?? 0) + 1,
      preparedAt: undefined,
    };
    this.#entries.set(name, entry);
    this.#push(entry);
    this.#arm();
  }

  /** Stop scheduling `name`. */
  delete(name: string): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    this.#entries.delete(name);
    this.#heapVersion += 1;
    entry.version += 1;
  }

  /** The next instant `name` will be handed out at. */
  nextAt(name: string): Date | undefined {
    const atMs = this.#entries.get(name)?.atMs;
    return atMs === undefined ? undefined : new Date(atMs);
  }

  /** The earliest instant anything is scheduled for. */
  earliestAt(): number | undefined {
    for (const item of this.#heap) {
      // The heap's first live item is the earliest; stale items are skipped lazily.
      const entry = this.#entries.get(item.name);
      if (entry && entry.version === item.version) return item.atMs;
      break;
    }
    let earliest: number | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.atMs !== undefined && (earliest === undefined || entry.atMs < earliest))
        earliest = entry.atMs;
    }
    return earliest;
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Fires that came due and wait for their slice. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /**
   * Stop all timers; nothing is handed out afterwards. Returns the fires that came due but were not
   * handed out yet (the rest of a burst), in instant order, so the caller can record them.
   */
  stop(): DueFires[] {
    this.#stopped = true;
    const { timers } = this.#options;
    if (this.#timer !== undefined) timers.clear(this.#timer);
    if (this.#slice !== undefined) timers.clear(this.#slice.timer);
    this.#timer = undefined;
    this.#armedFor = undefined;
    this.#slice = undefined;
    const rest = this.#pending;
    this.#pending = [];
    return rest;
  }

  /** Hand out everything due now. Called by the timer; tests call it directly after moving the clock. */
  tick(): void {
    this.#timer = undefined;
    this.#armedFor = undefined;
    if (this.#stopped) return;
    const nowMs = this.#options.clock.now().getTime();
    const due: DueFires[] = [];
    for (;;) {
      const top = this.#heap[0];
      if (!top || top.atMs > nowMs) break;
      this.#pop();
      const entry = this.#entries.get(top.name);
      if (!entry || entry.version !== top.version || entry.atMs === undefined) continue;
      const firstMs = entry.atMs;
      // Everything after the first due instant up to now, counted without iterating one by one.
      const rest = entry.count(firstMs, nowMs);
      due.push({
        name: entry.name,
        first: new Date(firstMs),
        last: new Date(rest.last ?? firstMs),
        count: 1 + rest.count,
        now: new Date(nowMs),
      });
      entry.atMs = entry.next(Math.max(nowMs, rest.last ?? firstMs));
      entry.version += 1;
      this.#push(entry);
    }
    if (this.#pending.length === 0 && due.length > 0) {
      // The first fire of a wake-up starts now, without waiting for a turn.
      this.#pending = due;
      this.#handOut(1);
    } else {
      this.#pending.push(...due);
    }
    this.#arm();
  }

  /** Hand out up to `size` pending fires, then leave the rest to the next turn of the event loop. */
  #handOut(size: number): void {
    this.#slice = undefined;
    const startedMs = this.#options.stopwatch.elapsedMs();
    for (const item of this.#pending.splice(0, size)) this.#options.onDue(item);
    if (this.#stopped || this.#pending.length === 0) return;
    const timer = this.#options.timers.immediate(() => this.#nextSlice());
    this.#slice = { timer, size, startedMs };
  }

  /** The previous slice's cost (its process starts included) sizes the next one. */
  #nextSlice(): void {
    const slice = this.#slice;
    if (!slice || this.#stopped) return;
    const tookMs = this.#options.stopwatch.elapsedMs() - slice.startedMs;
    const fit = tookMs > 0 ? Math.floor((SLICE_MS * slice.size) / tookMs) : Infinity;
    this.#handOut(Math.max(1, Math.min(fit, 2 * slice.size, MAX_SLICE)));
  }

  #push(entry: Entry): void {
    this.#heapVersion += 1;
    if (entry.atMs === undefined) return;
    const heap = this.#heap;
    heap.push({ atMs: entry.atMs, name: entry.name, version: entry.version });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.atMs <= heap[i]!.atMs) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
    // Lazy deletion leaves stale items behind; rebuild when they dominate.
    if (heap.length > 64 && heap.length > 4 * this.#entries.size) this.#rebuild();
  }

  #pop(): void {
    this.#heapVersion += 1;
    const heap = this.#heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l]!.atMs < heap[m]!.atMs) m = l;
      if (r < heap.length && heap[r]!.atMs < heap[m]!.atMs) m = r;
      if (m === i) break;
      [heap[m], heap[i]] = [heap[i]!, heap[m]!];
      i = m;
    }
  }

  /** The lead for the instant `atMs`: fixed, or for the batch of schedules due at it (memoised). */
  #leadFor(atMs: number): number {
    const lead = this.#options.prepareLeadMs;
    if (typeof lead === 'number') return lead;
    const memo = this.#leadMemo;
    if (memo?.atMs === atMs && memo.heapVersion === this.#heapVersion) return memo.leadMs;
    let batchSize = 0;
    const visit = (i: number): void => {
      const item = this.#heap[i];
      if (!item || item.atMs > atMs) return;
      if (this.#entries.get(item.name)?.version === item.version) batchSize += 1;
      visit(2 * i + 1);
      visit(2 * i + 2);
    };
    visit(0);
    const leadMs = lead(Math.max(1, batchSize));
    this.#leadMemo = { atMs, heapVersion: this.#heapVersion, leadMs };
    return leadMs;
  }

  #rebuild(): void {
    const live = [...this.#entries.values()].filter((e) => e.atMs !== undefined);
    this.#heap = [];
    for (const entry of live) this.#push(entry);
  }

  #arm(): void {
    if (this.#stopped) return;
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      const entry = this.#entries.get(top.name);
      if (entry && entry.version === top.version) break;
      this.#pop();
    }
    const top = this.#heap[0];
    if (!top) {
      if (this.#timer !== undefined) this.#options.timers.clear(this.#timer);
      this.#timer = undefined;
      this.#armedFor = undefined;
      return;
    }
    const lead = this.#options.onPrepare ? this.#leadFor(top.atMs) : 0;
    const nowMs = this.#options.clock.now().getTime();
    const prepared = this.#entries.get(top.name)?.preparedAt === top.atMs;
    const target = !prepared && top.atMs - lead > nowMs ? top.atMs - lead : top.atMs;
    if (this.#armedFor === target && this.#timer !== undefined) return;
    if (this.#timer !== undefined) this.#options.timers.clear(this.#timer);
    this.#armedFor = target;
    const delay = target - nowMs;
    // Only an instant needs the last milliseconds polled; preparing ahead of one does not.
    const finishMs = target === top.atMs ? FINISH_MS : 0;
    const { timers, maxWaitMs } = this.#options;
    if (delay <= 0) {
      this.#timer = timers.immediate(() => this.tick());
    } else if (delay <= Math.max(1, finishMs)) {
      // The wake that led here prepared what is near; each poll only looks at the clock (a burst has
      // a thousand instants within the lead to walk past).
      this.#timer = timers.immediate(() => this.#rearm(finishMs === 0));
    } else {
      const wait = Math.min(maxWaitMs, delay - Math.max(finishMs, earlyWakeMs(delay)));
      this.#timer = timers.set(() => this.#rearm(), wait);
    }
  }

  /** Woken before the instant: prepare what is near, fire if it is time, else wait the (now short) rest. */
  #rearm(prepare = true): void {
    this.#timer = undefined;
    this.#armedFor = undefined;
    const nowMs = this.#options.clock.now().getTime();
    if (prepare) this.#prepareNear(nowMs);
    const top = this.#heap[0];
    if (top && top.atMs <= nowMs) this.tick();
    else this.#arm();
  }

  /** Hand every instant within the lead that was not prepared yet to onPrepare, in instant order. */
  #prepareNear(nowMs: number): void {
    const onPrepare = this.#options.onPrepare;
    if (!onPrepare) return;
    const top = this.#heap[0];
    const horizon = nowMs + (top ? this.#leadFor(top.atMs) : 0);
    const near: Entry[] = [];
    const visit = (i: number): void => {
      const item = this.#heap[i];
      if (!item || item.atMs > horizon) return;
      const entry = this.#entries.get(item.name);
      if (
        entry &&
        entry.version === item.version &&
        entry.atMs !== undefined &&
        entry.preparedAt !== entry.atMs
      ) {
        near.push(entry);
      }
      visit(2 * i + 1);
      visit(2 * i + 2);
    };
    visit(0);
    if (near.length === 0) return;
    near.sort((a, b) => a.atMs! - b.atMs!);
    for (const entry of near) entry.preparedAt = entry.atMs;
    onPrepare(near.map((e) => ({ name: e.name, at: new Date(e.atMs!) })));
  }
}
