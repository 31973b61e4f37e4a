import { listInstances, ServiceRegistry, type ServiceInstance } from '@etcd-patterns/discovery';
import { createEtcdClient, Session, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import * as grpc from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { installEtcdBalancing } from './install';
import { etcdChannelOptions, type EtcdChannelOptionsInput } from './service-config';
import { callEcho, EchoClient, EchoServer } from './testing/echo-service';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..', '..');

interface LoadResult {
  ok: number;
  failed: number;
  errors: string[];
  byServer: Map<string, number>;
}

/** Runs calls with `concurrency` workers until `stop()` resolves or `count` calls are done. */
function load(client: grpc.Client, concurrency: number, count = Infinity): { done: Promise<LoadResult>; stop: () => void; live: LoadResult } {
  const result: LoadResult = { ok: 0, failed: 0, errors: [], byServer: new Map() };
  let stopped = false;
  let started = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    while (!stopped && started < count) {
      started++;
      try {
        const reply = await callEcho(client);
        result.ok++;
        result.byServer.set(reply.server!, (result.byServer.get(reply.server!) ?? 0) + 1);
      } catch (error) {
        result.failed++;
        result.errors.push((error as Error).message);
      }
    }
  });
  return { done: Promise.all(workers).then(() => result), stop: () => (stopped = true), live: result };
}

