import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import type { Etcd3 } from 'etcd3';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEtcdClient } from './create-client';
import { Session, SessionLostError } from './session';
import { watchPrefix } from './watch-prefix';

jest.setTimeout(90_000);

describe('Session (3-member cluster)', () => {
  let cluster: EtcdCluster;
  const clients: Etcd3[] = [];
  const client = async (endpoints = cluster.endpoints): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('keeps its lease through a leader kill and a member restart', async () => {
    const etcd = await client();
    // The TTL must outlast a leader election (1 s election timeout here, several seconds on a
    // loaded 2-core CI machine) plus the safety margin; etcd's Go default is 60 s.
    const session = await Session.create(etcd, { ttlSeconds: 5 });
    const leader = await cluster.waitForLeader();
    await leader.kill();
    await cluster.waitForLeader();
    await sleep(6_000); // longer than the TTL: only keepalives can have kept the lease
    await leader.start();
    const follower = await cluster.follower();
    await follower!.restart();
    await cluster.waitForLeader();
    await sleep(6_000);

    expect(session.lost.aborted).toBe(false);
    const ttl = await etcd.leaseClient.leaseTimeToLive({ ID: session.leaseId });
    expect(Number(ttl.TTL)).toBeGreaterThan(0);
    await session.close();
    expect((session.lost.reason as SessionLostError).reason).toBe('closed');
  });

  it('fires lost before the server expires the lease when its member is cut off', async () => {
    const member = (await cluster.follower())!;
    const isolated = await client([member.endpoint]);
    const others = await client(cluster.endpoints.filter((e) => e !== member.endpoint));
    const session = await Session.create(isolated, { ttlSeconds: 3 });
    const key = `/test/session-cut/${session.leaseIdHex}`;
    await isolated.put(key).value('owned').lease(session.leaseId).exec();

    // Watch the lease's key from the healthy majority: its DELETE is the server's verdict.
    const order: string[] = [];
    const watchAbort = new AbortController();
    const expired = (async () => {
      for await (const message of watchPrefix(others, key, { signal: watchAbort.signal })) {
        if (message.kind === 'events' && message.events.some((e) => e.type === 'delete')) {
          order.push('server-expired');
          return;
        }
      }
    })();
    const lost = new Promise<void>((resolve) =>
      session.lost.addEventListener('abort', () => {
        order.push('client-lost');
        resolve();
      }),
    );

    member.pause();
    try {
      await Promise.all([lost, expired]);
    } finally {
      member.resume();
      watchAbort.abort();
    }
    expect(order).toEqual(['client-lost', 'server-expired']);
    expect(session.lost.reason).toBeInstanceOf(SessionLostError);
    expect((session.lost.reason as SessionLostError).reason).toBe('deadline');
  });

  it('fires lost with lease-not-found when the lease is revoked behind its back', async () => {
    const etcd = await client();
    const session = await Session.create(etcd, { ttlSeconds: 3 });
    const lost = new Promise((resolve) => session.lost.addEventListener('abort', resolve));
    const revoked = await etcdctl(cluster.endpoints, ['lease', 'revoke', session.leaseIdHex]);
    expect(revoked.code).toBe(0);
    await lost;
    expect((session.lost.reason as SessionLostError).reason).toBe('lease-not-found');
  });

  it('close() revokes the lease at once and abandon() leaves it to expire', async () => {
    const etcd = await client();
    const closing = await Session.create(etcd, { ttlSeconds: 30 });
    await etcd.put('/test/session-close/a').value('x').lease(closing.leaseId).exec();
    await closing.close();
    await closing.close(); // idempotent
    expect(await etcd.get('/test/session-close/a').string()).toBeNull();

    const abandoned = await Session.create(etcd, { ttlSeconds: 30 });
    await etcd.put('/test/session-close/b').value('x').lease(abandoned.leaseId).exec();
    abandoned.abandon();
    expect(abandoned.lost.aborted).toBe(true);
    expect(await etcd.get('/test/session-close/b').string()).toBe('x');
    await etcd.leaseClient.leaseRevoke({ ID: abandoned.leaseId });
  });

  it('rejects a TTL below one second', async () => {
    const etcd = await client();
    await expect(Session.create(etcd, { ttlSeconds: 0 })).rejects.toMatchObject({ code: 'ETCD_INVALID_CONFIG' });
  });
});
