import { createEtcdClient, Session, SessionLostError, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { Election } from './election';
import { isLockError } from './errors';
import type { LeaderChange } from './leader-info';

jest.setTimeout(90_000);

const fired = (signal: AbortSignal): Promise<unknown> =>
  new Promise((resolve) => (signal.aborted ? resolve(signal.reason) : signal.addEventListener('abort', () => resolve(signal.reason))));

describe('Election (3-member cluster)', () => {
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  const clients: Etcd3[] = [];
  const sessions: Session[] = [];
  let n = 0;
  const name = (): string => `/test/election/${++n}`;
  const client = async (endpoints = cluster.endpoints, callTimeoutMs?: number): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints, callTimeoutMs });
    clients.push(c);
    return c;
  };
  const session = async (c: Etcd3 = etcd, ttlSeconds = 10): Promise<Session> => {
    const s = await Session.create(c, { ttlSeconds });
    sessions.push(s);
    return s;
  };
  const keysUnder = async (prefix: string): Promise<string[]> => etcd.getAll().prefix(prefix).keys();
  const waitForKeys = async (prefix: string, count: number): Promise<void> => {
    while ((await keysUnder(prefix)).length < count) await new Promise((r) => setTimeout(r, 10));
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterEach(async () => {
    for (const m of cluster.members) m.resume();
    await Promise.all(sessions.splice(0).map((s) => s.close().catch(() => undefined)));
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    etcd?.close();
    await cluster?.close();
  });

  it('elects, proclaims, hands over on resign, and reports the leader', async () => {
    const electionName = name();
    const a = new Election(await session(), electionName);
    const b = new Election(await session(), electionName);
    expect(await a.leader()).toBeUndefined();

    const leaderA = await a.campaign('a');
    expect(leaderA.key).toBe(`${electionName}/${a.session.leaseIdHex}`);
    expect(await b.leader()).toMatchObject({ key: leaderA.key, value: 'a', createRevision: leaderA.token, leaseId: a.session.leaseId });

    const pendingB = b.campaign('b');
    await waitForKeys(`${electionName}/`, 2);
    await leaderA.proclaim('a2');
    expect(leaderA.value).toBe('a2');
    expect((await b.leader())?.value).toBe('a2');

    await leaderA.resign();
    await leaderA.resign(); // idempotent
    const leaderB = await pendingB;
    expect(leaderB.token).toBeGreaterThan(leaderA.token);
    await expect(leaderA.proclaim('late')).rejects.toMatchObject({ code: 'ELECTION_NOT_LEADER' });
    await expect(leaderA.fencedTxn(etcd.put(`${electionName}-x`).value('late'))).rejects.toMatchObject({ code: 'ELECTION_NOT_LEADER' });
    expect((await leaderB.fencedTxn(etcd.put(`${electionName}-x`).value('b'))).succeeded).toBe(true);
    await leaderB[Symbol.asyncDispose]();
    expect(await a.leader()).toBeUndefined();
  });

  it('removes the candidate key when a campaign is aborted, and fails a candidate whose lease expires', async () => {
    const electionName = name();
    const leader = await new Election(await session(), electionName).campaign('leader');
    const abort = new AbortController();
    const abortedElection = new Election(await session(), electionName);
    const aborted = abortedElection.campaign('x', { signal: abort.signal });
    const expiring = await session(etcd, 2);
    const expired = new Election(expiring, electionName).campaign('y');
    await waitForKeys(`${electionName}/`, 3);
    abort.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    expiring.abandon();
    await expect(expired).rejects.toMatchObject({ code: 'ELECTION_SESSION_EXPIRED' });
    expect(await keysUnder(`${electionName}/`)).not.toContain(abortedElection.key);
    await leader.resign();
  });

  it('fires lost when the leader key is deleted by someone else', async () => {
    const electionName = name();
    const leader = await new Election(await session(), electionName).campaign('v');
    expect((await etcdctl(cluster.endpoints, ['del', leader.key])).code).toBe(0);
    expect(isLockError(await fired(leader.lost), 'ELECTION_LOST')).toBe(true);
    await expect(leader.proclaim('again')).rejects.toMatchObject({ code: 'ELECTION_NOT_LEADER' });
    await leader.resign();
  });

  it('observe emits the leader, proclamations and "no leader", and ends on abort', async () => {
    const electionName = name();
    const observer = new Election(await session(), electionName);
    const stop = new AbortController();
    const seen: LeaderChange[] = [];
    let notify = (): void => undefined;
    const done = (async () => {
      for await (const change of observer.observe({ signal: stop.signal })) {
        seen.push(change);
        notify();
      }
    })();
    const waitCount = async (count: number): Promise<void> => {
      while (seen.length < count) await new Promise<void>((r) => (notify = r));
    };
    await waitCount(1);
    const a = await new Election(await session(), electionName).campaign('a');
    await waitCount(2);
    const pendingB = new Election(await session(), electionName).campaign('b');
    await waitForKeys(`${electionName}/`, 2); // a follower joining is not a leader change
    await a.proclaim('a2');
    await waitCount(3);
    await a.resign();
    const b = await pendingB;
    await waitCount(4);
    await b.resign();
    await waitCount(5);
    stop.abort();
    await done;
    expect(seen.map((c) => c.leader && `${c.leader.key === a.key ? 'A' : 'B'}=${c.leader.value}`)).toEqual([
      undefined,
      'A=a',
      'A=a2',
      'B=b',
      undefined,
    ]);
    const revisions = seen.map((c) => c.revision);
    expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
  });

  it('observe throws instead of going silent when etcd stays unreachable', async () => {
    const member = (await cluster.follower())!;
    const cutOff = await client([member.endpoint], 500);
    const changes = new Election(await session(cutOff), name()).observe({ probeIntervalMs: 100, unavailableTimeoutMs: 1000 });
    const observed = changes[Symbol.asyncIterator]();
    expect((await observed.next()).value).toMatchObject({ leader: undefined });
    member.pause();
    const started = performance.now();
    await expect(observed.next()).rejects.toMatchObject({ code: 'ETCD_UNAVAILABLE' });
    expect(performance.now() - started).toBeLessThan(10_000);
    member.resume();
  });

  it('never lets two leaders act at once: a cut-off leader sees lost before the next one is elected', async () => {
    const electionName = name();
    const member = (await cluster.follower())!;
    const cutOffClient = await client([member.endpoint]);
    const healthyClient = await client(cluster.endpoints.filter((e) => e !== member.endpoint));
    const oldSession = await session(cutOffClient, 3);
    const old = await new Election(oldSession, electionName).campaign('old');
    const candidate = new Election(await session(healthyClient, 3), electionName);

    const events: string[] = [];
    const oldLost = fired(old.lost).then((reason) => {
      events.push('old leader lost');
      return reason;
    });
    const elected = candidate.campaign('new').then((leadership) => {
      events.push('new leader elected');
      return leadership;
    });
    await waitForKeys(`${electionName}/`, 2);

    member.pause(); // the old leader can no longer reach etcd; the cluster keeps a quorum
    const [reason, next] = await Promise.all([oldLost, elected]);
    member.resume();
    expect(events).toEqual(['old leader lost', 'new leader elected']);
    expect(reason).toBeInstanceOf(SessionLostError);
    expect((reason as SessionLostError).reason).toBe('deadline');
    await expect(old.proclaim('still me?')).rejects.toMatchObject({ code: 'ELECTION_NOT_LEADER' });
    expect(next.token).toBeGreaterThan(old.token);
    await next.resign();
  });
});
