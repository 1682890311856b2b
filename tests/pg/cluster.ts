// A private PostgreSQL cluster for the tests: initdb + pg_ctl as an unprivileged user, on a free
// loopback port and a temp socket directory, trust authentication. Never skipped: missing binaries fail.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What the tests need to reach and control the cluster (passed through vitest's provide/inject). */
export interface TestCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres (no password: trust authentication). */
  url: string;
  host: string;
  port: number;
  /** The directory with initdb, pg_ctl, postgres. */
  binDir: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  root: string;
  /** The user the server runs as, or null when the tests themselves run unprivileged. */
  runAs: string | null;
  /** A database with nothing in it, copied for each test database. */
  template: string;
}

const PG_ROOT = '/usr/lib/postgresql';

/** The newest /usr/lib/postgresql/<version>/bin with initdb in it; throws when there is none. */
export function findPostgresBinDir(): string {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((name) => /^\d+$/.test(name) && existsSync(join(PG_ROOT, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      `PostgreSQL server binaries not found under ${PG_ROOT}/<version>/bin (expected initdb and pg_ctl): ` +
        'install Debian\'s "postgresql" package (.ci/run does)',
    );
  }
  return join(PG_ROOT, newest, 'bin');
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Run a PostgreSQL binary as the cluster's user (root cannot run initdb or the server). */
export async function runPgTool(
  cluster: Pick<TestCluster, 'binDir' | 'runAs'>,
  tool: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<string> {
  const binary = join(cluster.binDir, tool);
  const [file, argv] =
    cluster.runAs === null
      ? [binary, args]
      : ['runuser', ['-u', cluster.runAs, '--', binary, ...args]];
  try {
    const { stdout } = await run(file, argv, { timeout: timeoutMs, cwd: '/' });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stderr?: string; stdout?: string };
    throw new Error(
      `${tool} ${args.join(' ')} failed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
      { cause: error },
    );
  }
}

/** The options pg_ctl passes to the server (also used to start it again after a stop). */
export function buildServerOptions(cluster: Pick<TestCluster, 'port' | 'socketDir'>): string {
  return [
    `-p ${cluster.port}`,
    `-k ${cluster.socketDir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=300',
    // Throwaway data: no fsync (a stopped server still leaves its writes in the page cache, so
    // `pg_ctl stop -m immediate` loses nothing that was acknowledged).
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c shared_buffers=32MB',
  ].join(' ');
}

export async function startServer(cluster: TestCluster): Promise<void> {
  await runPgTool(cluster, 'pg_ctl', [
    '-D',
    cluster.dataDir,
    '-l',
    cluster.logFile,
    '-o',
    buildServerOptions(cluster),
    '-w',
    '-t',
    '60',
    'start',
  ]);
}

export async function stopServer(
  cluster: TestCluster,
  mode: 'fast' | 'immediate' = 'fast',
): Promise<void> {
  await runPgTool(cluster, 'pg_ctl', ['-D', cluster.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
}

/** initdb a fresh cluster in a temp directory and start it. */
export async function createCluster(): Promise<TestCluster> {
  const binDir = findPostgresBinDir();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const runAs = isRoot ? 'postgres' : null;
  const root = await mkdtemp(join(tmpdir(), 'cronops-pg-'));
  const cluster: TestCluster = {
    url: '',
    host: '127.0.0.1',
    port: await findFreePort(),
    binDir,
    dataDir: join(root, 'data'),
    socketDir: root,
    logFile: join(root, 'server.log'),
    root,
    runAs,
    template: 'cronops_test_template',
  };
  if (runAs !== null) {
    const { uid, gid } = await lookUpUser(runAs);
    await chown(root, uid, gid);
  }
  await chmod(root, 0o700);
  const superuser = runAs ?? userInfo().username;
  await runPgTool(cluster, 'initdb', [
    '-D',
    cluster.dataDir,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
    '--no-instructions',
  ]).catch((error: Error) => {
    throw new Error(`initdb as ${superuser}: ${error.message}`, { cause: error });
  });
  await startServer(cluster);
  cluster.url = `postgres://postgres@127.0.0.1:${cluster.port}/postgres`;
  return cluster;
}

export async function removeCluster(cluster: TestCluster): Promise<void> {
  try {
    await stopServer(cluster, 'immediate');
  } finally {
    await rm(cluster.root, { recursive: true, force: true });
  }
}

async function lookUpUser(name: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((entry) => entry.startsWith(`${name}:`));
  const fields = line?.split(':');
  if (fields === undefined || fields.length < 4) {
    throw new Error(
      `the tests run as root and need the unprivileged user "${name}" to run PostgreSQL (Debian's postgresql package creates it)`,
    );
  }
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}
