import { describe, expect, it } from 'vitest';
import {
  formatIssue,
  parseManifestText,
  resolveSchedules,
  type ParsedFile,
} from '../../src/manifest/load.js';

const DEFAULTS = `apiVersion: cronops/v1
kind: Defaults
metadata:
  labels: { team: data, tier: low }
spec:
  timezone: Europe/Berlin
  timeout: 1h
  retries: { limit: 3, delay: 1m }
  output: { maxBytes: 1MiB }
  task:
    env: { TZ: Europe/Berlin, MODE: default }
    workingDir: /srv
  notify:
    - on: [failure]
      command: [mail, "{{ name }}"]
`;

function schedule(name: string, ...specLines: string[]): string {
  return [
    'apiVersion: cronops/v1',
    'kind: Schedule',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  schedule: "0 3 * * *"',
    '  task:',
    '    command: [run]',
    ...specLines,
    '',
  ].join('\n');
}

function parse(files: Record<string, string>): ParsedFile[] {
  return Object.entries(files).map(([file, text]) => parseManifestText(file, text));
}

describe('manifest/resolve', () => {
  it('applies schema defaults when there is no Defaults document', () => {
    const { schedules, issues } = resolveSchedules(parse({ 'd/a.yaml': schedule('plain') }));
    expect(issues).toEqual([]);
    expect(schedules).toHaveLength(1);
    expect(schedules[0]).toMatchObject({
      name: 'plain',
      file: 'd/a.yaml',
      line: 1,
      metadata: { name: 'plain', labels: {} },
    });
    expect(schedules[0]?.spec).toEqual({
      schedule: '0 3 * * *',
      timezone: 'UTC',
      suspend: false,
      concurrencyPolicy: 'Forbid',
      startingDeadline: 3_600_000,
      catchUp: 'latest',
      jitter: 0,
      timeout: 1_800_000,
      killGracePeriod: 10_000,
      retries: { limit: 0, backoff: 'exponential', delay: 30_000, maxDelay: 600_000 },
      params: {},
      task: { kind: 'command', command: ['run'], env: {} },
      output: { maxBytes: 65_536 },
      history: { successfulRunsLimit: 50, failedRunsLimit: 50 },
      notify: [],
    });
    expect(schedules[0]?.compiled).toMatchObject({ kind: 'cron', source: '0 3 * * *' });
  });

  it('merges Defaults: own fields win, maps merge key by key, lists are replaced', () => {
    const own = schedule(
      'own',
      '    env: { MODE: own, EXTRA: x }',
      '  timeout: 5m',
      '  retries: { backoff: fixed, delay: 10s }',
      '  notify:',
      '    - on: [success]',
      '      command: [celebrate]',
    ).replace('  name: own', '  name: own\n  labels: { tier: high }');
    const { schedules, issues } = resolveSchedules(
      parse({
        'd/00-defaults.yaml': DEFAULTS,
        'd/own.yaml': own,
        'd/plain.yaml': schedule('plain'),
      }),
    );
    expect(issues).toEqual([]);
    const [ownSchedule, plainSchedule] = schedules;
    expect(ownSchedule?.metadata.labels).toEqual({ team: 'data', tier: 'high' });
    expect(ownSchedule?.spec).toMatchObject({
      timezone: 'Europe/Berlin',
      timeout: 300_000,
      retries: { limit: 3, backoff: 'fixed', delay: 10_000, maxDelay: 600_000 },
      output: { maxBytes: 1_048_576 },
      task: {
        kind: 'command',
        command: ['run'],
        env: { TZ: 'Europe/Berlin', MODE: 'own', EXTRA: 'x' },
        workingDir: '/srv',
      },
      notify: [{ on: ['success'], command: ['celebrate'] }],
    });
    expect(plainSchedule?.metadata.labels).toEqual({ team: 'data', tier: 'low' });
    expect(plainSchedule?.spec).toMatchObject({
      timezone: 'Europe/Berlin',
      timeout: 3_600_000,
      retries: { limit: 3, backoff: 'exponential', delay: 60_000, maxDelay: 600_000 },
      task: { env: { TZ: 'Europe/Berlin', MODE: 'default' }, workingDir: '/srv' },
      notify: [{ on: ['failure'], command: ['mail', '{{ name }}'] }],
    });
  });

  it('applies Defaults only to schedules in the same directory', () => {
    const { schedules } = resolveSchedules(
      parse({ 'd/00-defaults.yaml': DEFAULTS, 'other/a.yaml': schedule('elsewhere') }),
    );
    expect(schedules[0]?.spec.timezone).toBe('UTC');
  });

  it('reports a duplicate name on the later file, with both locations', () => {
    const { schedules, issues } = resolveSchedules(
      parse({ 'd/b.yaml': schedule('backup'), 'd/a.yaml': schedule('backup') }),
    );
    expect(schedules.map((s) => s.file)).toEqual(['d/a.yaml']);
    expect(issues.map(formatIssue)).toEqual([
      'd/b.yaml:4:9: metadata.name: duplicate schedule name "backup": defined at d/a.yaml:4:9 and at d/b.yaml:4:9; names must be unique',
    ]);
  });

  it('reports a second Defaults document and keeps the first', () => {
    const second = DEFAULTS.replace('timezone: Europe/Berlin', 'timezone: Asia/Tokyo');
    const { schedules, issues } = resolveSchedules(
      parse({
        'd/z-defaults.yaml': second,
        'd/a-defaults.yaml': DEFAULTS,
        'd/s.yaml': schedule('s'),
      }),
    );
    expect(issues.map(formatIssue)).toEqual([
      'd/z-defaults.yaml:1:1: a second Defaults document in this directory (the first is at d/a-defaults.yaml:1:1); only one is allowed',
    ]);
    expect(schedules[0]?.spec.timezone).toBe('Europe/Berlin');
  });

  it('checks params templates from Defaults against each schedule', () => {
    const defaults = DEFAULTS.replace('[mail, "{{ name }}"]', '[mail, "{{ params.owner }}"]');
    const { schedules, issues } = resolveSchedules(
      parse({
        'd/00-defaults.yaml': defaults,
        'd/has-owner.yaml': schedule('has-owner', '  params: { owner: a@example.org }'),
        'd/no-owner.yaml': schedule('no-owner'),
        'd/own-notify.yaml': schedule('own-notify', '  notify: []'),
      }),
    );
    expect(schedules.map((s) => s.name)).toEqual(['has-owner', 'own-notify']);
    expect(issues.map(formatIssue)).toEqual([
      'd/no-owner.yaml:4:9: spec.notify[0].command[1]: template "{{ params.owner }}" refers to a missing param: params has no "owner" (it is empty); the template comes from the Defaults at d/00-defaults.yaml:15:23',
    ]);
  });

  it('reports an active window that only breaks after merging', () => {
    const defaults = DEFAULTS.replace(
      '  timezone: Europe/Berlin',
      '  timezone: Europe/Berlin\n  activeFrom: 2027-01-01T00:00:00Z',
    );
    const { schedules, issues } = resolveSchedules(
      parse({
        'd/00-defaults.yaml': defaults,
        'd/a.yaml': schedule('a', '  activeUntil: 2026-06-01T00:00:00Z'),
      }),
    );
    expect(schedules).toEqual([]);
    expect(issues.map(formatIssue)).toEqual([
      'd/a.yaml:4:9: spec.activeUntil: expected activeUntil to be after activeFrom (2027-01-01T00:00:00.000Z), got 2026-06-01T00:00:00.000Z (after merging the Defaults at d/00-defaults.yaml:1:1)',
    ]);
  });

  it('reports Defaults fields a Defaults document may not set', () => {
    const text = DEFAULTS.replace(
      '  timezone: Europe/Berlin',
      '  schedule: "0 0 * * *"\n  params: {}',
    ).replace('    workingDir: /srv', '    workingDir: /srv\n    shell: echo');
    expect(parseManifestText('d/defaults.yaml', text).issues.map(formatIssue)).toEqual([
      'd/defaults.yaml:6:3: spec.schedule: a Defaults document cannot set "schedule"; set it in each Schedule',
      'd/defaults.yaml:7:3: spec.params: a Defaults document cannot set "params"; set it in each Schedule',
      'd/defaults.yaml:14:5: spec.task.shell: a Defaults document cannot set the task kind ("shell"); set it in each Schedule (Defaults may set task.env and task.workingDir)',
    ]);
  });

  it('takes nothing from a file with issues, and orders schedules by file then position', () => {
    const broken = `${schedule('fine')}---\n${schedule('broken', '  timout: 1m')}`;
    const both = `${schedule('second')}---\n${schedule('first')}`;
    const { schedules } = resolveSchedules(
      parse({ 'd/c.yaml': broken, 'd/b.yaml': both, 'd/a.yaml': schedule('zeta') }),
    );
    expect(schedules.map((s) => `${s.file}:${s.line} ${s.name}`)).toEqual([
      'd/a.yaml:1 zeta',
      'd/b.yaml:1 second',
      'd/b.yaml:10 first',
    ]);
  });
});
