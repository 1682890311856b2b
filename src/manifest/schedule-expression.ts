// Compiling `spec.schedule`, cached per distinct expression (a directory repeats a few expressions many times).
import { compileSchedule } from '../cron/compile.js';
import type { CompileResult, ScheduleExpressionError } from '../cron/types.js';
import { describeAfter, type AfterSpec } from './after.js';

const MAX_CACHED = 10_000;
const compiled = new Map<string, CompileResult>();

/** compileSchedule, remembered per expression. */
export function compileScheduleCached(expression: string): CompileResult {
  let result = compiled.get(expression);
  if (result === undefined) {
    result = compileSchedule(expression);
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(expression, result);
  }
  return result;
}

/** One line for one schedule error, naming the field and the value that is wrong. */
export function formatScheduleError(error: ScheduleExpressionError): string {
  if (error.field === 'schedule') return error.message;
  const value = error.value === undefined ? '' : ` "${error.value}"`;
  if (
    error.value !== undefined &&
    error.message.includes(error.field) &&
    error.message.includes(error.value)
  ) {
    return error.message;
  }
  return `${error.field} field${value}: ${error.message}`;
}

/**
 * A spec's clock times compiled: its expression, or for a schedule with only `after` the kind that
 * never fires by the clock. Shared with the parse cache, which rebuilds what a fresh parse would.
 */
export function compileSpecSchedule(spec: {
  schedule?: string;
  after?: readonly AfterSpec[];
}): CompileResult {
  if (spec.schedule !== undefined) return compileScheduleCached(spec.schedule);
  return {
    ok: true,
    schedule: { kind: 'after', source: describeAfter(spec.after ?? []) },
  };
}
