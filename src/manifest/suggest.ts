// "Did you mean …?": the closest known word to a misspelt one, by edit distance.

/** Levenshtein distance between two strings (insertions, deletions, substitutions). */
export function measureEditDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate closest to `word` (compared case-insensitively), or undefined when none is close
 * enough to be a plausible typo: at most a third of the word's length, and never more than 4 edits;
 * failing that, a candidate that starts the word or that the word starts.
 */
export function findClosest(word: string, candidates: Iterable<string>): string | undefined {
  const needle = word.toLowerCase();
  const limit = Math.min(4, Math.max(1, Math.floor(needle.length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    if (Math.abs(lower.length - needle.length) > limit) continue;
    const distance = measureEditDistance(needle, lower);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (bestDistance <= limit) return best;
  // "fromEnvironment" → "fromEnv", "retention" → "retentionDays": one name is the start of the other.
  if (needle.length < 4) return undefined;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    if (lower.length >= 4 && (lower.startsWith(needle) || needle.startsWith(lower)))
      return candidate;
  }
  return undefined;
}

/** ` (did you mean "x"?)` when there is a close candidate, else ''. */
export function formatSuggestion(word: string, candidates: Iterable<string>): string {
  const closest = findClosest(word, candidates);
  return closest === undefined ? '' : ` (did you mean "${closest}"?)`;
}
