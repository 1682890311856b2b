// `--listen` for the HTTP endpoint: parse HOST:PORT / [IPv6]:PORT / :PORT, and format an address back.
import { SchedulerError } from '../shared/errors.js';

/** Where the server listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

const LISTEN_PATTERN = /^(?:\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/**
 * Parse `--listen`: `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` for every IPv4 interface (0.0.0.0).
 * Port 0 asks the system for a free port. Throws a SchedulerError (USAGE) saying what was expected.
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = LISTEN_PATTERN.exec(text);
  if (match === null) {
    const colons = text.split(':').length - 1;
    if (colons > 1 && !text.startsWith('[')) {
      throw new SchedulerError(
        'USAGE',
        `--listen: IPv6 addresses need brackets, like "[::1]:8787", got "${text}"`,
      );
    }
    throw new SchedulerError('USAGE', `--listen: expected HOST:PORT or "off", got "${text}"`);
  }
  const [, ipv6, name = '', portText = ''] = match;
  const port = Number(portText);
  if (port > 65_535) {
    throw new SchedulerError('USAGE', `--listen: port must be between 0 and 65535, got "${text}"`);
  }
  if (ipv6 !== undefined) return { host: ipv6, port };
  if (name === '') return { host: '0.0.0.0', port };
  if (!HOST_NAME.test(name)) {
    throw new SchedulerError('USAGE', `--listen: expected HOST:PORT or "off", got "${text}"`);
  }
  return { host: name, port };
}

/** `--listen` as the daemon takes it: `off` (any case) disables the endpoint. */
export function parseListenOption(text: string): ListenAddress | null {
  return text.toLowerCase() === 'off' ? null : parseListenAddress(text);
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatListenAddress(address: ListenAddress): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
