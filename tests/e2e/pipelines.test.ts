// Pipelines end to end: the real daemon runs `spec.after` chains with sub-second schedules, real processes and kill -9.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import {
  CLI,
  manifest,
  readRuns,
  stopDaemon,
  waitFor,
  writeManifest,
  type RunningDaemon,
  type StoredRun,
  useDaemons,
} from './daemon-harness.js';

/** A stored run with the fields `after` adds. */
type ChainRun = StoredRun & {
  upstream?: { schedule: string; runId: string; status: string };
  chainId?: string;
  logicalTime?: string;
};

const daemons = useDaemons();
const { setup } = daemons;

function daemon(dir: string, state: string, listen = 'off') {
  return daemons.daemon(['--dir', dir, '--state-dir', state, '--listen', listen]);
}

/** The URL of a daemon started with --listen 127.0.0.1:0. */
function endpointOf(d: RunningDaemon): Promise<string> {
  return waitFor('the endpoint to listen', () => {
    const line = d
      .output()
      .split('\n')
      .find((l) => l.includes('"status endpoint listening"'));
    return line ? (JSON.parse(line) as { url: string }).url : undefined;
  });
}

const runsOf = async (state: string, name: string) => (await readRuns(state, name)) as ChainRun[];

/** The env a step sees, printed by the step itself. */
const PRINT_LINK =
  'echo "up=$CRONOPS_UPSTREAM_SCHEDULE/$CRONOPS_UPSTREAM_RUN_ID/$CRONOPS_UPSTREAM_STATUS chain=$CRONOPS_CHAIN_ID logical=$CRONOPS_LOGICAL_TIME"';

