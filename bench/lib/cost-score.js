// Scoring for bench/cost.js: which fires of a starter ran (from its log of `ID <date +%s.%N>` lines), how late.
import { readFile } from 'node:fs/promises';
import { latenessMs, summarise } from './daemon.js';

/** The job every starter runs: it appends its id and the time it started to the starter's own log. */
export function jobText(id, log) {
  return `echo ${id} $(date +%s.%N) >> '${log}'`;
}

/** The lines of a starter's log as { id, text } (text: the printed time); [] while it does not exist. */
export async function readLog(file) {
  const content = await readFile(file, 'utf8').catch((error) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return content
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, text] = line.split(' ');
      return { id, text };
    });
}

/**
 * Score a starter's fires at `second` of each of the `minutes` minutes from `baseMs` (a whole minute), `jobs`
 * due at each. A line belongs to the latest of those instants at or before its printed time; lines before the
 * first instant or a minute or more after the last are someone else's window. A fire that never ran counts as
 * infinitely late.
 */
export function scoreFires(lines, { baseMs, second, minutes, jobs }) {
  const seen = new Set();
  const lateness = [];
  const spreads = [];
  let started = 0;
  let duplicates = 0;
  for (let k = 0; k < minutes; k += 1) {
    const instant = baseMs + k * 60_000 + second * 1000;
    let first = Infinity;
    let last = -Infinity;
    for (const { id, text } of lines) {
      const late = latenessMs(text, instant);
      if (!(late >= 0 && late < 60_000)) continue;
      started += 1;
      const key = `${k} ${id}`;
      if (seen.has(key)) {
        duplicates += 1;
        continue;
      }
      seen.add(key);
      lateness.push(late);
      first = Math.min(first, late);
      last = Math.max(last, late);
    }
    if (last >= first) spreads.push({ firstToLast: last - first, lastLate: last });
  }
  const expected = jobs * minutes;
  const dropped = expected - seen.size;
  const samples = [...lateness, ...Array.from({ length: dropped }, () => Infinity)];
  return {
    expected,
    ran: seen.size,
    started,
    duplicates,
    dropped,
    ...summarise(samples),
    firstToLast: Math.max(-Infinity, ...spreads.map((s) => s.firstToLast)),
    lastLate: Math.max(-Infinity, ...spreads.map((s) => s.lastLate)),
  };
}
