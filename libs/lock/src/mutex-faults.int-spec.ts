import { createEtcdClient, Session, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { Mutex } from './mutex';

jest.setTimeout(90_000);

describe('Mutex under etcd faults (3-member cluster)', () => {
  let cluster: EtcdCluster;
  const clients: Etcd3[] = [];
  const sessions: Session[] = [];
  const client = async (): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints: cluster.endpoints });
    clients.push(c);
    return c;
  };
  const session = async (): Promise<Session> => {
    const s = await Session.create(await client(), { ttlSeconds: 10 });
    sessions.push(s);
    return s;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    for (const c of clients) c.close();
    await cluster?.close();
  });

  it('keeps the queue through a leader kill: waiters stay queued, unlock and lock retry, order holds', async () => {
    const name = '/faults/queue';
    const holder = await new Mutex(await session(), name).lock();
    const first = new Mutex(await session(), name);
    const second = new Mutex(await session(), name);
    const acquired: string[] = [];
    const firstLock = first.lock().then((h) => (acquired.push('first'), h));
    const observer = await client();
    while ((await observer.getAll().prefix(`${name}/`).keys()).length < 2) await new Promise((r) => setTimeout(r, 10));
    const secondLock = second.lock().then((h) => (acquired.push('second'), h));
    while ((await observer.getAll().prefix(`${name}/`).keys()).length < 3) await new Promise((r) => setTimeout(r, 10));

    const leader = await cluster.waitForLeader();
    await leader.kill();
    // Released while the cluster elects a new leader: the unlock is retried until it lands.
    await holder.unlock();
    const h1 = await firstLock;
    await leader.start();
    // Lock/unlock cycles of a third session keep working while a member restarts.
    await h1.unlock();
    const h2 = await secondLock;
    expect(acquired).toEqual(['first', 'second']);
    expect(h2.token).toBeGreaterThan(h1.token);
    expect(h1.token).toBeGreaterThan(holder.token);
    await h2.unlock();
    expect(await observer.getAll().prefix(`${name}/`).keys()).toEqual([]);
  });

  it('acquires while the member a waiter talks to is paused, once it comes back', async () => {
    const name = '/faults/paused';
    const member = (await cluster.follower())!;
    // The holder talks to the other members only: its unlock must land during the pause, and an
    // unlock sent to the frozen member would wait for its call deadline, stretching the pause
    // from 1 s to 6 s (see paused-member.int-spec.ts in libs/etcd).
    const others = cluster.members.filter((m) => m !== member).map((m) => m.endpoint);
    const holderClient = await createEtcdClient({ endpoints: others });
    clients.push(holderClient);
    const holderSession = await Session.create(holderClient, { ttlSeconds: 10 });
    sessions.push(holderSession);
    const holder = await new Mutex(holderSession, name).lock();
    const c = await createEtcdClient({ endpoints: [member.endpoint] });
    clients.push(c);
    const s = await Session.create(c, { ttlSeconds: 10 });
    sessions.push(s);
    const waiting = new Mutex(s, name).lock();
    const observer = await client();
    while ((await observer.getAll().prefix(`${name}/`).keys()).length < 2) await new Promise((r) => setTimeout(r, 10));
    member.pause();
    await holder.unlock();
    await new Promise((r) => setTimeout(r, 1000)); // the waiter cannot learn anything meanwhile
    member.resume();
    const held = await waiting;
    expect(held.lost.aborted).toBe(false);
    await held.unlock();
  });
});
