// Member replacement under steady gateway load: kill -9 one etcd member for good, remove it,
// add a fresh member as a learner, promote it, while the gateway keeps answering.
import { publish } from '@etcd-patterns/config';
import { AppProcess, type AppName } from '@etcd-patterns/demo';
import { createEtcdClient, isEtcdPatternsError, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { addMember, clusterHealth, ClusterOps, members, promoteMember, removeMember } from '@etcd-patterns/ops';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from './wait-for';

jest.setTimeout(150_000);

async function retryWhile<T>(codes: readonly string[], call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!codes.some((c) => isEtcdPatternsError(error, c)) || attempt > 150) throw error;
      await sleep(200);
    }
  }
}

describe('replacing an etcd member under steady gateway load', () => {
  let cluster: EtcdCluster;
  let client: Etcd3;
  let ops: ClusterOps;
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    client = await createEtcdClient({ endpoints: cluster.endpoints });
    ops = await ClusterOps.connect({ endpoints: cluster.endpoints });
    await publish({ client, namespace: 'e2e/greeter', document: { template: 'Hello, {name}!' }, author: 'e2e' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.kill()));
    await ops?.close();
    client?.close();
    await cluster?.close();
  });

  it('kill -9 a member, remove it, add a learner and promote it: 0 failed gateway requests', async () => {
    const env = { ETCD_ENDPOINTS: cluster.endpoints.join(','), ETCD_SESSION_TTL_SECONDS: '5', CONFIG_NAMESPACE: 'e2e/greeter' };
    const start = async (app: AppName, extra: Record<string, string>): Promise<AppProcess> => {
      const proc = await AppProcess.start({ app, env: { ...env, ...extra } });
      apps.push(proc);
      return proc;
    };
    const [, , gateway] = await Promise.all([
      start('greeter', { INSTANCE_NAME: 'g1' }),
      start('greeter', { INSTANCE_NAME: 'g2' }),
      start('gateway', { INSTANCE_NAME: 'gw', GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1' }),
    ]);
    const url = String((await gateway!.waitForLog((e) => e['msg'] === 'gateway ready'))['url']);
    await waitFor('both greeters behind the gateway', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const r = await fetch(`${url}/hello?name=x`, { signal: AbortSignal.timeout(5000) });
        if (r.status === 200) seen.add(String(((await r.json()) as { instance: string }).instance));
      }
      return seen.size === 2;
    }, 30_000);

    // Steady load: two request loops for the whole replacement.
    const failures: string[] = [];
    let served = 0;
    const stop = new AbortController();
    const loop = async (): Promise<void> => {
      while (!stop.signal.aborted) {
        try {
          const r = await fetch(`${url}/hello?name=load`, { signal: AbortSignal.timeout(10_000) });
          const body = await r.text();
          if (r.status === 200) served++;
          else failures.push(`${r.status} ${body}`);
        } catch (error) {
          failures.push(String(error));
        }
        await sleep(10);
      }
    };
    const loops = [loop(), loop()];
    await waitFor('load before the fault', () => served >= 20, 20_000);

    const doomed = (await cluster.follower())!;
    await doomed.kill();
    const dead = await retryWhile(['ETCD_UNAVAILABLE', 'ETCD_DEADLINE_EXCEEDED'], async () => (await members(ops)).find((m) => m.name === doomed.name)!);
    await retryWhile(['OPS_CLUSTER_UNHEALTHY'], () => removeMember(ops, dead.id));
    await cluster.forget(doomed);

    const spec = await cluster.newMemberSpec('m3');
    const added = await retryWhile(['OPS_CLUSTER_UNHEALTHY'], () => addMember(ops, { name: 'm3', peerUrls: [spec.peerUrl] }));
    await cluster.startJoining(spec, added.initialCluster);
    await retryWhile(['OPS_LEARNER_NOT_READY', 'OPS_UNSAFE'], () => promoteMember(ops, 'm3'));

    const after = await members(ops);
    expect(after.map((m) => m.name).sort()).toEqual(['m0', 'm1', 'm2', 'm3'].filter((n) => n !== doomed.name).sort());
    expect(after.every((m) => !m.isLearner)).toBe(true);
    const health = await clusterHealth(ops);
    expect(health.filter((h) => h.healthy).map((h) => h.name).sort()).toEqual(after.map((m) => m.name).sort());

    // Writes still commit with the new member in the quorum, and the load saw no failure.
    await client.put('/e2e/after-replacement').value('ok');
    const servedBefore = served;
    await waitFor('more requests after the replacement', () => served > servedBefore + 20, 20_000);
    stop.abort();
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(servedBefore);
  });
});
