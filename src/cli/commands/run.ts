// `cronops run`: the daemon, with every flag also settable through a CRONOPS_* environment variable.
import { Option, type Command } from 'commander';
import { Daemon } from '../../daemon/daemon.js';
import type { WatchMode } from '../../daemon/watch.js';
import { parseDuration } from '../../manifest/units.js';
import { parseAllowedHosts } from '../../status/host-check.js';
import { createLogger, flushLog, type LogFormat } from '../../shared/logger.js';
import { createUsageError } from '../output.js';
import { readVersion } from '../version.js';
import { createStoreOption, selectStoreUrl } from '../store-option.js';

interface RunFlags {
  dir: string;
  stateDir: string;
  listen: string;
  allowedHosts?: string;
  watch: WatchMode;
  maxConcurrentRuns?: string;
  shutdownGrace: string;
  logLevel: string;
  logFormat?: LogFormat;
  triggerToken?: string;
  store?: string;
  replicaLease: string;
}

/** Shortest trigger token accepted: anything shorter is guessable. */
const MIN_TRIGGER_TOKEN_LENGTH = 16;

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the daemon: load, schedule, run and record every schedule in --dir')
    .addOption(
      new Option('--dir <dir>', 'manifest directory').env('CRONOPS_DIR').default('schedules.d'),
    )
    .addOption(
      new Option('--state-dir <dir>', 'history and status.json')
        .env('CRONOPS_STATE_DIR')
        .default('.cronops'),
    )
    .addOption(
      new Option('--listen <addr>', 'HOST:PORT of the read-only status endpoint, or "off"')
        .env('CRONOPS_LISTEN')
        .default('127.0.0.1:8787'),
    )
    .addOption(
      new Option(
        '--allowed-hosts <hosts>',
        'extra Host header values the endpoint answers (comma-separated, name or name:port), e.g. the name of a proxy in front of it',
      ).env('CRONOPS_ALLOWED_HOSTS'),
    )
    .addOption(
      new Option('--watch <mode>', 'reload on changes: auto (inotify), poll, off (SIGHUP only)')
        .env('CRONOPS_WATCH')
        .choices(['auto', 'poll', 'off'])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--max-concurrent-runs <n>',
        'cap on runs in progress; fires beyond it wait in scheduled order',
      ).env('CRONOPS_MAX_CONCURRENT_RUNS'),
    )
    .addOption(
      new Option(
        '--shutdown-grace <duration>',
        'on SIGTERM, how long running runs may finish before they are terminated',
      )
        .env('CRONOPS_SHUTDOWN_GRACE')
        .default('30s'),
    )
    .addOption(
      new Option(
        '--trigger-token <token>',
        'enable "run now" (POST /api/v1/schedules/NAME/trigger) for clients sending this bearer token; prefer the variable, the flag shows in ps',
      ).env('CRONOPS_TRIGGER_TOKEN'),
    )
    .addOption(
      createStoreOption(
        'history (and, with several replicas, fire claims) in PostgreSQL: postgres://USER@HOST:PORT/DB; default: lowdb files in --state-dir',
      ),
    )
    .addOption(
      new Option(
        '--replica-lease <duration>',
        'with --store: a replica silent this long is gone; its runs become interrupted',
      )
        .env('CRONOPS_REPLICA_LEASE')
        .default('30s'),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .env('CRONOPS_LOG_LEVEL')
        .choices(LOG_LEVELS)
        .default('info'),
    )
    .addOption(
      new Option(
        '--log-format <format>',
        'json lines, or pretty (default when stdout is a terminal)',
      )
        .env('CRONOPS_LOG_FORMAT')
        .choices(['json', 'pretty']),
    )
    .addHelpText(
      'after',
      `
Signals: SIGTERM/SIGINT stop firing, let running runs finish for up to --shutdown-grace,
then terminate them (recorded "interrupted") and exit 0. SIGHUP re-reads every manifest.

Examples:
  $ cronops run                                   schedules.d/, state in ./.cronops
  $ cronops run --dir /etc/cronops/schedules.d --state-dir /var/lib/cronops --listen 0.0.0.0:8787
  $ CRONOPS_WATCH=poll cronops run                on file systems without inotify
  $ CRONOPS_STORE=postgres://cronops@db/cronops cronops run   history in PostgreSQL (docs/replicas.md)`,
    )
    .action(async (flags: RunFlags) => {
      await runDaemon(flags);
    });
}