describe('etcd:/// resolver and balancers (3-member cluster, real grpc-js servers)', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  let session: Session;
  let registry: ServiceRegistry;
  const pushes = new Map<string, number>();
  const resolved = new Map<string, Array<(list: readonly ServiceInstance[]) => void>>();
  const cleanups: Array<() => unknown> = [];

  /** Resolves after `channels` pushes for `service` whose list satisfies `predicate`. */
  const whenResolved = (service: string, predicate: (list: readonly ServiceInstance[]) => boolean, channels = 1): Promise<void> =>
    new Promise((resolve) => {
      const list = resolved.get(service) ?? [];
      let seen = 0;
      const listener = (instances: readonly ServiceInstance[]): void => {
        if (!predicate(instances) || ++seen < channels) return;
        list.splice(list.indexOf(listener), 1);
        resolve();
      };
      list.push(listener);
      resolved.set(service, list);
    });

  const channel = (target: string, options: EtcdChannelOptionsInput = {}): grpc.Client => {
    const client = new EchoClient(target, grpc.credentials.createInsecure(), etcdChannelOptions(options));
    cleanups.push(() => client.close());
    return client;
  };
  const server = async (name: string, service: string, extra: Partial<Parameters<typeof EchoServer.start>[0]> = {}): Promise<EchoServer> => {
    const s = await EchoServer.start({ name, service, registry, ...extra });
    cleanups.push(() => s.forceStop());
    return s;
  };
  /** Calls until `count` different servers have answered (other processes register on their own). */
  const answeredByAll = async (client: grpc.Client, count: number): Promise<void> => {
    const seen = new Set<string>();
    for (let i = 0; i < 300 && seen.size < count; i++) seen.add((await callEcho(client)).server!);
    expect(seen.size).toBe(count);
  };

  /** An echo server in its own process (to kill or pause), registered under `service`. */
  const echoProcess = async (name: string, service: string): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'testing/echo-process.ts')], {
      cwd: ROOT,
      env: { ...process.env, ETCD_ENDPOINTS: cluster.endpoints.join(','), NAME: name, SERVICE: service, TTL_SECONDS: '30' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => child.kill('SIGKILL'));
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    expect(line).toMatch(/^ready /);
    return child;
  };
  /** Calls until every server has answered at least once, so all subchannels are READY. */
  const warmUp = async (client: grpc.Client, servers: EchoServer[]): Promise<void> => {
    for (let i = 0; i < 500 && servers.some((s) => s.calls === 0); i++) await callEcho(client);
    expect(servers.every((s) => s.calls > 0)).toBe(true);
    for (const s of servers) s.calls = 0;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
    session = await Session.create(etcd, { ttlSeconds: 30 });
    registry = new ServiceRegistry({ session });
    installEtcdBalancing({
      client: etcd,
      onResolved: (target, list) => {
        const service = target.replace(/^etcd:\/\/\//, '').split('?')[0]!;
        pushes.set(service, (pushes.get(service) ?? 0) + 1);
        for (const listener of [...(resolved.get(service) ?? [])]) listener(list);
      },
    });
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await registry?.close();
    await session?.close();
    etcd?.close();
    await cluster?.close();
  });

  it('round robin spreads calls evenly and follows added and removed instances', async () => {
    const servers = [await server('a', 'rr'), await server('b', 'rr'), await server('c', 'rr')];
    const client = channel('etcd:///rr');
    await warmUp(client, servers);
    for (let i = 0; i < 300; i++) await callEcho(client);
    for (const s of servers) expect(Math.abs(s.calls - 100)).toBeLessThanOrEqual(10);

    const added = whenResolved('rr', (l) => l.length === 4);
    const d = await server('d', 'rr');
    await added;
    for (let i = 0; i < 100 && d.calls === 0; i++) await callEcho(client);
    expect(d.calls).toBeGreaterThan(0);

    const removed = whenResolved('rr', (l) => l.length === 3);
    await registry.registrations.find((r) => r.address === servers[0]!.address)!.deregister();
    await removed;
    for (const s of [...servers, d]) s.calls = 0;
    for (let i = 0; i < 90; i++) await callEcho(client);
    expect(servers[0]!.calls).toBe(0); // still running, but no longer registered: no new calls
    expect(servers[1]!.calls + servers[2]!.calls + d.calls).toBe(90);
  });

  it('pick_first sends every call to one instance and moves on when that one is removed', async () => {
    // Both are registered before the channel resolves: its first list holds both.
    const servers = [await server('p', 'first'), await server('q', 'first')];
    const client = channel('etcd:///first', { policy: 'pick_first' });
    for (let i = 0; i < 50; i++) await callEcho(client);
    const [chosen, other] = servers[0]!.calls > 0 ? [servers[0]!, servers[1]!] : [servers[1]!, servers[0]!];
    expect(chosen.calls).toBe(50);
    expect(other.calls).toBe(0);

    const removed = whenResolved('first', (l) => l.length === 1);
    await registry.registrations.find((r) => r.address === chosen.address)!.deregister();
    await removed;
    // grpc-js's pick_first keeps its connection until one to the new list is READY.
    for (let i = 0; i < 100 && other.calls === 0; i++) await callEcho(client);
    chosen.calls = other.calls = 0;
    for (let i = 0; i < 20; i++) await callEcho(client);
    expect(chosen.calls).toBe(0); // still running, but no longer registered
    expect(other.calls).toBe(20);
  });

  it('fails calls to an unknown service with a clear UNAVAILABLE', async () => {
    const client = channel('etcd:///nosuch');
    const error = (await callEcho(client, 3000).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.UNAVAILABLE);
    expect(error.details).toContain('no instances of nosuch in etcd');
  });

  it('selects instances by metadata through the target query and a channel filter', async () => {
    const v1 = await server('v1', 'sel', { metadata: { version: '1.0.0', zone: 'a' } });
    const v2 = await server('v2', 'sel', { metadata: { version: '2.0.0', zone: 'b' } });
    const byQuery = channel('etcd:///sel?version=2.0.0');
    const byFilter = channel('etcd:///sel', { filter: (i) => i.metadata.zone === 'a' });
    for (let i = 0; i < 20; i++) {
      await callEcho(byQuery);
      await callEcho(byFilter);
    }
    expect(v2.calls).toBe(20);
    expect(v1.calls).toBe(20);
  });

  it('power of two choices sends at most a quarter of the calls to a 10x slower server', async () => {
    const slow = await server('slow', 'p2c', { delayMs: 50 });
    const fast = [await server('f1', 'p2c', { delayMs: 5 }), await server('f2', 'p2c', { delayMs: 5 })];
    const client = channel('etcd:///p2c', { policy: 'p2c' });
    await warmUp(client, [slow, ...fast]);
    const result = await load(client, 10, 600).done;
    expect(result.failed).toBe(0);
    expect(slow.calls / result.ok).toBeLessThanOrEqual(0.25);
  });

  it('power of two choices spreads calls over equal servers, one call at a time and 8 in flight', async () => {
    const servers = [await server('e1', 'equal'), await server('e2', 'equal'), await server('e3', 'equal')];
    const client = channel('etcd:///equal', { policy: 'p2c' });
    await warmUp(client, servers); // every subchannel READY, as a freshly started client sees them
    for (const inFlight of [1, 8]) {
      for (const s of servers) s.calls = 0;
      const result = await load(client, inFlight, 300).done;
      expect(result.failed).toBe(0);
      // A fair share is a third; labelled so a failure shows the in-flight count and the shares.
      const shares = servers.map((s) => s.calls / result.ok);
      const verdicts = shares.map((share) => (share >= 0.2 && share <= 0.47 ? 'fair' : share));
      expect({ inFlight, shares: verdicts }).toEqual({ inFlight, shares: ['fair', 'fair', 'fair'] });
    }
  });

  it('power of two choices ejects an instance that keeps failing and takes it back after the cool-down', async () => {
    const bad = await server('bad', 'eject');
    const good = [await server('g1', 'eject'), await server('g2', 'eject')];
    const client = channel('etcd:///eject', { policy: 'p2c', p2c: { ejectAfterFailures: 3, ejectionCooldownMs: 4000 } });
    await warmUp(client, [bad, ...good]);

    bad.failWith = grpc.status.UNAVAILABLE; // fails fast; the default service config retries elsewhere
    bad.calls = 0;
    // Stopped right after the third failure, which ejects it: the cool-down below is timed from
    // the ejection. (A long failing phase let the cool-down run out, and a re-ejection start,
    // at a moment the test did not know, on a loaded machine.)
    const failingLoad = load(client, 4);
    while (bad.calls < 3) await new Promise((r) => setTimeout(r, 2));
    failingLoad.stop();
    const failing = await failingLoad.done;
    expect(failing.errors).toEqual([]);

    // Healthy again, but ejected: not even the once-a-second refresh call reaches it.
    bad.failWith = undefined;
    bad.calls = 0;
    const cooling = load(client, 4);
    await new Promise((r) => setTimeout(r, 1500));
    cooling.stop();
    expect((await cooling.done).errors).toEqual([]);
    expect(bad.calls).toBe(0);

    await new Promise((r) => setTimeout(r, 2500)); // the cool-down is over
    const healed = await load(client, 4, 600).done;
    expect(healed.errors).toEqual([]);
    expect(bad.calls).toBeGreaterThan(60); // back with fresh figures: a fair share, not a trickle
  });

  it('weighted round robin follows registration weights; zone affinity falls back when its zone is empty', async () => {
    const light = await server('light', 'wrr', { metadata: { weight: 1, zone: 'a' } });
    const heavy = await server('heavy', 'wrr', { metadata: { weight: 3, zone: 'b' } });
    const weighted = channel('etcd:///wrr', { policy: 'weighted_round_robin' });
    await warmUp(weighted, [light, heavy]);
    for (let i = 0; i < 400; i++) await callEcho(weighted);
    expect(light.calls).toBe(100);
    expect(heavy.calls).toBe(300);

    const zoned = channel('etcd:///wrr', { policy: 'p2c', zone: 'a' });
    light.calls = heavy.calls = 0;
    // Until the zone-a subchannel is READY the policy falls back to the other zone.
    for (let i = 0; i < 100 && light.calls === 0; i++) await callEcho(zoned);
    light.calls = heavy.calls = 0;
    for (let i = 0; i < 50; i++) await callEcho(zoned);
    expect(light.calls).toBe(50);
    const gone = whenResolved('wrr', (l) => l.length === 1, 2); // both channels watch wrr
    await registry.registrations.find((r) => r.address === light.address)!.deregister();
    await gone;
    heavy.calls = 0;
    for (let i = 0; i < 20; i++) await callEcho(zoned);
    expect(heavy.calls).toBe(20);
  });

  it('kill -9 of a server under load fails no call, long before its lease expires', async () => {
    const children = [await echoProcess('k1', 'echo'), await echoProcess('k2', 'echo'), await echoProcess('k3', 'echo')];
    // The child processes register through their own registry; wait until the channel sees all three.
    // Echo is idempotent: a call cut off mid-reply by the kill is repeated on another server.
    const client = channel('etcd:///echo', { idempotent: ['testing.Echo'] });
    await answeredByAll(client, 3);

    const run = load(client, 8);
    await new Promise((r) => setTimeout(r, 300));
    const victim = children[0]!;
    const exited = once(victim, 'exit');
    victim.kill('SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 1500));
    run.stop();
    const result = await run.done;
    expect(result.errors).toEqual([]);
    expect(result.ok).toBeGreaterThan(100);
    // The dead instance is still registered (30 s lease): the balancer dropped it on its own.
    const inventory = await listInstances({ client: etcd, service: 'echo' });
    expect(inventory.instances).toHaveLength(3);
  });

  it('power of two choices keeps calls flowing past a paused server, whose stuck calls then complete', async () => {
    const children = [await echoProcess('p1', 'paused'), await echoProcess('p2', 'paused'), await echoProcess('p3', 'paused')];
    const client = channel('etcd:///paused', { policy: 'p2c' });
    await answeredByAll(client, 3);

    const run = load(client, 8);
    await new Promise((r) => setTimeout(r, 300));
    children[0]!.kill('SIGSTOP');
    const atPause = run.live.ok;
    await new Promise((r) => setTimeout(r, 1500));
    // Round robin would have parked every worker on the paused server after a few calls.
    const duringPause = run.live.ok - atPause;
    children[0]!.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 500));
    run.stop();
    const result = await run.done;
    expect(result.errors).toEqual([]);
    expect(duringPause).toBeGreaterThan(200);
    expect(result.byServer.get('p1')).toBeGreaterThan(0);
  });

  it('repeats idempotent calls cut off after the response started, which grpc-js retries do not', async () => {
    const flaky = await server('flaky', 'cutoff', { failFirstAfterHeaders: 2 });
    const plain = channel('etcd:///cutoff');
    const error = (await callEcho(plain).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.UNAVAILABLE); // committed: the service config retry did not help
    const idempotent = channel('etcd:///cutoff', { idempotent: ['testing.Echo'] });
    expect((await callEcho(idempotent)).server).toBe('flaky'); // second cut-off call, then success
    expect(flaky.calls).toBe(3);
  });

  it('a rolling restart of every server under load fails no call', async () => {
    const old = [await server('o1', 'rolling'), await server('o2', 'rolling'), await server('o3', 'rolling')];
    const client = channel('etcd:///rolling');
    await warmUp(client, old);
    const run = load(client, 8);
    const fresh: EchoServer[] = [];
    for (const [i, s] of old.entries()) {
      fresh.push(await server(`n${i}`, 'rolling'));
      await s.stop(300);
    }
    await new Promise((r) => setTimeout(r, 500));
    run.stop();
    const result = await run.done;
    expect(result.errors).toEqual([]);
    expect(result.ok).toBeGreaterThan(100);
    expect(fresh.every((s) => s.calls > 0)).toBe(true);
  });

  it('does not spin on connection flaps, and keeps calling known servers while etcd is down', async () => {
    const a = await server('fa', 'flap');
    const b = await server('fb', 'flap');
    const client = channel('etcd:///flap');
    await warmUp(client, [a, b]);
    const before = pushes.get('flap') ?? 0;
    for (let flap = 0; flap < 5; flap++) {
      a.forceStop(); // connection drops, registration stays
      for (let i = 0; i < 10; i++) await callEcho(client);
      const port = Number(a.address.split(':')[1]);
      const again = await EchoServer.start({ name: 'fa', port });
      cleanups.push(() => again.forceStop());
      for (let i = 0; i < 10; i++) await callEcho(client);
      again.forceStop();
    }
    expect((pushes.get('flap') ?? 0) - before).toBeLessThanOrEqual(1);

    await Promise.all(cluster.members.map((m) => m.stop()));
    try {
      b.calls = 0;
      for (let i = 0; i < 50; i++) await callEcho(client);
      expect(b.calls).toBe(50);
    } finally {
      await Promise.all(cluster.members.map((m) => m.start()));
      await cluster.waitForLeader();
    }
  });
});
