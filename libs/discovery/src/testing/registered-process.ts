// A real process that registers one instance and idles, for kill -9 / graceful stop tests.
// Env: ETCD_ENDPOINTS, SERVICE, ADDRESS, TTL_SECONDS. Prints "registered <lease>" when in etcd.
import { createEtcdClient, SessionKeeper } from '@etcd-patterns/etcd';
import { ServiceRegistry } from '../service-registry';

async function main(): Promise<void> {
  const client = await createEtcdClient();
  const keeper = SessionKeeper.start(client, { ttlSeconds: Number(process.env['TTL_SECONDS'] ?? 2) });
  const registry = new ServiceRegistry({ session: keeper });
  await registry.register({ service: process.env['SERVICE']!, address: process.env['ADDRESS']!, metadata: { zone: 'test' } });
  process.stdout.write(`registered ${keeper.current?.leaseId}\n`);
  const idle = setInterval(() => undefined, 60_000);
  process.once('SIGTERM', () => {
    void (async () => {
      await registry.close();
      await keeper.close();
      client.close();
      clearInterval(idle);
    })();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
