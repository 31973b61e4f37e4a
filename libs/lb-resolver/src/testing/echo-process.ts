// An echo server in its own process, registered in etcd, for kill -9 tests.
// Env: ETCD_ENDPOINTS, NAME, TTL_SECONDS, SERVICE (default echo), DELAY_MS. Prints "ready <address>" once registered.
import { ServiceRegistry } from '@etcd-patterns/discovery';
import { createEtcdClient, SessionKeeper } from '@etcd-patterns/etcd';
import { EchoServer } from './echo-service';

async function main(): Promise<void> {
  const client = await createEtcdClient();
  const keeper = SessionKeeper.start(client, { ttlSeconds: Number(process.env['TTL_SECONDS'] ?? 30) });
  const registry = new ServiceRegistry({ session: keeper });
  const server = await EchoServer.start({
    name: process.env['NAME'] ?? 'child',
    registry,
    service: process.env['SERVICE'] ?? 'echo',
    delayMs: Number(process.env['DELAY_MS'] ?? 0),
  });
  process.stdout.write(`ready ${server.address}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
