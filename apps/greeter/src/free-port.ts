import { createServer } from 'node:net';

/**
 * Asks the OS for a free TCP port on `host`. Nest's gRPC transport does not report the port
 * grpc-js bound for `:0`, so the app picks one first and registers it after `listen()`.
 */
export function freePort(host: string): Promise<number> {
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
