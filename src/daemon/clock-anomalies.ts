// What the daemon knows about clock anomalies: how many, the last one, and which schedules wait for their watermark.
import type { AnomalyRule, ClockAnomaly } from '../runtime/plan-clock.js';
import type { ClockAnomalyInput } from '../status/snapshot.js';

/** One clock anomaly as logged, counted and shown in the status. */
export interface ClockAnomalyReport {
  /** When it was noticed. */
  at: Date;
  /** Found at start-up, on a reload, or as a step back while running. */
  cause: 'startup' | 'reload' | 'clock-step';
  /** How far the clock went back (the largest watermark lead found, when not a step seen while running). */
  stepMs: number;
  /** The schedules whose watermark was ahead of the clock, and what each does about it. */
  schedules: { name: string; rule: AnomalyRule; waitUntil?: Date }[];
}

export class ClockAnomalies {
  /** Anomalies noticed since the daemon started (the metric). */
  total = 0;
  /** The latest report. */
  last: ClockAnomalyReport | undefined;
  /** Fixed-time schedules waiting out a step back: until the clock passes their watermark, and their next instant. */
  readonly #waiting = new Map<string, { untilMs: number; next: Date }>();
  #pending: ClockAnomalyReport['schedules'] = [];
  #pendingStepMs = 0;

  /** What placing `name` found; cleared when it found nothing. */
  note(name: string, anomaly: ClockAnomaly | undefined, now: Date): void {
    this.#waiting.delete(name);
    if (anomaly === undefined) return;
    this.#pending.push({
      name,
      rule: anomaly.rule,
      ...(anomaly.waitUntil ? { waitUntil: anomaly.waitUntil } : {}),
    });
    this.#pendingStepMs = Math.max(this.#pendingStepMs, anomaly.stepMs);
    if (anomaly.waitUntil)
      this.#waiting.set(name, { untilMs: now.getTime() + anomaly.stepMs, next: anomaly.waitUntil });
  }

  /** Close the anomalies noted since the last flush into one report (undefined: none). */
  flush(
    cause: ClockAnomalyReport['cause'],
    stepMs: number | undefined,
    now: Date,
  ): ClockAnomalyReport | undefined {
    const schedules = this.#pending;
    const lead = this.#pendingStepMs;
    this.#pending = [];
    this.#pendingStepMs = 0;
    if (schedules.length === 0 && stepMs === undefined) return undefined;
    this.total += 1;
    this.last = { at: now, cause, stepMs: stepMs ?? lead, schedules };
    return this.last;
  }

  /** The count and the latest report as the status input takes them (schedules by name). */
  forStatus(): { total: number; last?: ClockAnomalyInput } {
    const last = this.last;
    return {
      total: this.total,
      ...(last
        ? { last: { ...last, schedules: last.schedules.map((schedule) => schedule.name) } }
        : {}),
    };
  }

  /** The instant `name` waits for after a step back, while the clock has not caught up with its watermark. */
  waitingUntil(name: string, now: Date): Date | undefined {
    const waiting = this.#waiting.get(name);
    if (waiting === undefined) return undefined;
    if (waiting.untilMs <= now.getTime()) {
      this.#waiting.delete(name);
      return undefined;
    }
    return waiting.next;
  }

  forget(name: string): void {
    this.#waiting.delete(name);
  }
}
