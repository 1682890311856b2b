// Time arguments of the CLI (`--since 24h`, `--to 7d`, `--from 2026-03-01`): an ISO 8601 time or a duration.

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(\d+(ms|s|m|h|d|w))+$/;
const ISO =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Milliseconds of a duration like `90m`, `1h30m`, `7d`, `2w`; undefined when `text` is not one. */
export function parseDurationArgument(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const match of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g))
    ms += Number(match[1]) * UNIT_MS[match[2]!]!;
  return ms;
}

/** An ISO 8601 date (midnight UTC) or instant (without an offset: UTC); undefined when `text` is not one. */
export function parseInstantArgument(text: string): Date | undefined {
  const iso = ISO.exec(text);
  if (iso === null) return undefined;
  const [, date, time, zone] = iso;
  const at = new Date(time === undefined ? `${date}T00:00:00Z` : `${date}T${time}${zone ?? 'Z'}`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}
