// Prometheus metrics for GET /metrics: counters fed by the daemon's events, gauges read from the status snapshot at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StatusEvent } from './events.js';
import type { StatusSnapshot } from './snapshot.js';
import { HEALTH_WORDS } from './health.js';

/** Histogram buckets for run durations, in seconds: 0.1 s to 6 h. */
export const RUN_DURATION_BUCKETS = [
  0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1_200, 1_800, 3_600, 7_200, 14_400, 21_600,
] as const;

/**
 * How often prom-client samples the event loop delay (`nodejs_eventloop_lag_p99_seconds` and the rest), in ms.
 * Its default, 10, is a timer that woke the idle daemon 100 times a second: 0.36 s of CPU a minute, more
 * than all its other idle work together (docs/design/idle.md). Sampled once a second, the delay of a timer
 * still shows every stall of a second or more, and a share of the shorter ones.
 */
export const EVENT_LOOP_SAMPLE_MS = 1_000;

/** The `reason` label of cronops_skipped_fires_total. */
export type SkipReasonLabel = 'forbid' | 'queue_full' | 'shutdown' | 'removed' | 'other';

/** The short label for why a fire was skipped, from the reason the run records. */
export function selectSkipReason(reason: string | undefined): SkipReasonLabel {
  const text = reason ?? '';
  if (text.includes('concurrencyPolicy Forbid')) return 'forbid';
  if (text.includes('concurrencyPolicy Queue')) return 'queue_full';
  if (/shut(?:ting)? down/.test(text)) return 'shutdown';
  if (text.includes('was removed')) return 'removed';
  return 'other';
}

export interface StatusMetricsOptions {
  /** The status document the gauges are read from at each scrape. */
  getSnapshot: () => StatusSnapshot;
  /** Add prom-client's default process and Node.js metrics. @default true */
  defaultMetrics?: boolean;
}

/** The metrics of one daemon, in their own registry. */
export interface StatusMetrics {
  readonly registry: Registry;
  /** The Content-Type of `render()`'s text. */
  readonly contentType: string;
  /** Count one daemon event. */
  observe(event: StatusEvent): void;
  /** Every metric in the Prometheus text format. */
  render(): Promise<string>;
}

