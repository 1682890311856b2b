import perfHooks from 'node:perf_hooks';
import { describe, expect, it, vi } from 'vitest';
import type { RunRecord } from '../../src/history/store.js';
import { createStatusMetrics, selectSkipReason } from '../../src/status/metrics.js';
import { buildStatusSnapshot, type StatusSnapshot } from '../../src/status/snapshot.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');

function record(overrides: Partial<RunRecord>): RunRecord {
  return {
    id: '01JP0000000000000000000001',
    schedule: 'backup',
    trigger: 'schedule',
    scheduledAt: '2026-03-10T11:00:00.000Z',
    status: 'succeeded',
    attempts: [],
    specHash: 'h',
    ...overrides,
  };
}

function snapshot(): StatusSnapshot {
  const base = {
    file: 'a.yaml',
    schedule: '0 * * * *',
    humanSchedule: 'Every hour',
    suspended: false,
    degraded: false,
    labels: {},
    concurrencyPolicy: 'Forbid',
    queued: 0,
  };
  return buildStatusSnapshot({
    now: NOW,
    daemon: {
      version: '0.1.0',
      pid: 1,
      startedAt: NOW,
      configDir: 'd',
      stateDir: 's',
      watchMode: 'auto',
      listen: null,
      maxConcurrentRuns: null,
      shuttingDown: false,
    },
    lastReconcile: {
      at: NOW,
      ok: false,
      created: 2,
      updated: 0,
      removed: 0,
      unchanged: 0,
      errors: 2,
      trigger: 'startup',
    },
    files: [
      {
        file: 'b.yaml',
        ok: false,
        schedules: [],
        issues: [
          { file: 'b.yaml', line: 1, col: 1, path: 'spec', message: 'x' },
          { file: 'b.yaml', line: 2, col: 1, path: 'spec', message: 'y' },
        ],
      },
      { file: 'a.yaml', ok: true, schedules: ['backup', 'cache'], issues: [] },
    ],
    schedules: [
      {
        ...base,
        name: 'backup',
        timezone: 'Europe/Berlin',
        nextFires: [new Date('2026-03-10T13:00:00.000Z')],
        running: [{ runId: 'r', startedAt: new Date('2026-03-10T11:59:00.000Z'), attempt: 1 }],
        runs: [
          record({
            startedAt: '2026-03-10T11:00:00.000Z',
            finishedAt: '2026-03-10T11:00:30.000Z',
            durationMs: 30_000,
          }),
        ],
      },
      {
        ...base,
        name: 'cache',
        timezone: 'UTC',
        suspended: true,
        nextFires: [],
        running: [],
        runs: [],
      },
    ],
    history: { writable: true, pendingWrites: 0, corrupt: [] },
  });
}

