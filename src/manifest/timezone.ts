// Time zone names: accept what Intl accepts (in its exact IANA case), suggest the closest real one otherwise.
import { findClosest } from './suggest.js';

/** The result of checking a time zone name. */
export type TimeZoneCheck = { ok: true } | { ok: false; message: string };

let knownZones: string[] | undefined;
let knownByLowerCase: Map<string, string> | undefined;
const checked = new Map<string, TimeZoneCheck>();

/** Every zone name Intl lists, plus 'UTC' and 'Etc/UTC' (which it accepts but does not list). */
export function listTimeZones(): readonly string[] {
  knownZones ??= [...new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC'])].sort();
  return knownZones;
}

function lookUpCase(name: string): string | undefined {
  knownByLowerCase ??= new Map(listTimeZones().map((zone) => [zone.toLowerCase(), zone]));
  return knownByLowerCase.get(name.toLowerCase());
}

function resolveWithIntl(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

function suggestZone(name: string): string | undefined {
  const sameLetters = lookUpCase(name);
  if (sameLetters !== undefined) return sameLetters;
  // "Berlin" → "Europe/Berlin": a city alone names the zone it ends.
  if (!name.includes('/')) {
    const city = name.toLowerCase().replaceAll(' ', '_');
    const byCity = listTimeZones().find((zone) => zone.toLowerCase().endsWith(`/${city}`));
    if (byCity !== undefined) return byCity;
  }
  return findClosest(name, listTimeZones());
}

function computeCheck(name: string): TimeZoneCheck {
  const resolved = resolveWithIntl(name);
  if (resolved !== undefined) {
    const known = lookUpCase(name);
    if (known === name) return { ok: true };
    // Intl ignores case; cronops does not, so a manifest means the same thing everywhere.
    const correct =
      known ?? (name.split('/').every((part) => /^[A-Z]/.test(part)) ? undefined : resolved);
    if (correct === undefined) return { ok: true };
    return {
      ok: false,
      message: `unknown time zone "${name}" (did you mean "${correct}"? time zone names are case-sensitive)`,
    };
  }
  const suggestion = suggestZone(name);
  return {
    ok: false,
    message:
      suggestion === undefined
        ? `unknown time zone "${name}" (expected an IANA name like "Europe/Berlin" or "UTC")`
        : `unknown time zone "${name}" (did you mean "${suggestion}"?)`,
  };
}

/** Check a zone name; the answer is cached per distinct name. */
export function checkTimeZone(name: string): TimeZoneCheck {
  let result = checked.get(name);
  if (result === undefined) {
    result = computeCheck(name);
    if (checked.size >= 10_000) checked.clear();
    checked.set(name, result);
  }
  return result;
}
