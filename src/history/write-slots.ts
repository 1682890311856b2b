// A bound on shard writes in flight across the store; durable writes (which hold up a process start) go first.
export class WriteSlots {
  readonly #max: number;
  #inFlight = 0;
  readonly #queue: (() => void)[] = [];

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /** Take a slot, waiting (durable writes ahead of background ones) until one is handed over. */
  acquire(durable: boolean): Promise<void> | undefined {
    if (this.#inFlight < this.#max) {
      this.#inFlight += 1;
      return undefined;
    }
    return new Promise<void>((resolve) => {
      if (durable) this.#queue.unshift(resolve);
      else this.#queue.push(resolve);
    });
  }

  /** Hand the slot to the next waiting write (the count stays), or free it. */
  release(): void {
    const next = this.#queue.shift();
    if (next !== undefined) next();
    else this.#inFlight -= 1;
  }

  /** At most this many writes at once. */
  get max(): number {
    return this.#max;
  }
}
