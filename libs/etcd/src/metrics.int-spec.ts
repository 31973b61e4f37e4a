// The library's OpenTelemetry instruments, counted through a real in-process MeterProvider
// against a real 1-member etcd cluster.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Attributes } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { MetricsProbe, type ProbePoint } from '@etcd-patterns/metrics-probe';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import type { Etcd3 } from 'etcd3';
import { createEtcdClient } from './create-client';
import { toEtcdError } from './grpc-errors';
import { METER_NAME, METER_VERSION } from './internal/metrics';
import { Session, SessionLostError } from './session';
import { watchPrefix, type PrefixWatchMessage } from './watch-prefix';

jest.setTimeout(90_000);

describe('etcd metrics (1-member cluster, in-process MeterProvider)', () => {
  const probe = new MetricsProbe(METER_NAME, METER_VERSION);
  let cluster: EtcdCluster;
  const clients: Etcd3[] = [];
  const client = async (): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints: cluster.endpoints });
    clients.push(c);
    return c;
  };

  /** Data points of `name` whose attributes include `match`. */
  const points = (name: string, match: Attributes = {}): Promise<ProbePoint[]> => probe.points(name, match);
  /** Sum of a counter's points, or count of a histogram's samples, matching `match`. */
  const total = (name: string, match: Attributes = {}): Promise<number> => probe.total(name, match);

  beforeAll(async () => {
    probe.install();
    cluster = await EtcdCluster.start({ size: 1 });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await cluster?.close();
    await probe.uninstall();
  });

  it('times unary calls by service and method, with the error code of failures', async () => {
    const etcd = await client();
    const before = await total('etcd_patterns.etcd.request.duration', { 'rpc.method': 'Put' });
    await etcd.put('/m/calls/a').value('1').exec();
    await etcd.put('/m/calls/b').value('2').exec();
    expect(await etcd.get('/m/calls/a').string()).toBe('1');
    await expect(etcd.put('/m/calls/c').value('3').lease('7').exec()).rejects.toThrow();

    const puts = await points('etcd_patterns.etcd.request.duration', { 'rpc.service': 'etcdserverpb.KV', 'rpc.method': 'Put' });
    expect(puts.filter((p) => p.attributes['error.type'] === undefined).reduce((n, p) => n + (p.value as Histogram).count, 0)).toBe(before + 2);
    const failed = puts.find((p) => p.attributes['error.type'] === 'ETCD_LEASE_NOT_FOUND');
    expect((failed?.value as Histogram | undefined)?.count).toBe(1);
    const ranges = await points('etcd_patterns.etcd.request.duration', { 'rpc.method': 'Range', 'error.type': undefined });
    const range = ranges[0]!.value as Histogram;
    expect(range.count).toBeGreaterThanOrEqual(1);
    expect(range.sum).toBeGreaterThan(0);
    expect(range.sum).toBeLessThan(range.count * 5); // seconds, not milliseconds
    // createEtcdClient's connection check.
    expect(await total('etcd_patterns.etcd.request.duration', { 'rpc.service': 'etcdserverpb.Maintenance', 'rpc.method': 'Status' })).toBeGreaterThanOrEqual(1);
  });

  it('counts a session lost because etcd no longer has its lease', async () => {
    const etcd = await client();
    const before = await total('etcd_patterns.etcd.session.losses', { reason: 'lease-not-found' });
    const session = await Session.create(etcd, { ttlSeconds: 3 });
    const lost = once(session.lost, 'abort');
    await etcd.leaseClient.leaseRevoke({ ID: session.leaseId });
    await lost;
    expect((session.lost.reason as SessionLostError).reason).toBe('lease-not-found');
    expect(await total('etcd_patterns.etcd.session.losses', { reason: 'lease-not-found' })).toBe(before + 1);

    // close() and abandon() are not losses.
    const closed = await Session.create(etcd, { ttlSeconds: 3 });
    await closed.close();
    (await Session.create(etcd, { ttlSeconds: 3 })).abandon();
    expect(await total('etcd_patterns.etcd.session.losses')).toBe(before + 1);
  });

  it('counts keepalive failures, a deadline loss and watch reconnects while etcd is down', async () => {
    const etcd = await client();
    const writer = await client();
    const failuresBefore = await total('etcd_patterns.etcd.session.keepalive_failures');
    const reconnectsBefore = await total('etcd_patterns.etcd.watch.reconnects');
    const session = await Session.create(etcd, { ttlSeconds: 3 });
    const abort = new AbortController();
    const seen: PrefixWatchMessage[] = [];
    let notify: () => void = () => undefined;
    const watching = (async () => {
      for await (const message of watchPrefix(etcd, '/m/down/', { signal: abort.signal })) {
        seen.push(message);
        notify();
      }
    })();
    const next = (test: (m: PrefixWatchMessage) => boolean): Promise<void> =>
      new Promise((resolve) => {
        notify = () => {
          if (seen.some(test)) resolve();
        };
        notify();
      });
    try {
      await next((m) => m.kind === 'snapshot');
      const lost = once(session.lost, 'abort');
      const member = cluster.member(0);
      await member.kill();
      await lost;
      await member.start();
      // The restarted member may not be connected again yet: retry (the put is idempotent).
      for (let attempt = 1; ; attempt++) {
        try {
          await writer.put('/m/down/after').value('1').exec();
          break;
        } catch (error) {
          if (!toEtcdError(error).retryable || attempt >= 50) throw error;
          await sleep(200);
        }
      }
      await next((m) => m.kind === 'events' && m.events.some((e) => e.kv.key === '/m/down/after'));
    } finally {
      abort.abort();
      await watching;
    }
    expect((session.lost.reason as SessionLostError).reason).toBe('deadline');
    expect(await total('etcd_patterns.etcd.session.losses', { reason: 'deadline' })).toBe(1);
    expect(await total('etcd_patterns.etcd.session.keepalive_failures')).toBeGreaterThan(failuresBefore);
    expect(await total('etcd_patterns.etcd.watch.reconnects')).toBeGreaterThan(reconnectsBefore);
    expect(await points('etcd_patterns.etcd.watch.reconnects')).toEqual(
      expect.arrayContaining([expect.objectContaining({ attributes: { 'error.type': expect.stringMatching(/^ETCD_[A-Z_]+$/) } })]),
    );
  });

  it('counts a re-list when the resume revision was compacted', async () => {
    const etcd = await client();
    const first = await etcd.put('/m/compact/a').value('1').exec();
    await etcd.put('/m/compact/b').value('1').exec();
    const last = await etcd.put('/m/compact/a').value('2').exec();
    await etcdctl(cluster.endpoints, ['compact', last.header.revision]);
    const before = await total('etcd_patterns.etcd.watch.compaction_relists');
    const abort = new AbortController();
    for await (const message of watchPrefix(etcd, '/m/compact/', { startRevision: Number(first.header.revision) + 1, signal: abort.signal })) {
      expect(message.kind).toBe('reconcile');
      abort.abort();
    }
    expect(await total('etcd_patterns.etcd.watch.compaction_relists')).toBe(before + 1);
  });
});
