// LeaseKeepAlive messages counted by etcd itself (each member's /metrics), for the discovery
// benchmarks' keepalive figures.
import type { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** LeaseKeepAlive messages etcd received so far, summed over the cluster's members. */
export async function keepaliveCount(cluster: EtcdCluster): Promise<number> {
  const counts = await Promise.all(cluster.members.map((m) => memberKeepalives(m.spec.clientUrl)));
  return counts.reduce((a, b) => a + b, 0);
}

/** LeaseKeepAlive messages per second etcd received during the next `windowMs`. */
export async function keepaliveRate(cluster: EtcdCluster, windowMs: number): Promise<number> {
  const before = await keepaliveCount(cluster);
  await sleep(windowMs);
  return ((await keepaliveCount(cluster)) - before) / (windowMs / 1000);
}

function memberKeepalives(clientUrl: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    request(`${clientUrl}/metrics`, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        const line = body.split('\n').find((l) => l.startsWith('grpc_server_msg_received_total') && l.includes('grpc_method="LeaseKeepAlive"'));
        resolve(line ? Number(line.split(' ').pop()) : 0);
      });
    })
      .on('error', reject)
      .end();
  });
}
