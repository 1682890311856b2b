// The one source of "now": pure code takes `now: Date`, stateful code takes a Clock.

/** Where stateful modules read the current time from; tests pass a fake. */
export interface Clock {
  now(): Date;
}

/** The real wall clock. */
export const systemClock: Clock = {
  now: () => new Date(),
};

/** A clock that only moves when told to: for tests of stateful modules. */
export class ManualClock implements Clock, Stopwatch {
  #ms: number;
  #elapsed = 0;

  constructor(start: Date | string) {
    this.#ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  elapsedMs(): number {
    return this.#elapsed;
  }

  /** Let `ms` pass: the wall clock and elapsed time move together (backward moves the wall clock only). */
  tick(ms: number): void {
    this.#ms += ms;
    if (ms > 0) this.#elapsed += ms;
  }

  /** Set the wall clock (a clock step): elapsed time does not move. */
  set(at: Date | string): void {
    this.#ms = new Date(at).getTime();
  }

  /** Step the wall clock by `ms` without time passing. */
  step(ms: number): void {
    this.#ms += ms;
  }
}

/** Elapsed time that no clock step moves (CLOCK_MONOTONIC): compared with the wall clock to see steps. */
export interface Stopwatch {
  /** Milliseconds since an arbitrary origin, never going back. */
  elapsedMs(): number;
}

/** The real monotonic clock (libfaketime leaves it alone with FAKETIME_DONT_FAKE_MONOTONIC=1). */
export const systemStopwatch: Stopwatch = {
  elapsedMs: () => performance.now(),
};