describe('e2e/pipelines', { timeout: 90_000 }, () => {
  it('runs a three-step chain once per upstream run, passing the link, the chain id and the logical time', async () => {
    const { dir, state } = await setup();
    await writeManifest(
      dir,
      'chain.yaml',
      manifest('extract', { schedule: '*/2 * * * * *', task: { shell: 'echo extract' } }),
      manifest('transform', {
        after: [{ schedule: 'extract' }],
        task: { shell: `${PRINT_LINK}; echo "date={{ date }} status={{ upstream.status }}"` },
      }),
      manifest('load', {
        after: [{ schedule: 'transform', when: 'succeeded' }],
        task: { shell: PRINT_LINK },
      }),
    );
    const d = daemon(dir, state, '127.0.0.1:0');
    const url = await endpointOf(d);
    const load = await waitFor(
      'a load run',
      async () => (await runsOf(state, 'load')).find((r) => r.status === 'succeeded'),
      30_000,
    );
    // The API lists the whole chain, and the status shows the after-only steps by what starts them.
    const chain = (await (
      await fetch(`${url}/api/v1/runs?chain=${load.chainId ?? ''}`)
    ).json()) as {
      runs: ChainRun[];
    };
    expect(chain.runs.map((r) => r.schedule)).toEqual(['load', 'transform', 'extract']);
    expect(chain.runs[0]).toMatchObject({
      trigger: 'after',
      chainId: load.chainId,
      upstream: load.upstream,
    });
    const status = (await (await fetch(`${url}/status`)).json()) as {
      schedules: { name: string; schedule: string; humanSchedule: string; after?: unknown }[];
    };
    expect(status.schedules.find((s) => s.name === 'transform')).toMatchObject({
      schedule: 'after extract (succeeded)',
      humanSchedule: 'after extract (succeeded)',
      after: [{ schedule: 'extract', when: 'succeeded' }],
    });
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    const history = await execa(process.execPath, [
      CLI,
      'history',
      '--state-dir',
      state,
      '--chain',
      load.chainId ?? '',
    ]);
    expect(history.stdout.split('\n').map((line) => line.split(/\s{2,}/).slice(1, 3))).toEqual([
      ['SCHEDULE', 'TRIGGER'],
      ['load', 'after transform'],
      ['transform', 'after extract'],
      ['extract', 'schedule'],
    ]);
    const extracts = await runsOf(state, 'extract');
    const transforms = await runsOf(state, 'transform');
    const transform = transforms.find((r) => r.id === load.upstream?.runId);
    const extract = extracts.find((r) => r.id === transform?.upstream?.runId);
    expect(transform).toBeDefined();
    expect(extract).toBeDefined();
    expect(load).toMatchObject({
      trigger: 'after',
      upstream: { schedule: 'transform', runId: transform?.id, status: 'succeeded' },
      chainId: extract?.id,
      logicalTime: extract?.scheduledAt,
    });
    expect(transform).toMatchObject({
      trigger: 'after',
      upstream: { schedule: 'extract', runId: extract?.id, status: 'succeeded' },
      chainId: extract?.id,
      logicalTime: extract?.scheduledAt,
    });
    expect(load.attempts[0]?.outputTail).toContain(
      `up=transform/${transform?.id}/succeeded chain=${extract?.id} logical=${extract?.scheduledAt}`,
    );
    expect(transform?.attempts[0]?.outputTail).toContain(
      `date=${extract?.scheduledAt.slice(0, 10)} status=succeeded`,
    );
    // Exactly once: no upstream run started two transforms, and every finished extract started one.
    const upstreamIds = transforms.map((r) => r.upstream?.runId);
    expect(new Set(upstreamIds).size).toBe(upstreamIds.length);
    const lastTransform = transforms.at(-1)?.upstream?.runId ?? '';
    for (const run of extracts.filter((r) => r.status === 'succeeded' && r.id < lastTransform))
      expect(upstreamIds).toContain(run.id);
  });

  it('runs a when: failed step after the final outcome of a retried run, and not the success step', async () => {
    const { dir, state } = await setup();
    await writeManifest(
      dir,
      'flaky.yaml',
      manifest('flaky', {
        schedule: '*/2 * * * * *',
        retries: { limit: 1, backoff: 'none' },
        task: { shell: 'exit 3' },
      }),
      manifest('alert', {
        after: [{ schedule: 'flaky', when: 'failed' }],
        task: {
          shell: 'echo "{{ upstream.schedule }} {{ upstream.status }} {{ upstream.runId }}"',
        },
      }),
      manifest('celebrate', {
        after: [{ schedule: 'flaky' }],
        task: { shell: 'echo yay' },
      }),
    );
    const d = daemon(dir, state);
    const alert = await waitFor(
      'an alert run',
      async () => (await runsOf(state, 'alert')).find((r) => r.status === 'succeeded'),
      30_000,
    );
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    const flaky = (await runsOf(state, 'flaky')).find((r) => r.id === alert.upstream?.runId);
    expect(flaky?.status).toBe('failed');
    expect(flaky?.attempts).toHaveLength(2);
    expect(alert.upstream).toEqual({ schedule: 'flaky', runId: flaky?.id, status: 'failed' });
    expect(alert.attempts[0]?.outputTail).toContain(`flaky failed ${flaky?.id}`);
    expect(await runsOf(state, 'celebrate')).toEqual([]);
  });

  it('after kill -9 between an upstream end and its downstream start, starts it once (or records it missed past its deadline)', async () => {
    const { root, dir, state } = await setup();
    // Each downstream's first run holds its slot (concurrencyPolicy Queue), so the next one is made durable
    // at its upstream's end and then waits, not started, for as long as the test needs: no race with a timer.
    const holdOnce = (mark: string, then: string) =>
      `if [ ! -e "${join(root, mark)}" ]; then touch "${join(root, mark)}"; sleep 30; fi; ${then}`;
    await writeManifest(
      dir,
      'crash.yaml',
      manifest('up', { schedule: '*/2 * * * * *', task: { shell: 'echo up' } }),
      manifest('down', {
        after: [{ schedule: 'up' }],
        concurrencyPolicy: 'Queue',
        startingDeadline: '1h',
        task: { shell: holdOnce('down-held', PRINT_LINK) },
      }),
      manifest('down-strict', {
        after: [{ schedule: 'up' }],
        concurrencyPolicy: 'Queue',
        startingDeadline: '1s',
        task: { shell: holdOnce('strict-held', 'echo strict') },
      }),
    );
    const first = daemon(dir, state);
    const journal = join(state, 'fires.journal');
    interface AfterLine {
      runId: string;
      schedule: string;
      awaitingStart?: boolean;
      upstream: { runId: string };
    }
    const awaiting = await waitFor(
      'both downstream fires durable and queued behind a started run',
      async () => {
        const lines = (await readFile(journal, 'utf8').catch(() => ''))
          .split('\n')
          .filter((l) => l.includes('"trigger":"after"'))
          .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as AfterLine);
        const started = new Set(lines.filter((l) => !l.awaitingStart).map((l) => l.runId));
        // Queued: durable after a run of the same schedule started (that run holds the slot 30 s).
        const queued = (schedule: string) => {
          const holder = lines.findIndex((l) => l.schedule === schedule && !l.awaitingStart);
          return lines.find(
            (l, index) =>
              index > holder &&
              holder >= 0 &&
              l.schedule === schedule &&
              l.awaitingStart === true &&
              !started.has(l.runId),
          );
        };
        const down = queued('down');
        const strict = queued('down-strict');
        return down && strict && down.upstream.runId === strict.upstream.runId
          ? { down, strict }
          : undefined;
      },
      60_000,
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    // Past down-strict's 1 s deadline, well within down's hour.
    await new Promise((r) => setTimeout(r, 2_500));
    const second = daemon(dir, state);
    const resumed = await waitFor(
      'the downstream run, started after the restart',
      async () =>
        (await runsOf(state, 'down')).find(
          (r) => r.id === awaiting.down.runId && r.status === 'succeeded',
        ),
      60_000,
    );
    const strict = await waitFor(
      'down-strict recorded missed',
      async () =>
        (await runsOf(state, 'down-strict')).find(
          (r) => r.id === awaiting.strict.runId && r.status !== 'pending',
        ),
      60_000,
    );
    expect(await stopDaemon(second)).toEqual({ code: 0, signal: null });
    const upstream = (await runsOf(state, 'up')).find((r) => r.id === awaiting.down.upstream.runId);
    expect(upstream?.status).toBe('succeeded');
    expect(resumed).toMatchObject({
      trigger: 'after',
      upstream: { schedule: 'up', runId: upstream?.id },
    });
    expect(resumed.attempts).toHaveLength(1);
    expect(resumed.attempts[0]?.outputTail).toContain(`up=up/${upstream?.id}/succeeded`);
    expect(strict).toMatchObject({
      status: 'missed',
      trigger: 'after',
      upstream: { runId: upstream?.id },
    });
    // Neither lost nor doubled: one run of each downstream for that upstream run.
    const downs = (await runsOf(state, 'down')).filter((r) => r.upstream?.runId === upstream?.id);
    expect(downs.map((r) => r.id)).toEqual([awaiting.down.runId]);
    const stricts = (await runsOf(state, 'down-strict')).filter(
      (r) => r.upstream?.runId === upstream?.id,
    );
    expect(stricts.map((r) => r.id)).toEqual([awaiting.strict.runId]);
  }, 180_000);

  it('records a suspended downstream, and one outside its active window, as skipped with the reason; a suspended upstream starts nothing', async () => {
    const { dir, state } = await setup();
    await writeManifest(
      dir,
      'skips.yaml',
      manifest('up', { schedule: '*/1 * * * * *', task: { shell: 'echo up' } }),
      manifest('paused', {
        after: [{ schedule: 'up' }],
        suspend: true,
        task: { shell: 'echo no' },
      }),
      manifest('later', {
        after: [{ schedule: 'up' }],
        activeFrom: '2099-01-01T00:00:00Z',
        task: { shell: 'echo no' },
      }),
      manifest('asleep', { schedule: '*/1 * * * * *', suspend: true, task: { shell: 'echo no' } }),
      manifest('never', {
        after: [{ schedule: 'asleep', when: 'finished' }],
        task: { shell: 'echo no' },
      }),
    );
    const d = daemon(dir, state);
    const paused = await waitFor(
      'a skipped run of the suspended downstream',
      async () => (await runsOf(state, 'paused')).find((r) => r.status === 'skipped'),
      60_000,
    );
    const later = await waitFor(
      'a skipped run of the downstream outside its active window',
      async () => (await runsOf(state, 'later')).find((r) => r.status === 'skipped'),
      60_000,
    );
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    const ups = await runsOf(state, 'up');
    const upOfPaused = ups.find((r) => r.id === paused.upstream?.runId);
    expect(upOfPaused?.status).toBe('succeeded');
    expect(paused).toMatchObject({
      trigger: 'after',
      reason: 'the schedule is suspended',
      upstream: { schedule: 'up', runId: upOfPaused?.id, status: 'succeeded' },
      chainId: upOfPaused?.id,
      attempts: [],
    });
    expect(later).toMatchObject({
      trigger: 'after',
      upstream: { schedule: 'up', status: 'succeeded' },
      attempts: [],
    });
    expect(later.reason).toMatch(
      /^outside its active window: it is active from 2099-01-01T00:00:00/,
    );
    // Nothing ran for them, and the suspended upstream neither ran nor started its downstream.
    expect((await runsOf(state, 'paused')).filter((r) => r.status !== 'skipped')).toEqual([]);
    expect((await runsOf(state, 'later')).filter((r) => r.status !== 'skipped')).toEqual([]);
    expect(await runsOf(state, 'asleep')).toEqual([]);
    expect(await runsOf(state, 'never')).toEqual([]);
  });

  it('a reload that changes after while a chain runs: the run in flight ends under the new links', async () => {
    const { dir, state } = await setup();
    const write = (upstreamOfB: string) =>
      writeManifest(
        dir,
        'reload.yaml',
        manifest('a', { schedule: '*/3 * * * * *', task: { shell: 'sleep 1.5; echo a' } }),
        manifest('c', { schedule: '*/2 * * * * *', task: { shell: 'echo c' } }),
        manifest('b', { after: [{ schedule: upstreamOfB }], task: { shell: PRINT_LINK } }),
      );
    await write('a');
    const d = daemon(dir, state);
    await waitFor(
      'b after a',
      async () => (await runsOf(state, 'b')).find((r) => r.status === 'succeeded'),
      30_000,
    );
    const inFlight = await waitFor(
      'a run of a in progress',
      async () => (await runsOf(state, 'a')).find((r) => r.status === 'running'),
      30_000,
    );
    await write('c');
    await waitFor('the reload', () => d.output().match(/"updated":1[^\n]*"msg":"reconciled"/));
    await waitFor(
      'the run of a in flight to end',
      async () =>
        (await runsOf(state, 'a')).find((r) => r.id === inFlight.id && r.status === 'succeeded'),
      30_000,
    );
    const afterC = await waitFor(
      'b after c',
      async () =>
        (await runsOf(state, 'b')).find(
          (r) => r.upstream?.schedule === 'c' && r.status === 'succeeded',
        ),
      30_000,
    );
    // A little longer, so a b that the run in flight would wrongly start has had its chance.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await stopDaemon(d)).toEqual({ code: 0, signal: null });
    const bs = await runsOf(state, 'b');
    expect(bs.filter((r) => r.upstream?.runId === inFlight.id)).toEqual([]);
    expect(afterC.attempts[0]?.outputTail).toContain('up=c/');
    // `cronops plan` shows a change of `after` against what the daemon last ran.
    await write('a');
    const plan = await execa(process.execPath, [CLI, 'plan', '--dir', dir, '--state-dir', state]);
    expect(plan.stdout).toContain('~ update  b');
    expect(plan.stdout).toContain('spec.after[0].schedule: "c" → "a"');
  });
});
