// What start-up learns of a shard in the older format (no summary head) without parsing it: the watermark, the
// id range and whether a run may still be active. Pure: byte searches over the file's content.

/** A shard file in the older format, as far as a scan of its bytes tells. */
export interface OlderShardScan {
  /** The file's size in bytes. */
  bytes: number;
  lastScheduledAt?: string;
  /** The smallest and largest run id in the file (undefined when it holds no run). */
  oldestId?: string;
  newestId?: string;
  /** A run may be `pending` or `running` (left by a crash): start-up recovery has to read the shard. */
  mayBeActive: boolean;
}

const PREFIX = '{"version":1,"';
const RUNS = '"runs":[';
const WATERMARK = '"lastScheduledAt":';
const ID = '"id":"';
const ACTIVE = /"status":"(?:running|pending)"/;

/**
 * Scan a shard file without a head, in one pass over its bytes as a one-byte string (the patterns are ASCII).
 * Inside a JSON string every `"` is escaped, so a key pattern such as `"status":"running"` can only match a key
 * (a `status` key elsewhere, such as an upstream link's, at worst makes a shard look active: it is then read,
 * never skipped). The store has always written runs sorted by id, so the first and the last id are the range.
 * undefined when the content does not look like a whole document written by the store (empty, truncated,
 * another version, hand-formatted, the current format with a head): it is then read whole at once, which reports what is wrong with it.
 */
export function scanOlderShard(content: Buffer): OlderShardScan | undefined {
  const text = content.toString('latin1');
  const end = text.trimEnd();
  if (!end.endsWith('}') || !text.startsWith(PREFIX)) return undefined;
  // JSON.stringify writes no raw newline: a file with one is in the current format (a head, appended entries).
  if (end.includes('\n')) return undefined;
  const runsAt = text.indexOf(RUNS);
  if (runsAt < 0) return undefined;
  const watermarkAt = text.indexOf(WATERMARK);
  let lastScheduledAt: string | undefined;
  if (watermarkAt >= 0) {
    lastScheduledAt = readString(content, text, watermarkAt + WATERMARK.length);
    if (lastScheduledAt === undefined) return undefined;
  }
  const firstId = text.indexOf(ID, runsAt);
  const oldestId = firstId < 0 ? undefined : readString(content, text, firstId + ID.length - 1);
  const newestId =
    firstId < 0 ? undefined : readString(content, text, text.lastIndexOf(ID) + ID.length - 1);
  if (firstId >= 0 && (oldestId === undefined || newestId === undefined)) return undefined;
  return {
    bytes: content.length,
    ...(lastScheduledAt !== undefined ? { lastScheduledAt } : {}),
    ...(oldestId !== undefined && newestId !== undefined ? { oldestId, newestId } : {}),
    mayBeActive: ACTIVE.test(text),
  };
}

/**
 * The string value at `start` (its opening quote), when it has no escapes. Copied from the bytes: a slice of
 * `text` would keep the whole file's text alive for as long as the value.
 */
function readString(content: Buffer, text: string, start: number): string | undefined {
  if (text[start] !== '"') return undefined;
  const close = text.indexOf('"', start + 1);
  if (close < 0) return undefined;
  const value = content.toString('utf8', start + 1, close);
  return value.includes('\\') ? undefined : value;
}