/** Create the registry with every cronops metric (see docs/api.md). */
export function createStatusMetrics(options: StatusMetricsOptions): StatusMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({
      register: registry,
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
  const registers = [registry];
  // One snapshot per scrape, read by every gauge's collect().
  let scraped: StatusSnapshot | undefined;
  const current = (): StatusSnapshot => (scraped ??= options.getSnapshot());

  const runs = new Counter({
    name: 'cronops_runs_total',
    help: 'Runs that ended, by schedule and final status (skipped and missed records included).',
    labelNames: ['schedule', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'cronops_run_duration_seconds',
    help: 'Duration of finished runs that started, from start to end (all attempts).',
    labelNames: ['schedule'] as const,
    buckets: [...RUN_DURATION_BUCKETS],
    registers,
  });
  const missed = new Counter({
    name: 'cronops_missed_fires_total',
    help: 'Fires that were missed (not started within startingDeadline or not caught up), counting each fire of a missed gap.',
    labelNames: ['schedule'] as const,
    registers,
  });
  const skipped = new Counter({
    name: 'cronops_skipped_fires_total',
    help: 'Fires recorded skipped, by reason: forbid, queue_full, shutdown, removed, other.',
    labelNames: ['schedule', 'reason'] as const,
    registers,
  });
  const reloads = new Counter({
    name: 'cronops_config_reloads_total',
    help: 'Reloads of the manifest directory, by result: ok (no file had errors) or error.',
    labelNames: ['result'] as const,
    registers,
  });

  new Gauge({
    name: 'cronops_last_success_timestamp_seconds',
    help: 'When the last successful run of the schedule finished (Unix seconds); absent before the first success.',
    labelNames: ['schedule'] as const,
    registers,
    collect() {
      this.reset();
      for (const schedule of current().schedules) {
        if (schedule.lastSuccess === null) continue;
        this.set({ schedule: schedule.name }, Date.parse(schedule.lastSuccess.finishedAt) / 1000);
      }
    },
  });
  new Gauge({
    name: 'cronops_next_fire_timestamp_seconds',
    help: 'The next instant the schedule fires (Unix seconds); absent when it never fires again or is suspended.',
    labelNames: ['schedule'] as const,
    registers,
    collect() {
      this.reset();
      for (const schedule of current().schedules) {
        const next = schedule.nextFires[0];
        if (next !== undefined) this.set({ schedule: schedule.name }, Date.parse(next) / 1000);
      }
    },
  });
  new Gauge({
    name: 'cronops_running_runs',
    help: 'Runs of the schedule in progress now.',
    labelNames: ['schedule'] as const,
    registers,
    collect() {
      this.reset();
      for (const schedule of current().schedules) {
        this.set({ schedule: schedule.name }, schedule.running.length);
      }
    },
  });
  new Gauge({
    name: 'cronops_queued_fires',
    help: 'Fires of the schedule waiting to start (Queue policy or --max-concurrent-runs).',
    labelNames: ['schedule'] as const,
    registers,
    collect() {
      this.reset();
      for (const schedule of current().schedules) {
        this.set({ schedule: schedule.name }, schedule.queued);
      }
    },
  });
  new Gauge({
    name: 'cronops_schedule_health',
    help: 'The health word of each schedule: 1 for its current word, 0 for the others.',
    labelNames: ['schedule', 'health'] as const,
    registers,
    collect() {
      this.reset();
      for (const schedule of current().schedules) {
        for (const word of HEALTH_WORDS) {
          this.set({ schedule: schedule.name, health: word }, schedule.health === word ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: 'cronops_schedule_info',
    help: 'Always 1; labels describe each loaded schedule.',
    labelNames: ['schedule', 'timezone', 'concurrency_policy', 'suspended'] as const,
    registers,
    collect() {
      this.reset();
      for (const schedule of current().schedules) {
        this.set(
          {
            schedule: schedule.name,
            timezone: schedule.timezone,
            concurrency_policy: schedule.concurrencyPolicy,
            suspended: String(schedule.suspended),
          },
          1,
        );
      }
    },
  });
  new Gauge({
    name: 'cronops_config_errors',
    help: 'Errors in the manifest files now (0 when every file is valid).',
    registers,
    collect() {
      this.set(current().files.reduce((sum, file) => sum + file.errors.length, 0));
    },
  });
  new Counter({
    name: 'cronops_clock_anomalies_total',
    help: 'Clock anomalies since start-up: the clock stepped back, or fire watermarks were found ahead of it.',
    registers,
    collect() {
      this.reset();
      this.inc(current().clock.anomalies);
    },
  });
  new Gauge({
    name: 'cronops_ready',
    help: '1 when the daemon is ready (/readyz answers 200), else 0.',
    registers,
    collect() {
      this.set(current().ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'cronops_history_writable',
    help: '1 while history writes reach the disk, 0 while they fail (read-only or full state directory).',
    registers,
    collect() {
      this.set(current().history.writable ? 1 : 0);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    observe(event) {
      switch (event.type) {
        case 'run:finished':
        case 'run:recorded': {
          const { run } = event;
          runs.inc({ schedule: run.schedule, status: run.status });
          if (run.status === 'missed') {
            missed.inc({ schedule: run.schedule }, run.missed?.count ?? 1);
          } else if (run.status === 'skipped') {
            skipped.inc({ schedule: run.schedule, reason: selectSkipReason(run.reason) });
          } else if (run.startedAt !== undefined && run.durationMs !== undefined) {
            duration.observe({ schedule: run.schedule }, run.durationMs / 1000);
          }
          return;
        }
        case 'config:reloaded':
          reloads.inc({ result: event.ok ? 'ok' : 'error' });
          return;
        default:
          return;
      }
    },
    async render() {
      scraped = undefined;
      try {
        return await registry.metrics();
      } finally {
        scraped = undefined;
      }
    },
  };
}
