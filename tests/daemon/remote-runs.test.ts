import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  forwardRemoteRuns,
  selectRemoteRunEventType,
  type RemoteRunNotice,
} from '../../src/daemon/remote-runs.js';
import type { RunEvent } from '../../src/daemon/run-records.js';
import type { RunRecord, RunStatus } from '../../src/history/store.js';

const record = (id: string, status: RunStatus): RunRecord => ({
  id,
  schedule: 'tick',
  trigger: 'schedule',
  status,
  scheduledAt: '2026-03-01T10:00:00.000Z',
  specHash: 'h',
  attempts: [],
  replica: 'b:1:y',
});

describe('daemon/remote-runs', () => {
  it.each<[RunStatus, RunEvent['type'] | undefined]>([
    ['pending', undefined],
    ['running', 'run:started'],
    ['succeeded', 'run:finished'],
    ['failed', 'run:finished'],
    ['timedOut', 'run:finished'],
    ['interrupted', 'run:finished'],
    ['cancelled', 'run:finished'],
    ['skipped', 'run:recorded'],
    ['missed', 'run:recorded'],
  ])('a remote run %s is published as %s', (status, type) => {
    expect(selectRemoteRunEventType(status)).toBe(type);
  });

  it("publishes each status of another replica's run once, never started after finished", async () => {
    let listener: ((notice: RemoteRunNotice) => void) | undefined;
    const store = new Map<string, RunRecord>();
    const events: string[] = [];
    const stop = forwardRemoteRuns(
      {
        subscribeRemoteRuns: (l) => {
          listener = l;
          return () => (listener = undefined);
        },
      },
      { getRun: (id) => Promise.resolve(store.get(id)) },
      pino({ enabled: false }),
      (event) => events.push(`${event.type} ${event.run.id} ${event.run.replica ?? '-'}`),
    );
    const notify = async (id: string, status: RunStatus, stored: RunStatus): Promise<void> => {
      store.set(id, record(id, stored));
      listener?.({ replica: 'b:1:y', schedule: 'tick', runId: id, status });
      await new Promise((resolve) => setImmediate(resolve));
    };
    await notify('r1', 'running', 'running');
    await notify('r1', 'running', 'running'); // the same write notified twice
    await notify('r1', 'succeeded', 'succeeded');
    await notify('r2', 'running', 'succeeded'); // read after it finished: only its end
    await notify('r2', 'succeeded', 'succeeded');
    await notify('r3', 'pending', 'pending');
    await notify('r4', 'missed', 'missed');
    expect(events).toEqual([
      'run:started r1 b:1:y',
      'run:finished r1 b:1:y',
      'run:finished r2 b:1:y',
      'run:recorded r4 b:1:y',
    ]);
    stop();
    expect(listener).toBeUndefined();
  });
});
