// Building the status of many schedules a few entries per turn of the event loop, so that no fire waits behind it.
import type { DesiredSchedule } from '../reconcile/desired.js';
import type { Stopwatch } from '../shared/clock.js';
import {
  assembleStatusSnapshot,
  buildStatusSnapshot,
  selectStatusEntry,
  type StatusInput,
  type StatusSchedule,
  type StatusScheduleMemo,
  type StatusSnapshot,
} from '../status/snapshot.js';
import { ScheduleInputs, type ScheduleInputSources } from './status-inputs.js';

/**
 * The work of a turn: 100,000 schedules' entries take 1–2 s to look over (history summary, next fires,
 * memo), which in one piece would make every fire due meanwhile that late.
 */
const SLICE_MS = 5;
/** Entries looked at between two readings of the stopwatch. */
const ENTRIES_PER_CHECK = 64;

export interface StatusStepsHost {
  jobs: ReadonlyMap<string, DesiredSchedule>;
  inputs: ScheduleInputs;
  sources: ScheduleInputSources;
  memo: StatusScheduleMemo;
  stopwatch: Stopwatch;
  /** Bumped whenever a name is added to `jobs` or removed from it: the pass then starts again. */
  namesVersion(): number;
  /** The status input as of `now`, but for its schedules. */
  frame(now: Date): Omit<StatusInput, 'schedules'>;
  now(): Date;
  /** Give the event loop back. @default setImmediate */
  yieldTurn?: () => Promise<void>;
  /** @default SLICE_MS */
  sliceMs?: number;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The same document as `buildStatusSnapshot(input, memo)` for the daemon's state, built over several
 * turns of the event loop, each at most about `sliceMs` long. Entries are those of the moment each was
 * looked at (a run that starts meanwhile is in the next write, which its event asks for); a change of
 * the set of names meanwhile starts the pass again, since entries are kept by position in the order.
 */
export async function buildStatusSnapshotInSteps(host: StatusStepsHost): Promise<StatusSnapshot> {
  const yieldTurn = host.yieldTurn ?? nextTurn;
  const sliceMs = host.sliceMs ?? SLICE_MS;
  for (;;) {
    const now = host.now();
    const version = host.namesVersion();
    const order = host.inputs.order(host.jobs, version);
    let busy = host.sources.busy();
    const schedules = new Array<StatusInput['schedules'][number]>(order.length);
    const entries = new Array<StatusSchedule>(order.length);
    const tally = { memoized: 0 };
    let sliceStart = host.stopwatch.elapsedMs();
    let complete = true;
    for (let index = 0; index < order.length; index += 1) {
      if (
        index % ENTRIES_PER_CHECK === 0 &&
        index > 0 &&
        host.stopwatch.elapsedMs() - sliceStart >= sliceMs
      ) {
        await yieldTurn();
        if (host.namesVersion() !== version) {
          complete = false;
          break;
        }
        busy = host.sources.busy();
        sliceStart = host.stopwatch.elapsedMs();
      }
      const input = host.inputs.entryAt(index, host.jobs, host.sources, now, busy);
      schedules[index] = input;
      entries[index] = selectStatusEntry(input, now, host.memo, tally);
    }
    if (!complete) continue;
    return assembleStatusSnapshot(
      { ...host.frame(now), schedules },
      entries,
      host.memo,
      tally.memoized,
    );
  }
}

export type StatusBuilderOptions = Omit<StatusStepsHost, 'inputs' | 'memo'>;

/**
 * The daemon's status: entries of unchanged schedules, and their inputs, are reused from one snapshot to
 * the next; built at once (the endpoint) or in steps (status.json).
 */
export class StatusBuilder {
  readonly #o: StatusBuilderOptions;
  readonly #memo: StatusScheduleMemo = new Map();
  readonly #inputs = new ScheduleInputs();

  constructor(options: StatusBuilderOptions) {
    this.#o = options;
  }

  /** The status document as of now. */
  snapshot(): StatusSnapshot {
    const now = this.#o.now();
    const schedules = this.#inputs.build(
      this.#o.jobs,
      this.#o.sources,
      now,
      this.#o.namesVersion(),
    );
    return buildStatusSnapshot({ ...this.#o.frame(now), schedules }, this.#memo);
  }

  /** The same, over several turns of the event loop. */
  snapshotInSteps(): Promise<StatusSnapshot> {
    return buildStatusSnapshotInSteps({ ...this.#o, inputs: this.#inputs, memo: this.#memo });
  }
}
