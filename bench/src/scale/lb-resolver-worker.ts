// Worker process of lb-resolver.scale.ts (see child-rpc.ts): serves N echo backends (real
// grpc-js servers on loopback ports the OS picks), registered in etcd on one session, so that
// serving does not run on the client's event loop. One spare backend is started unregistered,
// for membership changes. Env: ETCD_ENDPOINTS.
import { ServiceRegistry, type Registration } from '@etcd-patterns/discovery';
import { createEtcdClient, Session } from '@etcd-patterns/etcd';
import { EchoServer } from '@etcd-patterns/lb-resolver/testing';
import { serveRequests } from './child-rpc';

async function main(): Promise<void> {
  const client = await createEtcdClient();
  let session: Session | undefined;
  let registry: ServiceRegistry | undefined;
  let servers: EchoServer[] = [];
  let spare: { server: EchoServer; service: string; registration?: Registration } | undefined;

  const stopAll = async (): Promise<void> => {
    await session?.close().catch(() => undefined);
    await registry?.close().catch(() => undefined);
    for (const s of servers) s.forceStop();
    spare?.server.forceStop();
    session = undefined;
    registry = undefined;
    servers = [];
    spare = undefined;
  };

  serveRequests(
    {
      async serve(args) {
        const service = args['service'] as string;
        const count = args['count'] as number;
        session = await Session.create(client, { ttlSeconds: 30 });
        registry = new ServiceRegistry({ session });
        servers = await Promise.all(Array.from({ length: count }, (_, i) => EchoServer.start({ name: `b${i}`, service, registry })));
        spare = { server: await EchoServer.start({ name: 'spare' }), service };
        return servers.map((s) => s.address);
      },
      // Adds the spare backend to the service, or removes it: one membership change.
      async toggleSpare() {
        if (!spare || !registry) throw new Error('toggleSpare before serve');
        if (spare.registration) {
          await spare.registration.deregister();
          spare.registration = undefined;
        } else {
          spare.registration = await registry.register({ service: spare.service, address: spare.server.address });
        }
      },
      async stop() {
        await stopAll();
      },
    },
    async () => {
      await stopAll();
      client.close();
    },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
