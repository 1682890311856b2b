// The contract of the firing engine: a parsed schedule expression and the instants it fires at.

/** The cron fields, in the words used in error messages. */
export type CronFieldName = 'second' | 'minute' | 'hour' | 'day of month' | 'month' | 'day of week';

/** One problem with a schedule expression. */
export interface ScheduleExpressionError {
  /** Which field is wrong ('schedule' for the expression as a whole). */
  field: CronFieldName | 'schedule';
  /** The offending text, when there is one. */
  value?: string;
  /** A sentence a person can act on. */
  message: string;
}

/** A cron expression expanded into the values each field allows. */
export interface CronFields {
  second: readonly number[];
  minute: readonly number[];
  hour: readonly number[];
  /** Day-of-month values 1–31, plus node-cron's special tokens ('L', 'LW', '15W'). */
  dayOfMonth: readonly (number | string)[];
  /** Months 1–12. */
  month: readonly number[];
  /** Days of week 0–6 (Sunday = 0), plus special tokens ('5L', '5#2'). */
  dayOfWeek: readonly (number | string)[];
}

/** A schedule expression compiled for firing. */
export type CompiledSchedule =
  | {
      kind: 'cron';
      /** The expression as written (macros kept as written, e.g. '@daily'). */
      source: string;
      fields: CronFields;
      /** Vixie rule: both day fields restricted (neither starts with '*' or '?') → a day matches if EITHER does. */
      dayOr: boolean;
      /** Neither minute nor hour starts with '*': DST gaps fire once after the gap, repeats fire once. */
      fixedTime: boolean;
    }
  | {
      kind: 'every';
      source: string;
      /** The period in milliseconds (>= 1000), counted from the Unix epoch. */
      everyMs: number;
    }
  | {
      /** No clock times: the schedule runs only after other schedules' runs (`spec.after`). */
      kind: 'after';
      /** What starts it, as shown in place of an expression: "after extract (succeeded)". */
      source: string;
    };

export type CompileResult =
  { ok: true; schedule: CompiledSchedule } | { ok: false; errors: ScheduleExpressionError[] };

/** The fires of a schedule in a window (after, until]. */
export interface FireCount {
  count: number;
  /** The earliest fire in the window, when there is one. */
  first?: Date;
  /** The latest fire in the window, when there is one. */
  last?: Date;
  /**
   * The first fire after the window, when counting came upon it (it stops there); absent when the
   * schedule does not fire again, or when counting did not look.
   */
  next?: Date;
}
