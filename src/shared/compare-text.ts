// Code-point order of strings: the same on every machine, unlike localeCompare (resolveSchedules sorts files so).

/** Code-point order of two strings. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code-point order of two named things by name. */
export function compareByName(a: { name: string }, b: { name: string }): number {
  return compareText(a.name, b.name);
}
