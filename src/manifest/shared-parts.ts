// Equal parts of parsed schedules held once: schedules written alike share their retries, task, notify, labels….
import { survivesJson } from './json-exact.js';
import type { ParsedDocument } from './validate.js';

/** What the documents parsed together (one reload, the parse cache at start-up) share. */
export interface SharedValues {
  /** One copy of each string value (see own-text.ts). */
  strings: Map<string, string>;
  /** One object per distinct part: by the part's name, then its JSON. */
  parts: Map<string, Map<string, unknown>>;
}

export function createSharedValues(): SharedValues {
  return { strings: new Map(), parts: new Map() };
}

/** The spec fields shared whole when equal (each is an object or a list). */
const SPEC_PARTS = ['retries', 'output', 'history', 'params', 'task', 'notify', 'after'] as const;

/**
 * Give `document` the parts (spec.retries, spec.task, metadata.labels …) and the written-fields string of
 * an earlier document of `shared` that are equal to its own. Parsed documents are never changed once
 * made, so equal parts can be one object: 10,000 schedules written from a few templates hold a few
 * dozen of them instead of 10,000 each. A part JSON cannot carry exactly is kept as it is.
 */
export function shareDocumentParts<T extends ParsedDocument>(document: T, shared: SharedValues): T {
  document.written = sharePart(shared.strings, document.written);
  if (document.kind !== 'Schedule') return document;
  const spec = document.spec as unknown as Record<string, unknown>;
  for (const field of SPEC_PARTS) {
    const value = spec[field];
    if (value !== undefined) spec[field] = shareObject(shared.parts, field, value);
  }
  document.metadata.labels = shareObject(shared.parts, 'labels', document.metadata.labels);
  return document;
}

function sharePart(table: Map<string, string>, text: string): string {
  const known = table.get(text);
  if (known !== undefined) return known;
  table.set(text, text);
  return text;
}

function shareObject<T>(parts: SharedValues['parts'], field: string, value: T): T {
  if (!survivesJson(value)) return value;
  let byJson = parts.get(field);
  if (byJson === undefined) {
    byJson = new Map();
    parts.set(field, byJson);
  }
  const key = JSON.stringify(value);
  const known = byJson.get(key);
  if (known !== undefined) return known as T;
  byJson.set(key, value);
  return value;
}
