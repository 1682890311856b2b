// The endpoint's Host header check against DNS rebinding: which Host values a request may carry, decided from the listen address.
import { isIPv4, isIPv6 } from 'node:net';
import { SchedulerError } from '../shared/errors.js';
import type { ListenAddress } from './listen-address.js';
import type { RouteResponse } from './route-types.js';

/** Which Host headers are accepted; null: every one (the check is off). */
export type HostPolicy = ReadonlySet<string> | null;

const HOST_ENTRY =
  /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?$/;

/** Whether `host` (a listen host) is a loopback address: 127.0.0.0/8, ::1, or localhost. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIPv4(name)) return name.startsWith('127.');
  if (isIPv6(name))
    return name === '::1' || name === '0:0:0:0:0:0:0:1' || name === '::ffff:127.0.0.1';
  return false;
}

/**
 * Parse `--allowed-hosts` / CRONOPS_ALLOWED_HOSTS: comma-separated host names, each with an
 * optional `:PORT` (without one, any port). Throws a SchedulerError (USAGE) naming the bad entry.
 */
export function parseAllowedHosts(text: string | undefined): string[] {
  if (text === undefined) return [];
  const entries = text
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (!HOST_ENTRY.test(entry)) {
      throw new SchedulerError(
        'USAGE',
        `--allowed-hosts: expected host names like "cron.example.com" or "cron.example.com:443", comma-separated, got "${entry}"`,
      );
    }
  }
  return entries;
}

/**
 * The Host values the endpoint accepts. On a loopback listen address: that address and
 * `localhost`, with the bound port (and without it on port 80), plus `allowed`. On any other
 * address (a container's 0.0.0.0): `allowed` and the loopback names when `allowed` is given,
 * else null (no check, so Kubernetes probes and Services that use the pod IP keep working).
 */
export function buildHostPolicy(
  listen: ListenAddress,
  port: number,
  allowed: readonly string[],
): HostPolicy {
  const loopback = isLoopbackHost(listen.host);
  if (!loopback && allowed.length === 0) return null;
  const names = new Set(['localhost', '127.0.0.1', '[::1]']);
  if (loopback)
    names.add(
      listen.host.includes(':') ? `[${listen.host.toLowerCase()}]` : listen.host.toLowerCase(),
    );
  const hosts = new Set<string>();
  for (const name of names) {
    hosts.add(`${name}:${port}`);
    if (port === 80) hosts.add(name);
  }
  for (const entry of allowed) hosts.add(entry);
  return hosts;
}

/** Whether a request's Host header passes. A request without one (HTTP/1.0) passes: browsers always send it. */
export function isHostAllowed(policy: HostPolicy, header: string | undefined): boolean {
  if (policy === null || header === undefined) return true;
  const host = header.trim().toLowerCase();
  if (policy.has(host)) return true;
  // An allowed entry without a port allows the name on any port.
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return name !== undefined && name !== host && policy.has(name);
}

/** The answer to a request whose Host is not allowed. */
export function refuseHost(header: string): RouteResponse {
  return {
    status: 421,
    body: {
      error: 'misdirected request',
      message: `Host "${header}" is not one this endpoint answers to; start the daemon with --allowed-hosts (or CRONOPS_ALLOWED_HOSTS) naming it to allow it`,
    },
  };
}