async function runDaemon(flags: RunFlags): Promise<void> {
  const shutdownGraceMs = parseDuration(flags.shutdownGrace);
  if (shutdownGraceMs === undefined) {
    throw createUsageError(
      `--shutdown-grace: expected a duration like "30s" or "2m", got "${flags.shutdownGrace}"`,
    );
  }
  let maxConcurrentRuns: number | null = null;
  if (flags.maxConcurrentRuns !== undefined) {
    maxConcurrentRuns = Number(flags.maxConcurrentRuns);
    if (!Number.isInteger(maxConcurrentRuns) || maxConcurrentRuns < 1) {
      throw createUsageError(
        `--max-concurrent-runs: expected a whole number >= 1, got "${flags.maxConcurrentRuns}"`,
      );
    }
  }
  const triggerToken =
    flags.triggerToken === undefined || flags.triggerToken === '' ? null : flags.triggerToken;
  if (
    triggerToken !== null &&
    (triggerToken.length < MIN_TRIGGER_TOKEN_LENGTH || /\s/.test(triggerToken))
  ) {
    throw createUsageError(
      `--trigger-token: expected at least ${MIN_TRIGGER_TOKEN_LENGTH} characters without spaces (e.g. from "openssl rand -hex 32"), got ${triggerToken.length} characters`,
    );
  }
  const storeUrl = selectStoreUrl(flags.store);
  const leaseMs = parseDuration(flags.replicaLease);
  if (leaseMs === undefined || leaseMs < 1000) {
    throw createUsageError(
      `--replica-lease: expected a duration of at least 1s like "30s", got "${flags.replicaLease}"`,
    );
  }
  // Jobs inherit the daemon's environment: they must not see the token or the store's connection string.
  delete process.env['CRONOPS_TRIGGER_TOKEN'];
  delete process.env['CRONOPS_STORE'];
  const logger = createLogger({
    level: flags.logLevel,
    ...(flags.logFormat ? { format: flags.logFormat } : {}),
  });
  const store =
    storeUrl === undefined
      ? undefined
      : await (
          await import('../../store/pg/open-store.js')
        ).openPgStore(storeUrl, { version: readVersion(), logger, leaseMs });
  const daemon = new Daemon({
    configDir: flags.dir,
    stateDir: flags.stateDir,
    listen: flags.listen === 'off' ? null : flags.listen,
    allowedHosts: parseAllowedHosts(flags.allowedHosts),
    watch: flags.watch,
    maxConcurrentRuns,
    shutdownGraceMs,
    triggerToken,
    logger,
    version: readVersion(),
    ...(store === undefined
      ? {}
      : {
          history: store.history,
          journal: store.ledger,
          cluster: {
            subscribeRemoteRuns: (listener) => store.history.subscribeRemoteRuns(listener),
            status: () => store.membership.cluster(),
            setConfigDigest: (source) => store.membership.setConfigDigest(source),
          },
          clock: store.clock,
          // Claims go ahead of each instant by the measured latency of batches of its size.
          prepareLeadMs: (batchSize: number) => store.ledger.claimLeadMs(batchSize),
        }),
  });
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'already shutting down');
        return;
      }
      stopping = true;
      logger.info({ signal }, 'signal received');
      daemon.stop().then(resolve, (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading every manifest');
    void daemon.reload('SIGHUP');
  });
  // The process stays alive while the daemon serves; fire-loop timers alone do not hold it.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    await daemon.start();
  } catch (err) {
    clearInterval(keepAlive);
    await store?.close();
    flushLog(logger);
    throw err;
  }
  await stopped;
  await store?.close();
  clearInterval(keepAlive);
  // Batched info lines are written now, not left to the exit hook (which also covers process.exit).
  flushLog(logger);
}
