// A bound on shard writes in flight across the store; durable writes (which hold up a process start) go first.

/** A first-in first-out queue whose shift is O(1) (Array#shift moves the whole array: 100,000 queued writes at a cold start made the queue quadratic). */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#head += 1;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

export class WriteSlots {
  readonly #max: number;
  #inFlight = 0;
  readonly #durable = new Fifo<() => void>();
  readonly #background = new Fifo<() => void>();

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
      if (durable) this.#durable.push(resolve);
      else this.#background.push(resolve);
    });
  }

  /** Hand the slot to the next waiting write (the count stays), or free it. */
  release(): void {
    const next = this.#durable.shift() ?? this.#background.shift();
    if (next !== undefined) next();
    else this.#inFlight -= 1;
  }

  /** At most this many writes at once. */
  get max(): number {
    return this.#max;
  }
}
