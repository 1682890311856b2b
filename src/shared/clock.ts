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
export class ManualClock implements Clock {
  #ms: number;

  constructor(start: Date | string) {
    this.#ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  /** Move forward (or backward, with a negative value) by `ms`. */
  tick(ms: number): void {
    this.#ms += ms;
  }

  set(at: Date | string): void {
    this.#ms = new Date(at).getTime();
  }
}
