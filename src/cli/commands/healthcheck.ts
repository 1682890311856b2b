// `cronops healthcheck`: ask the running daemon's /healthz at the address it listens on; the container's HEALTHCHECK.
import { request } from 'node:http';
import { Option, type Command } from 'commander';
import { parseListenOption } from '../../status/listen-address.js';
import { writeErr, writeOut } from '../output.js';

/** How long the probe waits for an answer: under Docker's default HEALTHCHECK timeout of 5 s. */
const DEFAULT_TIMEOUT_MS = 4_000;

/** What the probe does for a given `--listen` value and allowed hosts. */
export type HealthcheckPlan =
  | {
      kind: 'probe';
      /** The address to connect to: a wildcard listen address becomes the matching loopback address. */
      url: string;
      /** The Host header: the first allowed host when the endpoint only accepts those, else the URL's. */
      host: string;
    }
  | { kind: 'refuse'; reason: string };

function formatHost(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Decide where to probe, from the daemon's own settings (`--listen`/`CRONOPS_LISTEN`, and
 * `CRONOPS_ALLOWED_HOSTS` when set). Pure; a bad listen value is a refusal, not an exception.
 */
export function planHealthcheck(listen: string, allowedHosts = ''): HealthcheckPlan {
  let address: ReturnType<typeof parseListenOption>;
  try {
    address = parseListenOption(listen);
  } catch (error) {
    return { kind: 'refuse', reason: (error as Error).message };
  }
  if (address === null)
    return {
      kind: 'refuse',
      reason:
        'the endpoint is off (listen "off"), so there is nothing to probe: turn it on, or disable the health check',
    };
  if (address.port === 0)
    return {
      kind: 'refuse',
      reason: `listen "${listen}" lets the system pick the port, so the probe cannot know it: give a fixed port`,
    };
  const host =
    address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  const target = formatHost(host, address.port);
  const allowed = allowedHosts
    .split(',')
    .map((entry) => entry.trim())
    .find((entry) => entry !== '');
  const hostHeader =
    allowed === undefined
      ? target
      : /:\d+$/.test(allowed)
        ? allowed
        : formatHost(allowed, address.port);
  return { kind: 'probe', url: `http://${target}/healthz`, host: hostHeader };
}

/** GET the URL with the Host header; resolves with the status code, rejects on a network error or timeout. */
function fetchStatus(url: string, host: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: { host }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export function registerHealthcheckCommand(program: Command): void {
  program
    .command('healthcheck')
    .summary("probe the running daemon's /healthz (the container HEALTHCHECK)")
    .description(
      'GET /healthz of the daemon on the address it listens on (--listen, $CRONOPS_LISTEN, the same\n' +
        'setting as `cronops run`; 0.0.0.0 and [::] are probed on loopback). Exit 0 when it answers\n' +
        '200, 1 otherwise (also when the endpoint is off or its port is 0), never 2: Docker reserves it.',
    )
    .addOption(
      new Option('--listen <addr>', 'HOST:PORT the daemon listens on')
        .env('CRONOPS_LISTEN')
        .default('127.0.0.1:8787'),
    )
    .addHelpText('after', '\nExample:\n  $ CRONOPS_LISTEN=0.0.0.0:9000 cronops healthcheck')
    .action(async (options: { listen: string }) => {
      const plan = planHealthcheck(options.listen, process.env['CRONOPS_ALLOWED_HOSTS'] ?? '');
      if (plan.kind === 'refuse') {
        writeErr(`cronops: healthcheck: ${plan.reason}`);
        process.exitCode = 1;
        return;
      }
      try {
        const status = await fetchStatus(plan.url, plan.host, DEFAULT_TIMEOUT_MS);
        if (status === 200) {
          writeOut(`healthy: ${plan.url} answered 200`);
          return;
        }
        writeErr(`cronops: healthcheck: ${plan.url} answered ${status}, expected 200`);
      } catch (error) {
        writeErr(`cronops: healthcheck: ${plan.url}: ${(error as Error).message}`);
      }
      process.exitCode = 1;
    });
}
