// Claim latency of the PostgreSQL fire ledger: 3 replicas race for 1, 100 and 1,000 schedules due at one
// instant (one statement per replica per instant), against a floor of `select 1` round trips measured in the
// same run. Doubles are counted from the claims table (must be 0). Also the head start a replica would use
// for a batch of that size after those instants (claim-lead.ts). Build first; prints Markdown.
// CRONOPS_BENCH_POLICY=Forbid: every schedule is Forbid, so each claim also takes the schedule's slot (each
// run ends, freeing it, before the next instant). CRONOPS_BENCH_SIZES=1,10 and CRONOPS_BENCH_INSTANTS: a
// smoke run (the figures need the defaults).
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../dist/shared/clock.js';
import { createStorePool } from '../dist/store/pg/connection.js';
import { createPgFireLedger } from '../dist/store/pg/fire-ledger.js';
import { loadMigrations, migrateStore } from '../dist/store/pg/migrate.js';
import { startBenchCluster } from './lib/pg-cluster.js';

const REPLICAS = 3;
const INSTANTS = Number(process.env.CRONOPS_BENCH_INSTANTS ?? 20);
const SIZES = (process.env.CRONOPS_BENCH_SIZES ?? '1,100,1000').split(',').map(Number);
const POLICY = process.env.CRONOPS_BENCH_POLICY ?? 'Allow';

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

const cluster = await startBenchCluster();
const lines = [];
try {
  const admin = createStorePool(cluster.url, { max: 2 });
  await migrateStore(admin, await loadMigrations(), { codeVersion: 'bench', appliedBy: 'bench' });
  const floor = [];
  for (let i = 0; i < 200; i += 1) {
    const start = performance.now();
    await admin.query('select 1');
    floor.push(performance.now() - start);
  }
  lines.push(
    `Claim latency (concurrencyPolicy ${POLICY}), ${REPLICAS} replicas racing, ${INSTANTS} instants per size, load average ${loadavg()[0].toFixed(1)} at the start:`,
    '',
    '| schedules at one instant | claim statement p50 / p99 (ms) | head start (ms) | slots | claimed once | doubles |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  let base = Date.parse('2020-01-01T00:00:00.000Z');
  for (const size of SIZES) {
    const pools = Array.from({ length: REPLICAS }, () => createStorePool(cluster.url, { max: 2 }));
    const ledgers = pools.map((pool, r) =>
      createPgFireLedger({ pool, url: cluster.url, replicaId: `r${r}`, clock: systemClock }),
    );
    for (const ledger of ledgers)
      ledger.bindRuns({ policyOf: () => POLICY, isActive: () => true, cancel: () => undefined });
    for (let instant = 0; instant < INSTANTS; instant += 1) {
      const at = new Date((base += 1000)).toISOString();
      await Promise.all(
        ledgers.map((ledger, r) =>
          Promise.allSettled(
            Array.from({ length: size }, (_, s) =>
              ledger
                .append([
                  {
                    runId: `${size}-${instant}-${s}-r${r}`,
                    schedule: `s${s}`,
                    scheduledAt: at,
                    trigger: 'schedule',
                    specHash: 'h',
                  },
                ])
                // The run "ends" at once: its slot is free for the next instant.
                .then(() =>
                  ledger.release({ id: `${size}-${instant}-${s}-r${r}`, schedule: `s${s}` }),
                ),
            ),
          ),
        ),
      );
    }
    const latencies = ledgers.flatMap((ledger) => [...ledger.stats().latenciesMs]);
    // What each replica's fire loop would claim this batch ahead by now (the largest of the three).
    const headStart = Math.max(...ledgers.map((ledger) => ledger.claimLeadMs(size)));
    const { rows } = await admin.query(
      `select count(*)::int as n, count(distinct (schedule, scheduled_at))::int as slots from cronops.fire_claim
       where run_id like $1`,
      [`${size}-%`],
    );
    lines.push(
      `| ${size} | ${pct(latencies, 50).toFixed(1)} / ${pct(latencies, 99).toFixed(1)} | ${headStart} | ${size * INSTANTS} | ${rows[0].slots} | ${rows[0].n - rows[0].slots} |`,
    );
    await Promise.all(ledgers.map((ledger) => ledger.close()));
    await Promise.all(pools.map((pool) => pool.end()));
  }
  lines.push(
    '',
    `Floor: \`select 1\` round trip p50 / p99 ${pct(floor, 50).toFixed(2)} / ${pct(floor, 99).toFixed(2)} ms.`,
  );
  await admin.end();
} finally {
  cluster.stop();
}
process.stdout.write(`${lines.join('\n')}\n`);
