import { createEtcdClient, isEtcdPatternsError, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import { alarms } from './alarms';
import { ClusterOps, normalizeEndpoint } from './cluster-ops';
import { clusterHealth } from './health';
import { compact, defragment, moveLeader } from './maintenance';
import { addMember, members, promoteMember, removeMember } from './members';
import { clusterStatus } from './status';

jest.setTimeout(120_000);

const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: unknown) => (isEtcdPatternsError(e) ? e.code : `untyped: ${String(e)}`),
  );

async function retryWhile<T>(code: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isEtcdPatternsError(error, code) || attempt > 100) throw error;
      await sleep(200);
    }
  }
}

describe('cluster operations against a real 3-member cluster', () => {
  let cluster: EtcdCluster;
  let ops: ClusterOps;
  let client: Etcd3;

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    ops = await ClusterOps.connect({ endpoints: cluster.endpoints, probeTimeoutMs: 1500 });
    client = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterAll(async () => {
    client?.close();
    await ops?.close();
    await cluster?.close();
  });

  it('reports every endpoint like etcdctl endpoint status, and an unreachable one as a row, not a failure', async () => {
    const status = await clusterStatus(ops);
    expect(status).toHaveLength(3);
    const leaders = status.filter((s) => s.ok && s.isLeader);
    expect(leaders).toHaveLength(1);
    const reference = JSON.parse((await etcdctl(cluster.endpoints, ['endpoint', 'status', '-w', 'json'])).stdout) as Array<{ Endpoint: string; Status: { header: { member_id: number | string }; version: string; leader: number | string } }>;
    for (const row of status) {
      expect(row.ok).toBe(true);
      if (!row.ok) continue;
      expect(row.version).toBe(reference[0]!.Status.version);
      expect(row.dbSize).toBeGreaterThan(0);
      expect(row.dbSizeInUse).toBeGreaterThan(0);
      expect(row.dbSizeInUse).toBeLessThanOrEqual(row.dbSize);
      expect(row.raftTerm).toBeGreaterThan(0);
      expect(row.raftAppliedIndex).toBeGreaterThan(0);
      expect(row.isLearner).toBe(false);
      expect(row.name).toMatch(/^m[0-2]$/);
    }

    const frozen = cluster.member(2);
    frozen.pause();
    try {
      const partial = await clusterStatus(ops);
      const row = partial.find((s) => normalizeEndpoint(s.endpoint) === frozen.endpoint);
      expect(row).toMatchObject({ ok: false, error: { code: expect.stringMatching(/ETCD_(DEADLINE_EXCEEDED|UNAVAILABLE)/) } });
      expect(partial.filter((s) => s.ok)).toHaveLength(2);
      const health = await clusterHealth(ops);
      expect(health.find((h) => normalizeEndpoint(h.endpoint) === frozen.endpoint)).toMatchObject({ healthy: false });
      expect(health.filter((h) => h.healthy)).toHaveLength(2);
    } finally {
      frozen.resume();
    }
    expect((await clusterHealth(ops)).every((h) => h.healthy && h.alarms.length === 0)).toBe(true);
  });

  it('lists members as etcdctl does and refuses unknown names without changing anything', async () => {
    const list = await members(ops);
    // `-w simple` prints ids in hex (JSON prints uint64 numbers that JavaScript cannot hold exactly).
    const reference = (await etcdctl(cluster.endpoints, ['member', 'list', '-w', 'simple'])).stdout.trim().split('\n').map((line) => line.split(', '));
    expect(list.map((m) => m.name).sort()).toEqual(['m0', 'm1', 'm2']);
    expect(list.map((m) => [m.id, m.name, m.peerUrls.join(','), m.clientUrls.join(',')]).sort()).toEqual(reference.map((r) => [r[0], r[2], r[3], r[4]]).sort());
    expect(await codeOf(defragment(ops, 'no-such-member'))).toBe('OPS_MEMBER_NOT_FOUND');
    expect(await codeOf(removeMember(ops, 'no-such-member'))).toBe('OPS_MEMBER_NOT_FOUND');
    expect(await codeOf(moveLeader(ops, 'no-such-member'))).toBe('OPS_MEMBER_NOT_FOUND');
    expect(await members(ops)).toHaveLength(3);
  });

  it('compacts, then defragments one member and gives the space back', async () => {
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 60; i++) await client.put('/ops/churn').value(`${i}${big}`);
    const before = await client.get('/ops/churn').exec();
    const oldRevision = Number(before.kvs[0]!.mod_revision) - 10;
    expect(await codeOf(compact(ops, Number(before.header.revision) + 1000))).toBe('OPS_INVALID_ARGUMENT');
    expect(await codeOf(compact(ops, 0))).toBe('OPS_INVALID_ARGUMENT');
    const result = await compact(ops, 'current');
    expect(result.revision).toBe(Number(before.header.revision));
    expect(await codeOf(client.get('/ops/churn').revision(oldRevision).exec().catch((e: unknown) => Promise.reject(toEtcdError(e))))).toBe('ETCD_COMPACTED');
    expect(await codeOf(compact(ops, oldRevision))).toBe('ETCD_COMPACTED');

    const follower = (await clusterStatus(ops)).find((s) => s.ok && !s.isLeader)!;
    const defrag = await defragment(ops, follower.endpoint);
    expect(defrag.dbSizeAfter).toBeLessThan(defrag.dbSizeBefore);
    expect(await client.get('/ops/churn').string()).toBe(`59${big}`);
  });

  it('moves leadership to a chosen member', async () => {
    const status = await clusterStatus(ops);
    const target = status.find((s) => s.ok && !s.isLeader)!;
    const moved = await moveLeader(ops, target.ok ? target.name! : '');
    expect(moved.to).toBe(target.ok && target.name);
    for (let i = 0; i < 100; i++) {
      const now = await clusterStatus(ops);
      if (now.some((s) => s.ok && s.isLeader && s.name === moved.to)) return;
      await sleep(100);
    }
    throw new Error('leadership did not move');
  });

  it('adds a learner, promotes it once it has caught up, and removes a member', async () => {
    const spec = await cluster.newMemberSpec('m3');
    // etcd refuses reconfiguration until every voter has been connected for 5 s.
    const added = await retryWhile('OPS_CLUSTER_UNHEALTHY', () => addMember(ops, { name: 'm3', peerUrls: [spec.peerUrl] }));
    expect(added.member).toMatchObject({ isLearner: true, status: 'unstarted' });
    expect(added.initialCluster).toContain(`m3=${spec.peerUrl}`);
    expect(await codeOf(addMember(ops, { name: 'm3', peerUrls: [spec.peerUrl] }))).toBe('OPS_INVALID_ARGUMENT');
    // A learner may not lead.
    expect(await codeOf(moveLeader(ops, spec.peerUrl))).toBe('OPS_UNSAFE');
    const joined = await cluster.startJoining(spec, added.initialCluster);
    let promoted;
    for (let i = 0; i < 100 && !promoted; i++) {
      promoted = await promoteMember(ops, 'm3').catch((e: unknown) => {
        if (isEtcdPatternsError(e, 'OPS_LEARNER_NOT_READY') || isEtcdPatternsError(e, 'OPS_UNSAFE')) return undefined;
        throw e;
      });
      if (!promoted) await sleep(200);
    }
    expect(promoted).toMatchObject({ isLearner: false });
    expect(await codeOf(promoteMember(ops, 'm3'))).toBe('OPS_UNSAFE');
    expect((await members(ops)).filter((m) => !m.isLearner)).toHaveLength(4);
    expect(await client.get('/ops/churn').exists()).toBe(true);

    await retryWhile('OPS_CLUSTER_UNHEALTHY', () => removeMember(ops, 'm3'));
    await cluster.forget(joined);
    expect((await members(ops)).map((m) => m.name).sort()).toEqual(['m0', 'm1', 'm2']);
    expect(await alarms(ops)).toEqual([]);
  });
});
