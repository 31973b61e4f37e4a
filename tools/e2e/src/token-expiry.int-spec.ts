// etcd's simple auth tokens expire after --auth-token-ttl seconds without use, and each member
// keeps its own clock for them: a token kept fresh on one member is long dead on the others.
// Everything below runs with a 2 s TTL, paced so that every token goes stale between rounds,
// and through a rolling restart, so every stream re-opens on a member that has forgotten it.
import { createEtcdClient, Session, watchPrefix, type Etcd3, type PrefixWatchMessage } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { register } from '@etcd-patterns/discovery';
import { Mutex } from '@etcd-patterns/lock';
import { publish, watchConfig, type ConfigChange } from '@etcd-patterns/config';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

jest.setTimeout(120_000);

const TOKEN_TTL_SECONDS = 2;
// Rounds are longer than the token TTL, so the app's token is always stale when it next calls.
const ROUND_MS = TOKEN_TTL_SECONDS * 1000 + 500;
const ROUNDS = 16; // ~40 s of steady work, with a rolling restart in the middle

const schema = z.object({ round: z.number().int() });

describe('auth token expiry (--auth-token-ttl=2, 3 members)', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3, extraArgs: [`--auth-token-ttl=${TOKEN_TTL_SECONDS}`] });
    for (const args of [
      ['user', 'add', 'root:rootpw'],
      ['role', 'add', 'app'],
      ['role', 'grant-permission', 'app', '--prefix=true', 'readwrite', '/test/ttl/'],
      ['role', 'grant-permission', 'app', '--prefix=true', 'read', '/config/ttl/'],
      ['role', 'grant-permission', 'app', '--prefix=true', 'readwrite', '/services/'],
      ['user', 'add', 'app:apppw'],
      ['user', 'grant-role', 'app', 'app'],
      ['auth', 'enable'],
    ]) {
      const r = await etcdctl(cluster.endpoints, args);
      if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${r.stderr}`);
    }
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('keeps a session, a prefix watch, a mutex, a registration and a hot config working', async () => {
    const clients: Etcd3[] = [];
    const connect = async (username: string, password: string): Promise<Etcd3> => {
      const c = await createEtcdClient({ endpoints: cluster.endpoints, username, password });
      clients.push(c);
      return c;
    };
    const app = await connect('app', 'apppw');
    const admin = await connect('root', 'rootpw');
    const stop = new AbortController();
    const session = await Session.create(app, { ttlSeconds: 5 });
    const registration = await register({ session, service: 'ttl-greeter', address: '127.0.0.1:50051' });
    await publish({ client: admin, namespace: 'ttl/app', document: { round: 0 }, author: 'test' });
    const hot = watchConfig({ client: app, namespace: 'ttl/app', schema, onError: () => undefined });
    await hot.ready;

    // The prefix watch, consumed in the background; each round waits for its own key.
    const seen = new Set<string>();
    const waiters = new Map<string, () => void>();
    const watch = watchPrefix(app, '/test/ttl/watch/', { signal: stop.signal });
    const watchDone = (async () => {
      for await (const message of watch as AsyncIterable<PrefixWatchMessage>) {
        if (message.kind !== 'events') continue;
        for (const e of message.events) {
          const key = e.kv.key.toString();
          seen.add(key);
          waiters.get(key)?.();
        }
      }
    })();
    const eventFor = (key: string): Promise<void> =>
      seen.has(key) ? Promise.resolve() : new Promise((resolve) => waiters.set(key, resolve));
    const configRound = (round: number): Promise<ConfigChange<{ round: number }>> =>
      new Promise((resolve) => {
        const off = hot.subscribe((c) => {
          if (c.value.round === round) {
            off();
            resolve(c);
          }
        });
      });

    const mutex = new Mutex(session, '/test/ttl/locks/job');
    let held = await mutex.lock();
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        await sleep(ROUND_MS);
        // A rolling restart in the middle: every stream is re-opened on a member where the
        // app's token has expired (or never was fresh).
        if (round === ROUNDS / 2) {
          for (const member of cluster.members) {
            await member.restart();
            await cluster.waitForLeader();
          }
        }
        const key = `/test/ttl/watch/${round}`;
        const event = eventFor(key);
        const applied = configRound(round);
        await admin.put(key).value(String(round)).exec();
        await publish({ client: admin, namespace: 'ttl/app', document: { round }, author: 'test' });
        await Promise.all([event, applied]);
        // The app's own writes, with a token the member may have forgotten.
        await app.put(`/test/ttl/app/${round}`).value('x').exec();
        // The lock is still ours (fenced write) and can be released and taken again.
        expect(held.lost.aborted).toBe(false);
        await held.unlock();
        held = await mutex.lock();
        expect(session.lost.aborted).toBe(false);
        expect(registration.state).toBe('registered');
        expect(hot.status).toBe('live');
        expect(hot.current.round).toBe(round);
      }
      // The rolling restart did re-open the watch stream (on members that did not know the token).
      expect(watch.stats.reconnects).toBeGreaterThanOrEqual(1);
      // The session kept its lease: the registration key is still there, on that lease.
      const reg = await admin.get(registration.key).exec();
      expect(reg.kvs[0]?.lease).toBe(session.leaseId);
    } finally {
      await held.unlock().catch(() => undefined);
      stop.abort();
      await watchDone.catch(() => undefined);
      await hot.close();
      await registration.deregister().catch(() => undefined);
      await session.close();
      for (const c of clients) c.close();
    }
  });
});
