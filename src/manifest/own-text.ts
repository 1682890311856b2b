// String values as strings of their own, one copy per distinct value: what the manifest readers keep of a file's text.

/** One copy of each string value, shared by the documents read with the same table (see ownText). */
export type TextTable = Map<string, string>;

/** Values longer than this are copied but not shared: long texts rarely repeat. */
const MAX_SHARED_LENGTH = 256;
/** V8 copies shorter slices; longer ones are views into the string they were cut from. */
const MIN_VIEW_LENGTH = 13;

/** The table of the read in progress (reads are synchronous). */
let currentTable: TextTable = new Map();

/** Run `read` with `table` as the table ownText shares values through. */
export function withTextTable<T>(table: TextTable, read: () => T): T {
  const outer = currentTable;
  currentTable = table;
  try {
    return read();
  } finally {
    currentTable = outer;
  }
}

/**
 * A string value as a string of its own. A slice of the file's text would keep the whole text alive for
 * as long as the schedule lives (V8 makes slices of 13 characters or more views into the text), and the
 * same words recur in every schedule ("UTC", "Forbid", "30s"): one copy of each is kept.
 */
export function ownText(text: string): string {
  if (text.length > MAX_SHARED_LENGTH) return copyText(text);
  const known = currentTable.get(text);
  if (known !== undefined) return known;
  const own = copyText(text);
  currentTable.set(own, own);
  return own;
}

/** `value` with a string made its own (see ownText); anything else as it is. */
export function ownValue(value: unknown): unknown {
  return typeof value === 'string' ? ownText(value) : value;
}

/** A flat copy that shares no memory with `text` (a concatenation is flattened into a new string). */
function copyText(text: string): string {
  return text.length < MIN_VIEW_LENGTH ? text : ` ${text}`.slice(1);
}
