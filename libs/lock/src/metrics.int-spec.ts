// The library's OpenTelemetry instruments, counted through a real in-process MeterProvider
// against a real 1-member etcd cluster.
import type { Attributes } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { MetricsProbe, type ProbePoint } from '@etcd-patterns/metrics-probe';
import { createEtcdClient, Session, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { Election } from './election';
import { METER_NAME, METER_VERSION } from './internal/metrics';
import type { Leadership } from './leadership';
import { Mutex } from './mutex';
import { runAsLeader } from './run-as-leader';

jest.setTimeout(60_000);

describe('lock metrics (1-member cluster, in-process MeterProvider)', () => {
  const probe = new MetricsProbe(METER_NAME, METER_VERSION);
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  const sessions: Session[] = [];
  const newSession = async (ttlSeconds = 10): Promise<Session> => {
    const s = await Session.create(etcd, { ttlSeconds });
    sessions.push(s);
    return s;
  };

  const points = (name: string, match: Attributes = {}): Promise<ProbePoint[]> => probe.points(name, match);
  /** Sum of a counter's points, or count of a histogram's samples, matching `match`. */
  const total = (name: string, match: Attributes = {}): Promise<number> => probe.total(name, match);

  beforeAll(async () => {
    probe.install();
    cluster = await EtcdCluster.start({ size: 1 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    etcd?.close();
    await cluster?.close();
    await probe.uninstall();
  });

  it('records one wait and one hold sample per lock/unlock, and a tryLock that found the lock taken', async () => {
    const [a, b] = await Promise.all([newSession(), newSession()]);
    const held = await new Mutex(a, '/m/locks/one').lock();
    expect(await total('etcd_patterns.lock.wait.duration', { 'lock.outcome': 'acquired' })).toBe(1);
    expect(await new Mutex(b, '/m/locks/one').tryLock()).toBeUndefined();
    expect(await total('etcd_patterns.lock.wait.duration', { 'lock.outcome': 'taken' })).toBe(1);

    await held.unlock();
    await held.unlock(); // idempotent: still one hold
    const holds = await points('etcd_patterns.lock.hold.duration');
    expect(holds).toEqual([expect.objectContaining({ attributes: { 'lock.lost': false } })]);
    const hold = holds[0]!.value as Histogram;
    expect(hold.count).toBe(1);
    expect(hold.sum).toBeGreaterThan(0);
    expect(hold.sum).toBeLessThan(30); // seconds

    // A waiter that gives up is a failed wait.
    const again = await new Mutex(a, '/m/locks/one').lock();
    const giveUp = new AbortController();
    const waiting = new Mutex(b, '/m/locks/one').lock({ signal: giveUp.signal });
    giveUp.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    await again.unlock();
    expect(await total('etcd_patterns.lock.wait.duration', { 'lock.outcome': 'failed' })).toBe(1);
    expect(await total('etcd_patterns.lock.wait.duration', { 'lock.outcome': 'acquired' })).toBe(2);
    expect(await total('etcd_patterns.lock.hold.duration')).toBe(2);
  });

  it('counts a lock hold as lost when its session was lost before unlock()', async () => {
    const session = await newSession(3);
    const held = await new Mutex(session, '/m/locks/lost').lock();
    const lost = new Promise((resolve) => session.lost.addEventListener('abort', resolve, { once: true }));
    await etcd.leaseClient.leaseRevoke({ ID: session.leaseId });
    await lost;
    await held.unlock();
    expect(await total('etcd_patterns.lock.hold.duration', { 'lock.lost': true })).toBe(1);
  });

  it('counts leadership changes of an election: each win and each first resign()', async () => {
    const name = '/m/election/direct';
    const [a, b] = await Promise.all([newSession(), newSession()]);
    const first = await new Election(a, name).campaign('a');
    const second = new Election(b, name).campaign('b');
    await first.resign();
    await first.resign(); // idempotent
    const next = await second;
    expect(await total('etcd_patterns.lock.leadership.changes', { 'election.name': name, change: 'elected' })).toBe(2);
    expect(await total('etcd_patterns.lock.leadership.changes', { 'election.name': name, change: 'resigned' })).toBe(1);
    await next.resign();
    expect(await total('etcd_patterns.lock.leadership.changes', { 'election.name': name, change: 'resigned' })).toBe(2);
  });

  it('counts the terms of runAsLeader, a term lost with its session included', async () => {
    const name = '/m/election/run';
    const stop = new AbortController();
    const terms: Array<{ leadership: Leadership; session: Session }> = [];
    let termStarted: () => void = () => undefined;
    const nextTerm = (): Promise<void> => new Promise((resolve) => (termStarted = resolve));
    let current: Session | undefined;
    const first = nextTerm();
    const running = runAsLeader(
      async () => (current = await newSession(3)),
      name,
      'runner',
      async (leadership, signal) => {
        terms.push({ leadership, session: current! });
        termStarted();
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
      { signal: stop.signal, retryDelayMs: 10 },
    );
    await first;
    const second = nextTerm();
    await etcd.leaseClient.leaseRevoke({ ID: terms[0]!.session.leaseId }); // the first term is lost
    await second;
    stop.abort(); // the second term ends by resigning
    await running;
    expect(await total('etcd_patterns.lock.leadership.changes', { 'election.name': name, change: 'elected' })).toBe(2);
    expect(await total('etcd_patterns.lock.leadership.changes', { 'election.name': name, change: 'lost' })).toBe(1);
    expect(await total('etcd_patterns.lock.leadership.changes', { 'election.name': name, change: 'resigned' })).toBe(1);
  });
});
