// The examples of libs/lock/README.md, run against a real etcd. Keep the two in step.
import { createEtcdClient, Session, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { Election, Mutex, runAsLeader, withLock } from './index';

jest.setTimeout(60_000);

describe('README examples', () => {
  let cluster: EtcdCluster;
  let client: Etcd3;
  let session: Session;

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    client = await createEtcdClient({ endpoints: cluster.endpoints });
    session = await Session.create(client, { ttlSeconds: 10 });
  });
  afterAll(async () => {
    await session?.close();
    client?.close();
    await cluster?.close();
  });

  it('quick start', async () => {
    const doWork = async ({ token, signal }: { token: number; signal: AbortSignal }): Promise<number> =>
      signal.aborted ? 0 : token;
    const stopLeaderWork = jest.fn();

    {
      await using held = await new Mutex(session, 'jobs/nightly').lock({ signal: AbortSignal.timeout(30_000) });
      await held.fencedTxn(client.put('state/jobs/nightly').value('running'));
    }
    expect(await client.get('state/jobs/nightly').string()).toBe('running');
    expect(await client.getAll().prefix('jobs/nightly/').keys()).toEqual([]);

    const token = await withLock(session, 'jobs/nightly', async (held, signal) => doWork({ token: held.token, signal }));
    expect(token).toBeGreaterThan(0);

    const election = new Election(session, 'services/scheduler');
    const abort = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const { leader } of election.observe({ signal: abort.signal })) {
        seen.push(leader ? `leader ${leader.value}` : 'no leader');
        if (seen.length === 4) abort.abort();
      }
    })();
    while (seen.length < 1) await new Promise((r) => setTimeout(r, 5));
    const leadership = await election.campaign('node-a:8080');
    leadership.lost.addEventListener('abort', () => stopLeaderWork());
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 5));
    await leadership.proclaim('node-a:8080?v=2');
    while (seen.length < 3) await new Promise((r) => setTimeout(r, 5));
    await leadership.resign();
    await following;
    expect(seen).toEqual(['no leader', 'leader node-a:8080', 'leader node-a:8080?v=2', 'no leader']);
    expect(stopLeaderWork).not.toHaveBeenCalled();
  });

  it('run a task only on the leader', async () => {
    const shutdown = new AbortController();
    const log = { warn: jest.fn() };
    const terms: number[] = [];
    const runScheduledJobs = async ({ token, signal }: { token: number; signal: AbortSignal }): Promise<void> => {
      terms.push(token);
      shutdown.abort(); // one round is enough for the example
      expect(signal.aborted).toBe(true);
    };

    await runAsLeader(() => Session.create(client, { ttlSeconds: 10 }), 'services/scheduler', 'node-a', async (leadership, signal) => {
      while (!signal.aborted) await runScheduledJobs({ token: leadership.token, signal });
    }, { signal: shutdown.signal, onError: (e) => log.warn(e) });

    expect(terms).toHaveLength(1);
    expect(log.warn).not.toHaveBeenCalled();
    expect(await client.getAll().prefix('services/scheduler/').keys()).toEqual([]);
  });

  it('fencing a counter in etcd', async () => {
    const mutex = new Mutex(session, 'counter-lock');
    const held = await mutex.lock();
    const counter = Number((await client.get('counter').string()) ?? '0');
    await held.fencedTxn(client.put('counter').value(String(counter + 1)));
    const rev = (await client.kv.range({ key: Buffer.from('counter') })).kvs[0]!.mod_revision;
    const res = await held.txn().and('counter', 'Mod', '==', rev).then(client.put('counter').value(String(counter + 2))).commit();
    expect(res.succeeded).toBe(true);
    const raw = await client.kv.txn({ compare: [held.compare()], success: [{ request_put: { key: Buffer.from('counter'), value: Buffer.from('3') } }] });
    expect(raw.succeeded).toBe(true);
    await held.unlock();
    await expect(held.fencedTxn(client.put('counter').value('99'))).rejects.toMatchObject({ code: 'LOCK_NOT_HELD' });
    expect(await client.get('counter').string()).toBe('3');
  });
});
