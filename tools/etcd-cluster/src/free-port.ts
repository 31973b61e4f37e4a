import { createServer, type Server } from 'node:net';

function listenOnAnyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('could not read the bound port');
  return address.port;
}

/**
 * Asks the OS for `count` distinct free loopback TCP ports: binds `:0` that many times, holding
 * every socket until all are bound (so no port is handed out twice), then closes them.
 *
 * A port is free when returned, not reserved: another process may bind it before the caller
 * does. {@link EtcdCluster.start} therefore retries with fresh ports when a member reports an
 * address in use.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listenOnAnyPort());
    return servers.map(portOf);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** One free loopback TCP port; see {@link freePorts}. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
