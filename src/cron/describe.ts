// Human-readable text for a compiled schedule (cronstrue for cron, our own words for @every), true to the Vixie day rule.
import { createRequire } from 'node:module';
import type * as Cronstrue from 'cronstrue';
import type { CompiledSchedule } from './types.js';
import { MACROS } from './compile.js';
import { describeEveryParts, parseEveryDuration } from './every.js';

const OPTIONS = {
  use24HourTimeFormat: true,
  verbose: false,
  throwExceptionOnParseError: true,
  dayOfWeekStartIndexZero: true,
  monthStartIndexZero: false,
  trimHoursLeadingZero: false,
  locale: null,
};

/** The module as require gives it (under nodenext, the type of a CommonJS module's default import). */
type CronstrueModule = typeof Cronstrue.default;
type DescriptorClass = CronstrueModule['default'];

interface Descriptors {
  /** cronstrue's descriptor class. */
  Plain: DescriptorClass;
  /** The same, saying "or" between the day fields (the Vixie rule). */
  VixieOr: new (expression: string, options: object) => { describe(): string };
}

let descriptors: Descriptors | undefined;

/**
 * cronstrue, loaded (synchronously, through require: it is CommonJS, its class under `.default`) the first
 * time a schedule is described: the status does, after start-up, so the daemon does not load it before.
 */
function loadDescriptors(): Descriptors {
  if (descriptors !== undefined) return descriptors;
  const Plain = (createRequire(import.meta.url)('cronstrue') as CronstrueModule).default;

  /**
   * cronstrue joins day of month and day of week with "and" ("on day 1 and 15 of the month,
   * and on Friday"), which reads as AND. Under the Vixie rule both restricted fields mean OR,
   * so the day-of-week part is rewritten to start with "or".
   */
  class VixieOrDescriptor extends Plain {
    protected override getDayOfWeekDescription(dayOfWeekExpression?: string): string | null {
      const text = super.getDayOfWeekDescription(dayOfWeekExpression);
      // Nested calls (for "5L" items) pass the expression; only the top-level phrase changes.
      if (dayOfWeekExpression !== undefined || !text) return text;
      return `, or ${text.replace(/^,?\s*(and\s+)?/, '')}`;
    }

    describe(): string {
      return this.getFullDescription();
    }
  }
  descriptors = { Plain, VixieOr: VixieOrDescriptor };
  return descriptors;
}

/** One line of text saying when the schedule fires, e.g. "At 02:30" or "Every 90 seconds". */
export function describeSchedule(schedule: CompiledSchedule): string {
  if (schedule.kind === 'after') return schedule.source;
  if (schedule.kind === 'every') {
    const parsed = parseEveryDuration(schedule.source.split(/\s+/)[1] ?? '');
    return parsed.ok
      ? describeEveryParts(parsed.parts)
      : describeEveryParts([{ amount: schedule.everyMs, unit: 'millisecond' }]);
  }
  const source = schedule.source.trim();
  const expression = MACROS[source.toLowerCase()] ?? source.split(/\s+/).join(' ');
  try {
    const { Plain, VixieOr } = loadDescriptors();
    if (schedule.dayOr)
      return new VixieOr(expression, { ...OPTIONS, logicalAndDayFields: false }).describe();
    // Not the OR rule: any restricted day fields must all match, so let cronstrue say "only on".
    return Plain.toString(expression, { ...OPTIONS, logicalAndDayFields: true });
  } catch {
    return `Cron "${expression}"`;
  }
}
