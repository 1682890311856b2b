// The fire journal: a write-ahead log that makes "this instant is being fired" durable with one fsync per batch.
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RunTrigger } from './store.js';

/** One fire about to start: written and fsynced before its process exists. */
export interface FireIntent {
  runId: string;
  schedule: string;
  scheduledAt: string;
  trigger: RunTrigger;
  specHash: string;
  /**
   * Kept by a checkpoint only to remember the schedule's newest fire (its watermark) across a power
   * loss that would undo unsynced history writes; its run is in the history, so recovery never turns
   * it into a record.
   */
  settled?: true;
  /** Trigger `after`: the run whose end made this fire, its chain and the chain's logical time. */
  upstream?: { schedule: string; runId: string; status: string };
  chainId?: string;
  logicalTime?: string;
  /**
   * Trigger `after`: durable since its upstream ended, not started yet. Its start is a second intent
   * with the same run id without this mark; one left alone is started after a restart (or missed).
   */
  awaitingStart?: true;
}

/**
 * What a checkpoint keeps: `after` fires still awaiting their start; intents at or after `cutoffMs` as
 * they are (their runs may not be in a flushed history yet), and of the older ones that `isRecorded` (their run is in the history, or they
 * are settled already) the newest scheduled fire of each schedule, settled. Older ones that were never
 * recorded (prepared for an instant that a reload then moved) are dropped.
 */
export function compactIntents(
  intents: readonly FireIntent[],
  cutoffMs: number,
  isRecorded: (intent: FireIntent) => boolean,
): FireIntent[] {
  const recent: FireIntent[] = [];
  const newest = new Map<string, FireIntent>();
  const started = new Set(
    intents.filter((i) => i.trigger === 'after' && !i.awaitingStart).map((i) => i.runId),
  );
  for (const intent of intents) {
    if (intent.awaitingStart) {
      // An `after` fire waiting to start stays, however old, until it starts or ends unstarted.
      if (!started.has(intent.runId) && !isRecorded(intent)) recent.push(intent);
    } else if (Date.parse(intent.scheduledAt) >= cutoffMs) {
      recent.push(intent);
    } else if (
      intent.trigger !== 'manual' &&
      intent.trigger !== 'after' &&
      (intent.settled || isRecorded(intent))
    ) {
      const known = newest.get(intent.schedule);
      if (!known || known.scheduledAt < intent.scheduledAt) newest.set(intent.schedule, intent);
    }
  }
  const settled = [...newest.values()].map((intent) => ({ ...intent, settled: true as const }));
  return [...settled, ...recent];
}

export interface FireJournal {
  /**
   * Append intents; resolves once they are on disk. Every call made in the same turn of the event loop
   * shares one write and one fsync (group commit), so a burst of 1,000 fires costs one fsync, not 1,000.
   */
  append(intents: FireIntent[]): Promise<void>;
  /** The intents written since the last checkpoint (after a crash: the fires that may have started). */
  readPending(): Promise<FireIntent[]>;
  /**
   * Replace the journal with `keep`: call only once the history holds every other intent (after a history
   * flush). Appends made meanwhile wait and land after it.
   */
  checkpoint(keep: FireIntent[]): Promise<void>;
  /** Whether the last append reached the disk. */
  healthy(): boolean;
  close(): Promise<void>;
}

export function resolveJournalPath(stateDir: string): string {
  return join(stateDir, 'fires.journal');
}

/** The real journal: JSON lines in `<stateDir>/fires.journal`. */
export function createFireJournal(stateDir: string): FireJournal {
  return new FileJournal(resolveJournalPath(stateDir));
}

class FileJournal implements FireJournal {
  readonly #path: string;
  #handle: FileHandle | undefined;
  #batch: FireIntent[] = [];
  #batchDone: Promise<void> | undefined;
  /** Appends are serialised: a checkpoint never interleaves with a write. */
  #chain: Promise<void> = Promise.resolve();
  #healthy = true;

  constructor(path: string) {
    this.#path = path;
  }

  append(intents: FireIntent[]): Promise<void> {
    this.#batch.push(...intents);
    this.#batchDone ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const batch = this.#batch;
      this.#batch = [];
      this.#batchDone = undefined;
      return this.#enqueue(() => this.#write(batch));
    });
    return this.#batchDone;
  }

  async readPending(): Promise<FireIntent[]> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // No journal, or no state directory at all (the history reports an unusable one).
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw err;
    }
    const intents: FireIntent[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        intents.push(JSON.parse(line) as FireIntent);
      } catch {
        // A line torn by a crash mid-write was never acknowledged: its fire never started.
      }
    }
    return intents;
  }

  checkpoint(keep: FireIntent[]): Promise<void> {
    return this.#enqueue(async () => {
      await this.#handle?.close();
      this.#handle = undefined;
      const temp = `${this.#path}.tmp`;
      try {
        const handle = await open(temp, 'w');
        if (keep.length > 0) await handle.write(keep.map((i) => `${JSON.stringify(i)}\n`).join(''));
        await handle.sync();
        await handle.close();
        await rename(temp, this.#path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // No state directory (yet, or not writable): nothing to trim; the history reports the condition.
        if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EACCES' && code !== 'EROFS')
          throw err;
      }
    });
  }

  healthy(): boolean {
    return this.#healthy;
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.#handle?.close();
    this.#handle = undefined;
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(task);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #write(batch: FireIntent[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      if (!this.#handle) {
        await mkdir(dirname(this.#path), { recursive: true });
        this.#handle = await open(this.#path, 'a');
      }
      await this.#handle.write(batch.map((i) => `${JSON.stringify(i)}\n`).join(''));
      await this.#handle.datasync();
      this.#healthy = true;
    } catch {
      // An unwritable state directory must not stop fires: the history store reports the condition.
      this.#healthy = false;
      await this.#handle?.close().catch(() => undefined);
      this.#handle = undefined;
    }
  }
}