/** The sample lines of `name` (without HELP/TYPE), as "name{labels} value". */
function samples(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('status/metrics', () => {
  it.each([
    { reason: 'previous run 01X is still running (concurrencyPolicy Forbid)', label: 'forbid' },
    {
      reason: 'a fire is already queued behind run 01X (concurrencyPolicy Queue)',
      label: 'queue_full',
    },
    { reason: 'the daemon is shutting down', label: 'shutdown' },
    { reason: 'the daemon shut down before the fire started', label: 'shutdown' },
    { reason: 'the schedule was removed before the fire started', label: 'removed' },
    { reason: 'schedule "x" is not loaded', label: 'other' },
    { reason: undefined, label: 'other' },
  ])('selectSkipReason($reason) → $label', ({ reason, label }) => {
    expect(selectSkipReason(reason)).toBe(label);
  });

  it('counts runs, durations, missed fires, skips and reloads from events', async () => {
    const metrics = createStatusMetrics({ getSnapshot: snapshot, defaultMetrics: false });
    metrics.observe({ type: 'run:started', run: record({ status: 'running' }) });
    metrics.observe({ type: 'run:finished', run: record({ startedAt: 'x', durationMs: 2_500 }) });
    metrics.observe({
      type: 'run:finished',
      run: record({ status: 'failed', startedAt: 'x', durationMs: 40_000 }),
    });
    metrics.observe({
      type: 'run:recorded',
      run: record({ status: 'missed', missed: { count: 86_400, first: 'a', last: 'b' } }),
    });
    metrics.observe({
      type: 'run:recorded',
      run: record({ status: 'skipped', reason: 'x (concurrencyPolicy Forbid)' }),
    });
    metrics.observe({
      type: 'run:recorded',
      run: record({ schedule: 'cache', status: 'skipped', reason: 'the daemon is shutting down' }),
    });
    metrics.observe({ type: 'config:reloaded', trigger: 'startup', ok: true, errors: 0 });
    metrics.observe({ type: 'config:reloaded', trigger: 'watch', ok: false, errors: 2 });
    metrics.observe({ type: 'config:error', trigger: 'watch', issues: [] });
    const text = await metrics.render();
    expect(samples(text, 'cronops_runs_total')).toEqual([
      'cronops_runs_total{schedule="backup",status="succeeded"} 1',
      'cronops_runs_total{schedule="backup",status="failed"} 1',
      'cronops_runs_total{schedule="backup",status="missed"} 1',
      'cronops_runs_total{schedule="backup",status="skipped"} 1',
      'cronops_runs_total{schedule="cache",status="skipped"} 1',
    ]);
    expect(samples(text, 'cronops_missed_fires_total')).toEqual([
      'cronops_missed_fires_total{schedule="backup"} 86400',
    ]);
    expect(samples(text, 'cronops_skipped_fires_total')).toEqual([
      'cronops_skipped_fires_total{schedule="backup",reason="forbid"} 1',
      'cronops_skipped_fires_total{schedule="cache",reason="shutdown"} 1',
    ]);
    expect(samples(text, 'cronops_config_reloads_total')).toEqual([
      'cronops_config_reloads_total{result="ok"} 1',
      'cronops_config_reloads_total{result="error"} 1',
    ]);
    expect(samples(text, 'cronops_run_duration_seconds_count')).toEqual([
      'cronops_run_duration_seconds_count{schedule="backup"} 2',
    ]);
    expect(samples(text, 'cronops_run_duration_seconds_sum')).toEqual([
      'cronops_run_duration_seconds_sum{schedule="backup"} 42.5',
    ]);
    expect(samples(text, 'cronops_run_duration_seconds_bucket')).toContain(
      'cronops_run_duration_seconds_bucket{le="5",schedule="backup"} 1',
    );
    expect(samples(text, 'cronops_run_duration_seconds_bucket')).toContain(
      'cronops_run_duration_seconds_bucket{le="21600",schedule="backup"} 2',
    );
  });

  it('reads the gauges from the snapshot at scrape time', async () => {
    let current = snapshot();
    const metrics = createStatusMetrics({ getSnapshot: () => current, defaultMetrics: false });
    const text = await metrics.render();
    expect(samples(text, 'cronops_last_success_timestamp_seconds')).toEqual([
      'cronops_last_success_timestamp_seconds{schedule="backup"} 1773140430',
    ]);
    expect(samples(text, 'cronops_next_fire_timestamp_seconds')).toEqual([
      'cronops_next_fire_timestamp_seconds{schedule="backup"} 1773147600',
    ]);
    expect(samples(text, 'cronops_running_runs')).toEqual([
      'cronops_running_runs{schedule="backup"} 1',
      'cronops_running_runs{schedule="cache"} 0',
    ]);
    expect(samples(text, 'cronops_config_errors')).toEqual(['cronops_config_errors 2']);
    expect(samples(text, 'cronops_ready')).toEqual(['cronops_ready 1']);
    expect(samples(text, 'cronops_schedule_info')).toEqual([
      'cronops_schedule_info{schedule="backup",timezone="Europe/Berlin",concurrency_policy="Forbid",suspended="false"} 1',
      'cronops_schedule_info{schedule="cache",timezone="UTC",concurrency_policy="Forbid",suspended="true"} 1',
    ]);
    expect(samples(text, 'cronops_schedule_health')).toContain(
      'cronops_schedule_health{schedule="cache",health="suspended"} 1',
    );
    // A schedule that disappears from the snapshot disappears from the gauges.
    current = { ...current, schedules: current.schedules.slice(1) };
    const later = await metrics.render();
    expect(samples(later, 'cronops_running_runs')).toEqual([
      'cronops_running_runs{schedule="cache"} 0',
    ]);
    expect(samples(later, 'cronops_last_success_timestamp_seconds')).toEqual([]);
  });

  it('adds the default process metrics to its own registry, the event loop sampled once a second', async () => {
    const monitor = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    const metrics = createStatusMetrics({ getSnapshot: snapshot });
    expect(monitor.mock.calls).toEqual([[{ resolution: 1_000 }]]);
    monitor.mockRestore();
    const text = await metrics.render();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
