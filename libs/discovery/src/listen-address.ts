import { createServer } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { z } from 'zod';
import { DiscoveryArgumentError } from './errors';

/**
 * The host a service should register for clients to dial. `@ip` means this machine's first
 * external IPv4 address (what a container should advertise), `@hostname` its host name; any
 * other value is returned as given.
 * @throws {DiscoveryArgumentError} for `@ip` on a machine without an external IPv4 address.
 */
export function resolveAdvertiseHost(spec: string): string {
  if (spec === '@hostname') return hostname();
  if (spec !== '@ip') return spec;
  const ip = Object.values(networkInterfaces())
    .flat()
    .find((i) => i?.family === 'IPv4' && !i.internal)?.address;
  if (!ip) throw new DiscoveryArgumentError('@ip: this machine has no external IPv4 address');
  return ip;
}

/**
 * A zod schema for an advertise-host setting (default `127.0.0.1`), resolved with
 * {@link resolveAdvertiseHost}; an unresolvable value is a validation issue, not a throw.
 */
export function advertiseHostSchema(defaultHost = '127.0.0.1') {
  return z
    .string()
    .min(1)
    .default(defaultHost)
    .transform((spec, ctx) => {
      try {
        return resolveAdvertiseHost(spec);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return spec;
      }
    });
}

/**
 * Asks the OS for a free TCP port on `host`. For servers (such as Nest's gRPC transport) that
 * do not report the port they bound for `:0`: pick one first, listen on it, then register it.
 */
export function pickFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port bound'))));
    });
  });
}
