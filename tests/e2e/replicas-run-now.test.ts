// "Run now" across real daemon replicas on one PostgreSQL store: the answer of replica B comes after the
// cluster's concurrencyPolicy has decided — skipped with the reason while replica A runs a Forbid schedule
// (HTTP 409, and `cronops trigger` exits 1), started under Allow, waiting under Queue — and a repeated
// request id, on either replica, answers the same run with the same kind of answer.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../pg/database.js';
import {
  CLI,
  manifest,
  type RunningDaemon,
  stopDaemon,
  useCleanup,
  waitFor,
} from './daemon-harness.js';
import { startReplica, waitForEndpoint, waitForReplica } from './replicas-harness.js';

const TOKEN = 'e2e-replicas-trigger-token-0123456789';

interface Answer {
  status: number;
  body: { runId: string; outcome: string; reason?: string };
  ms: number;
}

/** POST …/trigger on one replica, with the token and, when given, a request id. */
async function trigger(url: string, name: string, requestId?: string): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/schedules/${name}/trigger`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      ...(requestId === undefined ? {} : { 'Idempotency-Key': requestId }),
    },
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await response.json()) as Answer['body'];
  return { status: response.status, body, ms: Math.round(performance.now() - started) };
}

/** The run as the shared history has it, once its status is `status`. */
async function waitForRun(
  url: string,
  runId: string,
  status: string,
): Promise<{ status: string; replica: string; reason?: string }> {
  return waitFor(`run ${runId} to be ${status}`, async () => {
    const response = await fetch(`${url}/api/v1/runs/${runId}`);
    if (response.status !== 200) return undefined;
    const run = (await response.json()) as { status: string; replica: string; reason?: string };
    return run.status === status ? run : undefined;
  });
}

describe('e2e: run now across replicas', () => {
  const cleanup = useCleanup();

  it('answers after the cluster policy: skipped under Forbid, started under Allow, waiting under Queue', async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const root = await mkdtemp(join(tmpdir(), 'cronops-run-now-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    const dir = join(root, 'schedules.d');
    await mkdir(dir);
    // Yearly schedules: only run now starts them. Each run lasts longer than the test.
    for (const policy of ['Forbid', 'Allow', 'Queue']) {
      await writeFile(
        join(dir, `${policy.toLowerCase()}.yaml`),
        manifest(`long-${policy.toLowerCase()}`, {
          schedule: '0 0 1 1 *',
          concurrencyPolicy: policy,
          task: { shell: 'sleep 60' },
        }),
      );
    }
    const replicas = ['a', 'b'].map((name) => {
      const daemon = startReplica(name, {
        dir,
        state: join(root, `state-${name}`),
        url: db.url,
        env: { CRONOPS_TRIGGER_TOKEN: TOKEN },
      });
      cleanup.push(() => stopDaemon(daemon, 30_000));
      return daemon;
    }) as [RunningDaemon, RunningDaemon];
    await Promise.all(replicas.map((daemon) => waitForReplica(daemon)));
    const [a, b] = await Promise.all(replicas.map((daemon) => waitForEndpoint(daemon)));

    // Forbid: a long run on A; run now on B is refused, and says so.
    const first = await trigger(a!, 'long-forbid');
    expect(first).toMatchObject({ status: 202, body: { outcome: 'started' } });
    const holder = await waitForRun(b!, first.body.runId, 'running');
    const refused = await trigger(b!, 'long-forbid', 'req-forbid');
    const reason = `previous run ${first.body.runId} on replica ${holder.replica} is still running (concurrencyPolicy Forbid)`;
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ outcome: 'skipped', reason });
    expect(await waitForRun(a!, refused.body.runId, 'skipped')).toMatchObject({ reason });
    // The same request again, on B and on A: the same run, refused again.
    const repeats = [await trigger(b!, 'long-forbid', 'req-forbid')];
    repeats.push(await trigger(a!, 'long-forbid', 'req-forbid'));
    for (const repeat of repeats) {
      expect(repeat.status).toBe(409);
      expect(repeat.body.runId).toBe(refused.body.runId);
      expect(repeat.body.outcome).toBe('skipped');
      expect(repeat.body.reason).toMatch(
        new RegExp(`^${escape(reason)}; request req-forbid was already made: it is run `),
      );
    }
    // `cronops trigger` against B: exit 1, the reason on stderr.
    const cli = await promisify(execFile)(
      process.execPath,
      [CLI, 'trigger', 'long-forbid', '--url', b!, '--request-id', 'req-cli'],
      { env: { ...process.env, CRONOPS_TRIGGER_TOKEN: TOKEN } },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe(`cronops: "long-forbid" was not started: ${reason}\n`);

    // Allow: a run on A, and run now on B starts beside it.
    const allowA = await trigger(a!, 'long-allow');
    await waitForRun(b!, allowA.body.runId, 'running');
    const allowB = await trigger(b!, 'long-allow', 'req-allow');
    expect(allowB).toMatchObject({ status: 202, body: { outcome: 'started' } });
    expect(allowB.body.reason).toBeUndefined();
    await waitForRun(a!, allowB.body.runId, 'running');
    const again = await trigger(a!, 'long-allow', 'req-allow');
    expect(again).toMatchObject({
      status: 202,
      body: { runId: allowB.body.runId, outcome: 'started' },
    });

    // Queue: run now on B waits behind A's run; a further one is refused.
    const queueA = await trigger(a!, 'long-queue');
    const queueHolder = await waitForRun(b!, queueA.body.runId, 'running');
    const queued = await trigger(b!, 'long-queue');
    expect(queued).toMatchObject({
      status: 202,
      body: {
        outcome: 'waiting',
        reason: `queued behind run ${queueA.body.runId} on replica ${queueHolder.replica}`,
      },
    });
    const full = await trigger(a!, 'long-queue');
    expect(full.status).toBe(409);
    expect(full.body.reason).toBe(
      `run ${queued.body.runId} is already queued behind run ${queueA.body.runId} on replica ${queueHolder.replica} (concurrencyPolicy Queue)`,
    );

    console.log(
      `replicas run-now e2e: ${JSON.stringify({
        answerMs: {
          forbidRefused: refused.ms,
          repeatSameReplica: repeats[0]!.ms,
          repeatOtherReplica: repeats[1]!.ms,
          allowStarted: allowB.ms,
          queueWaiting: queued.ms,
          queueFull: full.ms,
        },
      })}`,
    );
    for (const daemon of replicas) expect((await stopDaemon(daemon, 30_000)).code).toBe(0);
  }, 120_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
