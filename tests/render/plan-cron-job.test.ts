import { describe, expect, it } from 'vitest';
import { findDstWindows } from '../../src/render/dst-warning.js';
import {
  computeActiveDeadlineSeconds,
  planCronJob,
  type PlanContext,
} from '../../src/render/plan-cron-job.js';
import { loadTexts, scheduleText } from './load-texts.js';

const NOW = new Date('2026-12-06T21:00:00Z');
const context: PlanContext = {
  now: NOW,
  namePrefix: '',
  dstWindows: (zone) => findDstWindows(zone, NOW),
};

function plan(
  specLines: string,
  options: { schedule?: string; name?: string; prefix?: string } = {},
) {
  const { schedules } = loadTexts({
    'a.yaml': scheduleText(options.name ?? 'job', options.schedule ?? '0 4 * * *', specLines),
  });
  return planCronJob(schedules[0]!, { ...context, namePrefix: options.prefix ?? '' });
}

describe('render/plan-cron-job', () => {
  it('writes every field that maps, with cronops defaults rather than Kubernetes ones', () => {
    expect(plan('')).toEqual({
      ok: true,
      warnings: [],
      plan: {
        name: 'job',
        schedule: '0 4 * * *',
        timeZone: 'UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        suspend: false,
        successfulJobsHistoryLimit: 50,
        failedJobsHistoryLimit: 50,
        // 30m timeout + 10s kill grace, one attempt, + 60s for cronops exec
        activeDeadlineSeconds: 1800 + 10 + 60,
        terminationGracePeriodSeconds: 10,
      },
    });
  });

  it.each([
    ['  concurrencyPolicy: Allow\n', { concurrencyPolicy: 'Allow' }],
    ['  concurrencyPolicy: Replace\n', { concurrencyPolicy: 'Replace' }],
    ['  suspend: true\n', { suspend: true }],
    ['  startingDeadline: 90s\n', { startingDeadlineSeconds: 90 }],
    ['  startingDeadline: 1500ms\n', { startingDeadlineSeconds: 10 }],
    ['  timezone: America/Chicago\n', { timeZone: 'America/Chicago' }],
    [
      '  killGracePeriod: 45s\n',
      { terminationGracePeriodSeconds: 45, activeDeadlineSeconds: 1800 + 45 + 60 },
    ],
    ['  killGracePeriod: 1500ms\n', { terminationGracePeriodSeconds: 2 }],
    [
      '  history: { successfulRunsLimit: 3, failedRunsLimit: 7 }\n',
      { successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 7 },
    ],
    ['  activeFrom: "2026-01-01T00:00:00Z"\n', { suspend: false }],
    ['  activeUntil: "2026-12-01T00:00:00Z"\n', { suspend: true }],
  ])('%s', (specLines, expected) => {
    const decision = plan(specLines);
    expect(decision.ok).toBe(true);
    expect(decision.ok && decision.plan).toMatchObject(expected);
  });

  it.each([
    // 3 attempts of 10m + 10s grace, delays 30s then 60s (exponential), + 60s
    ['  timeout: 10m\n  retries: { limit: 2 }\n', 3 * 610 + 30 + 60 + 60],
    [
      '  timeout: 10m\n  retries: { limit: 2, backoff: fixed, delay: 20s }\n',
      3 * 610 + 20 + 20 + 60,
    ],
    [
      '  timeout: 1m\n  retries: { limit: 3, backoff: linear, delay: 10s }\n',
      4 * 70 + 10 + 20 + 30 + 60,
    ],
    [
      '  timeout: 1m\n  retries: { limit: 4, backoff: exponential, delay: 1m, maxDelay: 3m }\n',
      5 * 70 + 60 + 120 + 180 + 180 + 60,
    ],
    ['  timeout: 1m\n  retries: { limit: 2, backoff: none }\n', 3 * 70 + 60],
  ])('activeDeadlineSeconds for %s is %i', (specLines, seconds) => {
    const { schedules } = loadTexts({ 'a.yaml': scheduleText('job', '0 4 * * *', specLines) });
    expect(computeActiveDeadlineSeconds(schedules[0]!)).toBe(seconds);
  });

  it.each([
    ['  catchUp: none\n', 'spec.catchUp', /catchUp: none becomes startingDeadlineSeconds: 10/, 10],
    [
      '  startingDeadline: 5s\n',
      'spec.startingDeadline',
      /startingDeadline 5s becomes startingDeadlineSeconds: 10/,
      10,
    ],
    ['  jitter: 30s\n', 'spec.jitter', /jitter 30s is not applied/, 3600],
    [
      '  activeUntil: "2026-12-01T00:00:00Z"\n',
      'spec.activeUntil',
      /ended at 2026-12-01T00:00:00.000Z: rendered with suspend: true/,
      3600,
    ],
    [
      '  activeFrom: "2026-01-01T00:00:00Z"\n  activeUntil: "2027-01-01T00:00:00Z"\n',
      'spec.activeUntil',
      /keeps firing after activeUntil 2027-01-01T00:00:00.000Z until rendered again/,
      3600,
    ],
    [
      "  notify:\n    - on: [missed]\n      command: ['/bin/true']\n",
      'spec.notify',
      /notify on "missed" is never sent/,
      3600,
    ],
  ])('%s renders with a warning at %s', (specLines, path, text, deadline) => {
    const decision = plan(specLines);
    expect(decision.ok).toBe(true);
    if (!decision.ok) return;
    expect(decision.warnings).toEqual([
      { path: path.split('.'), text: expect.stringMatching(text) },
    ]);
    expect(decision.plan.startingDeadlineSeconds).toBe(deadline);
  });

  it('warns about a fixed time inside a DST transition hour of the schedule zone', () => {
    const decision = plan('  timezone: Europe/Berlin\n', { schedule: '30 2 * * *' });
    expect(decision.ok && decision.warnings).toEqual([
      { path: ['spec', 'schedule'], text: expect.stringMatching(/02:30 Europe\/Berlin/) },
    ]);
  });

  it.each([
    [
      '  concurrencyPolicy: Queue\n',
      {},
      'spec.concurrencyPolicy',
      /Queue has no CronJob equivalent/,
    ],
    ['  catchUp: all\n', {}, 'spec.catchUp', /catchUp: all has no CronJob equivalent/],
    [
      '  activeFrom: "2027-01-01T00:00:00Z"\n',
      {},
      'spec.activeFrom',
      /starts at 2027-01-01T00:00:00.000Z, still to come/,
    ],
    ['', { schedule: '0 0 4 * * *' }, 'spec.schedule', /seconds field/],
    ['', { schedule: '0 0 L * *' }, 'spec.schedule', /"L"/],
    ['', { schedule: '@every 10s' }, 'spec.schedule', /more often than once a minute/],
    [
      '',
      { name: 'a'.repeat(53) },
      'metadata.name',
      /is 53 characters; a CronJob name is at most 52/,
    ],
    [
      '',
      { name: 'a'.repeat(45), prefix: 'team-a-x' },
      'metadata.name',
      /"team-a-xa+" is 53 characters/,
    ],
  ])('%s %j is an error at %s', (specLines, options, path, reason) => {
    expect(plan(specLines, options)).toEqual({
      ok: false,
      errors: [{ path: path.split('.'), text: expect.stringMatching(reason) }],
    });
  });

  it('a name of exactly 52 characters after the prefix maps', () => {
    const decision = plan('', { name: 'a'.repeat(44), prefix: 'team-a-x' });
    expect(decision.ok && decision.plan.name).toBe(`team-a-x${'a'.repeat(44)}`);
  });

  it('reports every reason at once', () => {
    const decision = plan('  concurrencyPolicy: Queue\n  catchUp: all\n', {
      schedule: '0 0 L * *',
    });
    expect(!decision.ok && decision.errors.map((error) => error.path.join('.'))).toEqual([
      'spec.schedule',
      'spec.concurrencyPolicy',
      'spec.catchUp',
    ]);
  });

  it.each([
    ['{ team: growth, "app.kubernetes.io/part-of": reports }', undefined],
    ['{ owner: "Ana Lima" }', /label value "Ana Lima" of "owner"/],
    ['{ "bad key!": x }', /label key "bad key!"/],
    [`{ long: ${'x'.repeat(64)} }`, /label value/],
  ])('labels %s', (labels, problem) => {
    const { schedules } = loadTexts({
      'a.yaml': scheduleText('job', '0 4 * * *').replace(
        '  name: job\n',
        `  name: job\n  labels: ${labels}\n`,
      ),
    });
    const decision = planCronJob(schedules[0]!, context);
    if (problem === undefined) expect(decision.ok).toBe(true);
    else expect(!decision.ok && decision.errors[0]?.text).toMatch(problem);
  });

  it('refuses an after chain when the schema has one (pipelines)', () => {
    const { schedules } = loadTexts({ 'a.yaml': scheduleText('job', '0 4 * * *') });
    const chained = {
      ...schedules[0]!,
      spec: { ...schedules[0]!.spec, after: [{ schedule: 'x', when: 'succeeded' as const }] },
    };
    expect(planCronJob(chained, context)).toEqual({
      ok: false,
      errors: [
        {
          path: ['spec', 'after'],
          text: expect.stringMatching(/after chain has no CronJob equivalent/),
        },
      ],
    });
  });
});
