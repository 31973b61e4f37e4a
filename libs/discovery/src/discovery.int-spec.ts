import { createEtcdClient, Session, SessionKeeper, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInstanceError } from './errors';
import { listInstances } from './inventory';
import { discover, type ServiceWatcher } from './service-watcher';
import type { Registration } from './registration';
import { register, ServiceRegistry } from './service-registry';
import type { ServiceInstance } from './service-instance';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..', '..');

/** Resolves with the first list from `watcher` that satisfies `predicate`. */
async function until(
  watcher: ServiceWatcher,
  predicate: (list: readonly ServiceInstance[]) => boolean,
): Promise<readonly ServiceInstance[]> {
  for await (const list of watcher) if (predicate(list)) return list;
  throw new Error('watcher ended');
}

function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const addresses = (list: readonly ServiceInstance[]): string[] => list.map((i) => i.address);

/** Watch streams the members have accepted so far (etcd's gRPC server counter, summed). */
async function watchStreamsStarted(cluster: EtcdCluster): Promise<number> {
  const counts = await Promise.all(
    cluster.members.map(async (m) => {
      const body = await (await fetch(`${m.spec.clientUrl}/metrics`)).text();
      const line = body.split('\n').find((l) => l.startsWith('grpc_server_started_total') && l.includes('grpc_method="Watch"'));
      return line ? Number(line.split(' ').pop()) : 0;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

describe('discovery (3-member cluster)', () => {
  let cluster: EtcdCluster;
  const cleanups: Array<() => unknown> = [];
  const client = async (endpoints = cluster.endpoints): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints });
    cleanups.push(() => c.close());
    return c;
  };
  const watch = (options: Parameters<typeof discover>[0]): ServiceWatcher => {
    const w = discover(options);
    cleanups.push(() => w.close());
    return w;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('registers, discovers, and removes at once on graceful deregister; never mixes greeter and greeter2', async () => {
    const etcd = await client();
    const session = await Session.create(etcd, { ttlSeconds: 30 });
    cleanups.push(() => session.close());
    const watcher = watch({ client: etcd, service: 'greeter' });
    expect(await watcher.ready).toEqual([]);

    const a = await register({ session, service: 'greeter', address: '127.0.0.1:7001', metadata: { version: '1.0.0', zone: 'a', weight: 2 } });
    await register({ session, service: 'greeter2', address: '127.0.0.1:7009' });
    expect(a.state).toBe('registered');
    const list = await until(watcher, (l) => l.length === 1);
    expect(list[0]).toMatchObject({ service: 'greeter', address: '127.0.0.1:7001', metadata: { version: '1.0.0', zone: 'a', weight: 2 }, lease: session.leaseId });

    await a.deregister();
    expect(a.state).toBe('deregistered');
    // The TTL is 30 s; the instance must be gone long before it.
    await until(watcher, (l) => l.length === 0);
    await a.deregister(); // idempotent
  });

  it('stores exactly the Go JSON format and discovers entries written by etcdctl', async () => {
    const etcd = await client();
    const session = await Session.create(etcd, { ttlSeconds: 30 });
    cleanups.push(() => session.close());
    await register({ session, service: 'interop', address: '127.0.0.1:7101', metadata: { version: '2.0.0', zone: 'b', weight: 1 } });
    const got = await etcdctl(cluster.endpoints, ['get', '/services/interop/127.0.0.1:7101', '--print-value-only']);
    expect(got.stdout.trim()).toBe('{"Op":0,"Addr":"127.0.0.1:7101","Metadata":{"version":"2.0.0","zone":"b","weight":1}}');

    const lease = await etcdctl(cluster.endpoints, ['lease', 'grant', '30']);
    const leaseHex = /lease ([0-9a-f]+) granted/.exec(lease.stdout)![1]!;
    const put = await etcdctl(cluster.endpoints, ['put', '/services/interop/10.1.2.3:50051', '{"Op":0,"Addr":"10.1.2.3:50051","Metadata":{"zone":"go"}}', `--lease=${leaseHex}`]);
    expect(put.code).toBe(0);
    const watcher = watch({ client: etcd, service: 'interop' });
    const list = await until(watcher, (l) => l.length === 2);
    expect(list.find((i) => i.address === '10.1.2.3:50051')?.metadata).toEqual({ zone: 'go' });
    await etcdctl(cluster.endpoints, ['lease', 'revoke', leaseHex]);
  });

  it('skips and reports garbage while real instances keep flowing', async () => {
    const etcd = await client();
    const session = await Session.create(etcd, { ttlSeconds: 30 });
    cleanups.push(() => session.close());
    await register({ session, service: 'garbage', address: '127.0.0.1:7201' });
    const reported: InvalidInstanceError[] = [];
    const watcher = watch({ client: etcd, service: 'garbage', onInvalid: (e) => reported.push(e) });
    await until(watcher, (l) => l.length === 1);
    await etcd.put('/services/garbage/junk1').value('not json').exec();
    await etcd.put('/services/garbage/junk2').value('{"Addr":"no-port"}').exec();
    await etcd.put('/services/garbage/junk3').value('[]').exec();
    await register({ session, service: 'garbage', address: '127.0.0.1:7202' });
    const list = await until(watcher, (l) => l.length === 2);
    expect(addresses(list)).toEqual(['127.0.0.1:7201', '127.0.0.1:7202']);
    expect(reported.map((e) => e.key).sort()).toEqual(['/services/garbage/junk1', '/services/garbage/junk2', '/services/garbage/junk3']);
    expect(reported.every((e) => e.code === 'DISCOVERY_INVALID_INSTANCE')).toBe(true);
    expect([...watcher.invalid.keys()]).toHaveLength(3);
    await etcd.delete().prefix('/services/garbage/junk').exec();
  });

  it('filters by metadata per watcher', async () => {
    const etcd = await client();
    const session = await Session.create(etcd, { ttlSeconds: 30 });
    cleanups.push(() => session.close());
    const registry = new ServiceRegistry({ session });
    cleanups.push(() => registry.close());
    await registry.register({ service: 'filtered', address: '127.0.0.1:7301', metadata: { version: '1.0.0' } });
    await registry.register({ service: 'filtered', address: '127.0.0.1:7302', metadata: { version: '2.0.0' } });
    const v2 = watch({ client: etcd, service: 'filtered', filter: (i) => i.metadata.version === '2.0.0' });
    expect(addresses(await until(v2, (l) => l.length > 0))).toEqual(['127.0.0.1:7302']);
  });

  it('puts its key back when someone deletes it with etcdctl', async () => {
    const etcd = await client();
    const keeper = SessionKeeper.start(etcd, { ttlSeconds: 10 });
    cleanups.push(() => keeper.close());
    const registry = new ServiceRegistry({ session: keeper });
    cleanups.push(() => registry.close());
    const reg = await registry.register({ service: 'deleted', address: '127.0.0.1:7401' });
    const watcher = watch({ client: etcd, service: 'deleted' });
    const [original] = await until(watcher, (l) => l.length === 1);
    const del = await etcdctl(cluster.endpoints, ['del', reg.key]);
    expect(del.stdout.trim()).toBe('1');
    // Put back: the same instance, created again after the delete. (The empty list in between
    // may be too brief for a reader to see: lists are conflated to the newest.)
    const [again] = await until(watcher, (l) => l.length === 1 && l[0]!.createRevision > original!.createRevision);
    expect(again!.address).toBe('127.0.0.1:7401');
    await reg.whenRegistered();
    expect(reg.state).toBe('registered');
  });

  it('guards 50 services with one watch stream and still puts a deleted key back, also after a restart of the guard', async () => {
    const etcd = await client();
    const keeper = SessionKeeper.start(etcd, { ttlSeconds: 10 });
    cleanups.push(() => keeper.close());
    const registry = new ServiceRegistry({ session: keeper });
    cleanups.push(() => registry.close());
    const putBack = async (reg: Registration): Promise<void> => {
      const recovering = new Promise<void>((resolve) => reg.onStateChange((s) => s === 'recovering' && resolve()));
      expect((await etcdctl(cluster.endpoints, ['del', reg.key])).stdout.trim()).toBe('1');
      await within(20_000, recovering);
      await within(20_000, reg.whenRegistered());
      const [kv] = (await etcd.kv.range({ key: Buffer.from(reg.key) })).kvs;
      expect(String(kv?.lease)).toBe(keeper.current!.leaseId);
    };
    const before = await watchStreamsStarted(cluster);
    const regs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => registry.register({ service: `guarded${i}`, address: `127.0.0.1:${7500 + i}` })),
    );
    await putBack(regs[37]!);
    // One guard over /services/ for the whole registry (one per service opened 50 streams).
    expect((await watchStreamsStarted(cluster)) - before).toBe(1);

    // Deregistering everything stops the guard; the next registration starts it again from its write.
    await Promise.all(regs.map((r) => r.deregister()));
    const again = await registry.register({ service: 'guarded-again', address: '127.0.0.1:7599' });
    await putBack(again);
    expect((await watchStreamsStarted(cluster)) - before).toBe(2);
  });

  it('publishes the first list before opening its watch stream, and a watcher closed at ready opens none', async () => {
    const etcd = await client();
    const before = await watchStreamsStarted(cluster);
    const watchers = Array.from({ length: 20 }, (_, i) => discover({ client: etcd, service: `early${i}` }));
    await Promise.all(watchers.map((w) => w.ready));
    for (const w of watchers) w.close();
    const live = watch({ client: etcd, service: 'early-live' });
    await live.ready;
    await etcd.put('/services/early-live/127.0.0.1:7650').value('{"Op":0,"Addr":"127.0.0.1:7650"}').exec();
    await within(10_000, until(live, (l) => l.length === 1)); // its stream did open, from the list's revision
    // The live one's stream, plus any closed one whose list came a loop turn before the others'
    // (each used to open a stream before close() came: 21 here).
    expect((await watchStreamsStarted(cluster)) - before).toBeLessThan(11);
    await etcd.delete().key('/services/early-live/127.0.0.1:7650').exec();
  });

  it('leaves nothing behind after fast register/deregister churn', async () => {
    const etcd = await client();
    const session = await Session.create(etcd, { ttlSeconds: 30 });
    cleanups.push(() => session.close());
    const registry = new ServiceRegistry({ session });
    cleanups.push(() => registry.close());
    // Each first registration starts the service's guard watch, each last deregistration stops
    // it: a stale guard snapshot used to re-put a key that was being deleted.
    // Watchers load the members as in production, which widens the race window.
    const watchers = Array.from({ length: 50 }, () => watch({ client: etcd, service: 'churn' }));
    await Promise.all(watchers.map((w) => w.ready));
    for (let i = 0; i < 200; i++) {
      const r = await registry.register({ service: 'churn', address: `127.0.0.1:${20000 + i}` });
      await r.deregister();
    }
    expect((await listInstances({ client: etcd, service: 'churn' })).instances).toEqual([]);
  });

  it('shares one lease between 1,000 instances and lists them with their TTL', async () => {
    const etcd = await client();
    const session = await Session.create(etcd, { ttlSeconds: 30 });
    cleanups.push(() => session.close());
    const registry = new ServiceRegistry({ session });
    cleanups.push(() => registry.close());
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => registry.register({ service: 'many', address: `10.0.${i >> 8}.${i & 255}:9000` })),
    );
    const inventory = await listInstances({ client: etcd, service: 'many' });
    expect(inventory.instances).toHaveLength(1000);
    expect(new Set(inventory.instances.map((i) => i.lease))).toEqual(new Set([session.leaseId]));
    expect(inventory.instances[0]!.ttlSeconds).toBeGreaterThan(0);
    expect(inventory.instances[0]!.grantedTtlSeconds).toBe(30);
    await registry.close();
    expect((await listInstances({ client: etcd, service: 'many' })).instances).toHaveLength(0);
  });

  it('closes 1,000 registrations in batched deletes and leaves a key another lease took over', async () => {
    const etcd = await client();
    const session = await Session.create(etcd, { ttlSeconds: 30 });
    cleanups.push(() => session.close());
    const registry = new ServiceRegistry({ session });
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => registry.register({ service: `batch${i % 3}`, address: `10.1.${i >> 8}.${i & 255}:9000` })),
    );
    // Another process now owns one of the addresses: its key must survive our close().
    const other = await etcd.lease(30, { autoKeepAlive: false }).grant();
    await etcd.put('/services/batch0/10.1.0.0:9000').value('{"Op":0,"Addr":"10.1.0.0:9000"}').lease(other).exec();
    const start = performance.now();
    await registry.close();
    const tookMs = performance.now() - start;
    const left = await Promise.all([0, 1, 2].map((s) => listInstances({ client: etcd, service: `batch${s}` })));
    expect(left.map((l) => l.instances.map((i) => i.address))).toEqual([['10.1.0.0:9000'], [], []]);
    expect(registry.registrations).toEqual([]);
    expect(tookMs).toBeLessThan(10_000); // one delete per key took about 1 s per 1,000 here
    await etcd.leaseClient.leaseRevoke({ ID: other });
  });

  it('removes a kill -9ed process within the TTL and a gracefully stopped one at once', async () => {
    const etcd = await client();
    const watcher = watch({ client: etcd, service: 'proc' });
    const start = (address: string, ttlSeconds: number): ChildProcess => {
      // node itself (not the tsx wrapper, which cannot forward SIGKILL) with tsx as a loader
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'testing/registered-process.ts')], {
        cwd: ROOT,
        env: { ...process.env, ETCD_ENDPOINTS: cluster.endpoints.join(','), SERVICE: 'proc', ADDRESS: address, TTL_SECONDS: String(ttlSeconds) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      cleanups.push(() => child.kill('SIGKILL'));
      return child;
    };
    const killed = start('127.0.0.1:7501', 3);
    const graceful = start('127.0.0.1:7502', 60);
    await until(watcher, (l) => l.length === 2);

    const exited = once(killed, 'exit');
    killed.kill('SIGKILL');
    await exited;
    // Gone once the 3 s lease expires (generous bound: TTL + 10 s).
    const afterKill = await within(13_000, until(watcher, (l) => l.length === 1));
    expect(addresses(afterKill)).toEqual(['127.0.0.1:7502']);

    const stopped = once(graceful, 'exit');
    graceful.kill('SIGTERM');
    // Its lease has 60 s left: only the graceful delete can remove it this early.
    await within(30_000, until(watcher, (l) => l.length === 0));
    const [code] = await stopped;
    expect(code).toBe(0); // exited by itself: no handle left open
  });

  it('re-registers every instance after all members were down for longer than the TTL', async () => {
    const etcd = await client();
    const keeper = SessionKeeper.start(etcd, { ttlSeconds: 2 });
    cleanups.push(() => keeper.close());
    const registry = new ServiceRegistry({ session: keeper });
    cleanups.push(() => registry.close());
    const regs = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => registry.register({ service: 'outage', address: `127.0.0.1:76${i}0` })),
    );
    const firstLease = keeper.current!.leaseId;
    const recovering = new Promise<void>((resolve) => regs[0]!.onStateChange((s) => s === 'recovering' && resolve()));

    await Promise.all(cluster.members.map((m) => m.stop()));
    await recovering; // the loss is visible while etcd is still down
    expect(regs.every((r) => r.state === 'recovering')).toBe(true);
    await sleep(3_000); // all members stay down longer than the TTL
    await Promise.all(cluster.members.map((m) => m.start()));
    await cluster.waitForLeader();
    const back = performance.now();
    await within(60_000, Promise.all(regs.map((r) => r.whenRegistered()))).catch((error: unknown) => {
      throw new Error(`states: ${regs.map((r) => r.state).join(',')}: ${String(error)}`);
    });
    const recoveredMs = performance.now() - back;
    process.stdout.write(`re-registered 5 instances ${Math.round(recoveredMs)} ms after the cluster had a leader\n`);

    expect(keeper.current!.leaseId).not.toBe(firstLease);
    const inventory = await listInstances({ client: etcd, service: 'outage' });
    expect(inventory.instances.map((i) => i.lease)).toEqual(Array(5).fill(keeper.current!.leaseId));
  });
});
