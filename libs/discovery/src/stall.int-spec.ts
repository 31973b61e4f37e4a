import { createEtcdClient, SessionKeeper, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import type { RegistrationState } from './registration';
import { ServiceRegistry } from './service-registry';

jest.setTimeout(60_000);

function blockEventLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe('a registration after a stalled event loop (real etcd, real stall)', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterAll(async () => {
    etcd?.close();
    await cluster?.close();
  });

  it('is not registered on the first read after a stall past the TTL, and only again once re-put', async () => {
    const keeper = SessionKeeper.start(etcd, { ttlSeconds: 2 });
    const registry = new ServiceRegistry({ session: keeper, prefix: '/stall-services' });
    try {
      const registration = await registry.register({ service: 'billing', address: '10.0.0.7:50051' });
      const firstLease = (await keeper.ready()).leaseId;
      expect(registration.registered).toBe(true);
      const states: RegistrationState[] = [];
      // What etcd holds at the moment the registration reports `registered` again.
      let leaseWhenRegistered: Promise<string | undefined> | undefined;
      registration.onStateChange((state) => {
        states.push(state);
        if (state === 'registered' && !leaseWhenRegistered) {
          leaseWhenRegistered = etcd.kv
            .range({ key: Buffer.from(registration.key) })
            .then((res) => res.kvs[0]?.lease);
        }
      });

      blockEventLoop(4500); // the lease (TTL 2 s) expires in etcd meanwhile
      const stateAfter = registration.state;
      const registeredAfter = registration.registered;

      expect(stateAfter).toBe('recovering');
      expect(registeredAfter).toBe(false);
      await registration.whenRegistered();
      const newLease = (await keeper.ready()).leaseId;
      expect(newLease).not.toBe(firstLease);
      expect(await leaseWhenRegistered).toBe(newLease);
      expect(states).toEqual(['recovering', 'registered']);
    } finally {
      await registry.close();
      await keeper.close();
    }
  });
});
