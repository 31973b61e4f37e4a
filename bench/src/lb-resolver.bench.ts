// gRPC balancing: unary throughput through etcd:///svc against a direct channel to the same
// servers, and p99 latency with one slow server, p2c against round_robin, in one run.
import { ServiceRegistry } from '@etcd-patterns/discovery';
import { Session } from '@etcd-patterns/etcd';
import { etcdChannelOptions, installEtcdBalancing } from '@etcd-patterns/lb-resolver';
import * as grpc from '@grpc/grpc-js';
import { callEcho, EchoClient, EchoServer } from '@etcd-patterns/lb-resolver/testing';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { latencySummary, nowMs, type Benchmark } from './bench-kit';

async function drive(client: grpc.Client, calls: number, concurrency: number): Promise<{ rate: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) {
        const t = nowMs();
        await callEcho(client);
        latencies.push(nowMs() - t);
      }
    }),
  );
  return { rate: calls / ((nowMs() - start) / 1000), latencies };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const bench: Benchmark = {
  name: 'lb-resolver',
  async run(ctx) {
    const client = await ctx.client();
    installEtcdBalancing({ client });
    const session = await Session.create(client, { ttlSeconds: 30 });
    const registry = new ServiceRegistry({ session });
    const calls = Math.round(5000 * ctx.scale);

    const servers = await Promise.all(['a', 'b', 'c'].map((name) => EchoServer.start({ name, service: 'bench-rr', registry })));
    const viaEtcd = new EchoClient('etcd:///bench-rr', grpc.credentials.createInsecure(), etcdChannelOptions({ retry: false }));
    const direct = new EchoClient(
      `ipv4:${servers.map((s) => s.address).join(',')}`,
      grpc.credentials.createInsecure(),
      { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) },
    );
    await drive(viaEtcd, 300, 8); // warm up: every subchannel READY
    await drive(direct, 300, 8);
    const ours: number[] = [];
    const reference: number[] = [];
    for (let round = 0; round < 3; round++) {
      reference.push((await drive(direct, calls, 32)).rate);
      ours.push((await drive(viaEtcd, calls, 32)).rate);
    }
    viaEtcd.close();
    direct.close();
    for (const s of servers) s.forceStop();

    // The slow-server comparison runs its servers in their own processes, so the client's
    // latency figures are not inflated by serving on the same event loop.
    const children = await Promise.all(
      [['slow', 20], ['f1', 2], ['f2', 2]].map(async ([name, delay]) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../libs/lb-resolver/src/testing/echo-process.ts')], {
          env: { ...process.env, ETCD_ENDPOINTS: ctx.cluster.endpoints.join(','), NAME: String(name), SERVICE: 'bench-slow', DELAY_MS: String(delay), TTL_SECONDS: '30' },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        await once(createInterface({ input: child.stdout! }), 'line');
        return child;
      }),
    );
    const p2c = new EchoClient('etcd:///bench-slow', grpc.credentials.createInsecure(), etcdChannelOptions({ policy: 'p2c', retry: false }));
    const rr = new EchoClient('etcd:///bench-slow', grpc.credentials.createInsecure(), etcdChannelOptions({ policy: 'round_robin', retry: false }));
    const slowCalls = Math.round(2000 * ctx.scale);
    await drive(p2c, 200, 8);
    await drive(rr, 200, 8);
    const p2cLatency = latencySummary((await drive(p2c, slowCalls, 8)).latencies);
    const rrLatency = latencySummary((await drive(rr, slowCalls, 8)).latencies);
    const p2cLatency4 = latencySummary((await drive(p2c, slowCalls, 4)).latencies);
    const rrLatency4 = latencySummary((await drive(rr, slowCalls, 4)).latencies);
    p2c.close();
    rr.close();
    for (const child of children) child.kill('SIGTERM');
    await registry.close();
    await session.close();

    return [
      { bench: 'lb-resolver', metric: 'unary calls/s, round_robin, 3 servers, 32 in flight (median of 3)', unit: 'calls/s', ours: { rate: median(ours) }, reference: { rate: median(reference) }, referenceName: 'direct grpc-js channel', target: '>= 0.95' },
      { bench: 'lb-resolver', metric: 'latency with one 10x slower server, p2c vs round_robin, 8 in flight', unit: 'ms', ours: p2cLatency, reference: rrLatency, referenceName: 'round_robin over etcd:///', target: 'p99 <= 0.5' },
      { bench: 'lb-resolver', metric: 'latency with one 10x slower server, p2c vs round_robin, 4 in flight', unit: 'ms', ours: p2cLatency4, reference: rrLatency4, referenceName: 'round_robin over etcd:///', target: 'p99 <= 0.5' },
    ];
  },
};

export default bench;
