import { describe, expect, it } from 'vitest';
import {
  decideNotify,
  keyNotifyEntry,
  planNotifications,
  type NotifyPolicyEntry,
  type NotifyPolicyRun,
} from '../../src/runtime/notify-policy.js';

const HOUR = 3_600_000;
const at = (iso: string): Date => new Date(iso);

describe('runtime/notify-policy', () => {
  describe('decideNotify', () => {
    it.each([
      // mode every: each time, whatever came before
      { event: 'failure', mode: 'every', previousRun: 'failed', expected: true },
      { event: 'success', mode: 'every', previousRun: 'succeeded', expected: true },
      // mode change: the first failure, not the next ones
      { event: 'failure', mode: 'change', expected: true },
      { event: 'failure', mode: 'change', previousRun: 'succeeded', expected: true },
      { event: 'failure', mode: 'change', previousRun: 'failed', expected: false },
      { event: 'failure', mode: 'change', previousRun: 'timedOut', expected: false },
      // a missed fire between two failures does not make the second one "first"
      {
        event: 'failure',
        mode: 'change',
        previousRun: 'failed',
        previousFinal: 'missed',
        expected: false,
      },
      // recovery is a change by definition; success only after a non-success
      { event: 'recovery', mode: 'change', previousRun: 'failed', expected: true },
      { event: 'success', mode: 'change', previousRun: 'failed', expected: true },
      { event: 'success', mode: 'change', previousRun: 'succeeded', expected: false },
      { event: 'success', mode: 'change', expected: true },
      // the first missed fire, not the next ones
      { event: 'missed', mode: 'change', previousFinal: 'succeeded', expected: true },
      { event: 'missed', mode: 'change', previousFinal: 'failed', expected: true },
      { event: 'missed', mode: 'change', previousFinal: 'missed', expected: false },
    ] as const)(
      '$event, $mode, previous run $previousRun / final $previousFinal → $expected',
      (row) => {
        const { expected, ...input } = row;
        expect(decideNotify({ ...input, now: at('2026-03-01T12:00:00Z') })).toBe(expected);
      },
    );

    it.each([
      // still failing: repeat once repeatInterval passed since the entry's last notification
      { lastNotifiedAt: '2026-03-01T06:00:00Z', now: '2026-03-01T11:59:59.999Z', expected: false },
      { lastNotifiedAt: '2026-03-01T06:00:00Z', now: '2026-03-01T12:00:00Z', expected: true },
      { lastNotifiedAt: '2026-03-01T06:00:00Z', now: '2026-03-02T00:00:00Z', expected: true },
      // nothing on record (history from before this entry existed): send now, then every interval
      { lastNotifiedAt: undefined, now: '2026-03-01T12:00:00Z', expected: true },
    ])('repeatInterval 6h, last notified $lastNotifiedAt, now $now → $expected', (row) => {
      expect(
        decideNotify({
          event: 'failure',
          mode: 'change',
          repeatInterval: 6 * HOUR,
          previousRun: 'failed',
          ...(row.lastNotifiedAt === undefined ? {} : { lastNotifiedAt: row.lastNotifiedAt }),
          now: at(row.now),
        }),
      ).toBe(row.expected);
    });
  });

  describe('planNotifications', () => {
    const alerts: NotifyPolicyEntry = {
      on: ['failure', 'recovery'],
      webhook: { url: 'https://h/x' },
    };
    const chatty: NotifyPolicyEntry = { on: ['failure'], mode: 'every', command: ['page'] };
    const repeating: NotifyPolicyEntry = {
      on: ['failure', 'missed'],
      repeatInterval: 6 * HOUR,
      command: ['mail', 'ops'],
    };
    const entries = [alerts, chatty, repeating];
    const [kA, kC, kR] = entries.map(keyNotifyEntry) as [string, string, string];
    const run = (
      id: string,
      status: string,
      notified?: Record<string, string>,
    ): NotifyPolicyRun => ({
      id,
      status,
      ...(notified ? { notified } : {}),
    });

    it.each([
      {
        name: 'the first failure notifies every entry and is remembered',
        status: 'failed',
        runs: [run('01A', 'succeeded')],
        now: '2026-03-01T12:00:00.000Z',
        sends: ['0 failure', '1 failure', '2 failure'],
        notified: {
          [kA]: '2026-03-01T12:00:00.000Z',
          [kC]: '2026-03-01T12:00:00.000Z',
          [kR]: '2026-03-01T12:00:00.000Z',
        },
      },
      {
        name: 'the next failure notifies only mode every; memory is carried forward',
        status: 'failed',
        runs: [
          run('01A', 'succeeded'),
          run('01B', 'failed', {
            [kA]: '2026-03-01T12:00:00.000Z',
            [kR]: '2026-03-01T12:00:00.000Z',
          }),
        ],
        now: '2026-03-01T12:00:01.000Z',
        sends: ['1 failure'],
        notified: {
          [kA]: '2026-03-01T12:00:00.000Z',
          [kC]: '2026-03-01T12:00:01.000Z',
          [kR]: '2026-03-01T12:00:00.000Z',
        },
      },
      {
        name: 'six hours on, the repeating entry sends again',
        status: 'timedOut',
        runs: [
          run('01B', 'failed', {
            [kA]: '2026-03-01T12:00:00.000Z',
            [kR]: '2026-03-01T12:00:00.000Z',
          }),
        ],
        now: '2026-03-01T18:00:00.000Z',
        sends: ['1 failure', '2 failure'],
        notified: {
          [kA]: '2026-03-01T12:00:00.000Z',
          [kC]: '2026-03-01T18:00:00.000Z',
          [kR]: '2026-03-01T18:00:00.000Z',
        },
      },
      {
        name: 'recovery notifies the entries that want it, once',
        status: 'succeeded',
        runs: [run('01C', 'failed', { [kA]: '2026-03-01T12:00:00.000Z' })],
        now: '2026-03-01T19:00:00.000Z',
        sends: ['0 recovery'],
        notified: { [kA]: '2026-03-01T19:00:00.000Z' },
      },
      {
        name: 'the first missed fire notifies; the previous final record is read whatever the order',
        status: 'missed',
        runs: [run('01E', 'missed'), run('01F', 'succeeded', { [kR]: '2026-03-01T10:00:00.000Z' })],
        now: '2026-03-01T20:00:00.000Z',
        sends: ['2 missed'],
        notified: { [kR]: '2026-03-01T20:00:00.000Z' },
      },
      {
        name: 'a second missed fire in a row does not',
        status: 'missed',
        runs: [run('01F', 'succeeded'), run('01G', 'missed', { [kR]: '2026-03-01T20:00:00.000Z' })],
        now: '2026-03-01T20:00:05.000Z',
        sends: [],
        notified: { [kR]: '2026-03-01T20:00:00.000Z' },
      },
      {
        name: 'an interrupted run notifies nothing and carries nothing',
        status: 'interrupted',
        runs: [run('01G', 'failed', { [kA]: '2026-03-01T20:00:00.000Z' })],
        now: '2026-03-01T21:00:00.000Z',
        sends: [],
        notified: undefined,
      },
      {
        name: 'interrupted and cancelled runs are looked through: still failing, no new alert',
        status: 'failed',
        runs: [
          run('01H', 'failed', { [kA]: '2026-03-01T20:00:00.000Z' }),
          run('01I', 'interrupted'),
          run('01J', 'cancelled'),
        ],
        now: '2026-03-01T21:00:00.000Z',
        sends: ['1 failure', '2 failure'], // the repeating entry had nothing on record
        notified: {
          [kA]: '2026-03-01T20:00:00.000Z',
          [kC]: '2026-03-01T21:00:00.000Z',
          [kR]: '2026-03-01T21:00:00.000Z',
        },
      },
    ])('$name', ({ status, runs, now, sends, notified }) => {
      const plan = planNotifications({
        status,
        runId: '01Z',
        entries,
        runs: [...runs, run('01Z', status)],
        now: at(now),
      });
      expect(plan.sends.map((s) => `${s.entry} ${s.event}`)).toEqual(sends);
      expect(plan.notified).toEqual(notified);
    });

    it('forgets the memory of an entry that was removed', () => {
      const plan = planNotifications({
        status: 'failed',
        runId: '01Z',
        entries: [alerts],
        runs: [
          run('01B', 'failed', {
            [kA]: '2026-03-01T12:00:00.000Z',
            gone: '2026-03-01T12:00:00.000Z',
          }),
        ],
        now: at('2026-03-01T13:00:00Z'),
      });
      expect(plan).toEqual({ sends: [], notified: { [kA]: '2026-03-01T12:00:00.000Z' } });
    });
  });

  it('keys an entry by its events and target, never holding the URL in clear', () => {
    const key = keyNotifyEntry({ on: ['failure'], webhook: { url: 'https://h/token-abc' } });
    expect(key).toMatch(/^[0-9a-f]{12}$/);
    expect(keyNotifyEntry({ on: ['failure'], webhook: { url: 'https://h/token-abc' } })).toBe(key);
    expect(keyNotifyEntry({ on: ['failure'], webhook: { url: 'https://h/other' } })).not.toBe(key);
    expect(
      keyNotifyEntry({ on: ['failure', 'recovery'], webhook: { url: 'https://h/token-abc' } }),
    ).not.toBe(key);
  });
});
