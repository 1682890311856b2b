// The parses the last start left in the state directory: used by the first reload, written again when stale.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ConfigState } from './config-state.js';
import { PARSE_CACHE_FILE, ParseCache, parseCacheKey, writeParseCache } from './parse-cache.js';

export interface StartupParseCacheOptions {
  stateDir: string;
  config: ConfigState;
  logger: Logger;
}

export class StartupParseCache {
  readonly #o: StartupParseCacheOptions;
  readonly #path: string;
  /** A file was parsed since the parse cache was written (or the start found it inexact). */
  #stale = false;
  #write: Promise<void> | undefined;

  constructor(options: StartupParseCacheOptions) {
    this.#o = options;
    this.#path = join(options.stateDir, PARSE_CACHE_FILE);
  }

  markStale(): void {
    this.#stale = true;
  }

  /**
   * Run the first reload with the cache: a file whose path and text are unchanged is not parsed again.
   * The cache is marked stale when it was not exact.
   */
  async withCache(reload: () => Promise<void>): Promise<void> {
    const { cache, problem } = await ParseCache.open(this.#path, parseCacheKey());
    if (problem !== undefined)
      this.#o.logger.warn(
        { file: this.#path, problem },
        'manifest cache unusable; parsing every file',
      );
    const entries = cache.size;
    this.#o.config.useParseCache(cache);
    try {
      await reload();
    } finally {
      this.#o.config.useParseCache(undefined);
      cache.release();
    }
    const files = this.#o.config.parsedFiles().length;
    if (cache.hits !== files || entries !== files) this.#stale = true;
  }

  /** Write the cache when a file was parsed since it was last written (after a write in progress); never rejects. */
  save(): Promise<void> {
    if (this.#write !== undefined) return this.#write.then(() => this.save());
    if (!this.#stale) return Promise.resolve();
    this.#stale = false;
    this.#write = writeParseCache(this.#path, parseCacheKey(), this.#o.config.parsedFiles())
      .catch((err: unknown) => {
        this.#stale = true;
        this.#o.logger.warn(
          { err, file: this.#path },
          'could not write the manifest cache; the next start parses every file',
        );
      })
      .finally(() => {
        this.#write = undefined;
      });
    return this.#write;
  }
}
