// gRPC balancing: unary throughput through etcd:///svc against a direct channel to the same
// servers, latency with one 10x slower server, p2c against round_robin, and how evenly p2c
// spreads calls over equal servers, in one run.
import { ServiceRegistry } from '@etcd-patterns/discovery';
import { Session } from '@etcd-patterns/etcd';
import { etcdChannelOptions, installEtcdBalancing } from '@etcd-patterns/lb-resolver';
import * as grpc from '@grpc/grpc-js';
import { callEcho, EchoClient, EchoServer } from '@etcd-patterns/lb-resolver/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { latencySummary, nowMs, percentile, type Benchmark, type BenchContext, type BenchRow } from './bench-kit';

/** One call's latency and the server that answered it. */
interface Sample {
  readonly ms: number;
  readonly server: string;
}

async function drive(client: grpc.Client, calls: number, concurrency: number): Promise<{ rate: number; samples: Sample[] }> {
  const samples: Sample[] = [];
  let next = 0;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) {
        const t = nowMs();
        const reply = await callEcho(client);
        samples.push({ ms: nowMs() - t, server: reply.server ?? '' });
      }
    }),
  );
  return { rate: calls / ((nowMs() - start) / 1000), samples };
}

/**
 * Echo servers registered under `service`, each in its own process so the client's figures are
 * not inflated by serving on its event loop; resolves once all are registered.
 */
function echoProcesses(ctx: BenchContext, service: string, servers: ReadonlyArray<readonly [name: string, delayMs: number]>): Promise<ChildProcess[]> {
  return Promise.all(
    servers.map(async ([name, delay]) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../../libs/lb-resolver/src/testing/echo-process.ts')], {
        env: { ...process.env, ETCD_ENDPOINTS: ctx.cluster.endpoints.join(','), NAME: name, SERVICE: service, DELAY_MS: String(delay), TTL_SECONDS: '30' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await once(createInterface({ input: child.stdout! }), 'line');
      return child;
    }),
  );
}

/**
 * p2c against round_robin over two servers answering after `fastMs` and one after `slowMs`
 * (see {@link echoProcesses}). Both policies get the same warm-up, then alternate rounds;
 * p50/p99 are over all rounds.
 */
async function slowServerRows(ctx: BenchContext, service: string, fastMs: number, slowMs: number, prefix = ''): Promise<BenchRow[]> {
  const children = await echoProcesses(ctx, service, [['slow', slowMs], ['f1', fastMs], ['f2', fastMs]]);
  const p2c = new EchoClient(`etcd:///${service}`, grpc.credentials.createInsecure(), etcdChannelOptions({ policy: 'p2c', retry: false }));
  const rr = new EchoClient(`etcd:///${service}`, grpc.credentials.createInsecure(), etcdChannelOptions({ policy: 'round_robin', retry: false }));
  const calls = Math.round(2000 * ctx.scale);
  await drive(p2c, calls, 8);
  await drive(rr, calls, 8);
  const rows: BenchRow[] = [];
  for (const inFlight of [8, 4]) {
    const ours: Sample[] = [];
    const reference: Sample[] = [];
    for (let round = 0; round < 3; round++) {
      ours.push(...(await drive(p2c, calls, inFlight)).samples);
      reference.push(...(await drive(rr, calls, inFlight)).samples);
    }
    // How much slower the slow server is as the caller sees it, client overhead included.
    const median = (server: (name: string) => boolean): number => percentile(reference.filter((x) => server(x.server)).map((x) => x.ms), 50);
    const factor = median((n) => n === 'slow') / median((n) => n !== 'slow');
    const slowShare = ours.filter((x) => x.server === 'slow').length / ours.length;
    rows.push({
      bench: 'lb-resolver',
      metric: `${prefix}p2c vs round_robin, servers ${fastMs}/${fastMs}/${slowMs} ms (slow ${factor.toFixed(1)}x end to end), ${inFlight} in flight, p2c sent ${(slowShare * 100).toFixed(2)} % to slow`,
      unit: 'ms',
      ours: latencySummary(ours.map((x) => x.ms)),
      reference: latencySummary(reference.map((x) => x.ms)),
      referenceName: 'round_robin over etcd:///',
      target: prefix ? undefined : 'p99 <= 0.5',
    });
  }
  p2c.close();
  rr.close();
  for (const child of children) child.kill('SIGTERM');
  return rows;
}

/**
 * How evenly p2c spreads calls over three equal servers (see {@link echoProcesses}), one call
 * at a time and 8 in flight, against the fair third. Measured as a fresh client would see it:
 * once every server has answered (every subchannel READY), with no longer warm-up.
 */
async function equalServerRows(ctx: BenchContext, service: string): Promise<BenchRow[]> {
  const names = ['e1', 'e2', 'e3'];
  const children = await echoProcesses(ctx, service, names.map((name) => [name, 0] as const));
  const p2c = new EchoClient(`etcd:///${service}`, grpc.credentials.createInsecure(), etcdChannelOptions({ policy: 'p2c', retry: false }));
  const answered = new Set<string>();
  for (let i = 0; i < 500 && answered.size < names.length; i++) answered.add((await callEcho(p2c)).server ?? '');
  if (answered.size < names.length) throw new Error(`equal servers: only ${[...answered].join(', ')} answered`);
  const calls = Math.round(2000 * ctx.scale);
  const fair = 100 / names.length;
  const rows: BenchRow[] = [];
  for (const inFlight of [1, 8]) {
    const { samples } = await drive(p2c, calls, inFlight);
    const shares = names.map((name) => (100 * samples.filter((x) => x.server === name).length) / samples.length);
    rows.push({
      bench: 'lb-resolver',
      metric: `p2c share of calls per server, 3 equal servers, ${inFlight} in flight, ${calls} calls (${shares.map((x) => x.toFixed(1)).join(' / ')} %)`,
      unit: '% of calls',
      ours: { max: Math.max(...shares), min: Math.min(...shares) },
      reference: { max: fair, min: fair },
      referenceName: 'fair share',
      target: 'max <= 1.41, min >= 0.6 (20-47 %)',
    });
  }
  p2c.close();
  for (const child of children) child.kill('SIGTERM');
  return rows;
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

    const slowRows = [
      ...(await slowServerRows(ctx, 'bench-slow', 5, 50)),
      ...(await slowServerRows(ctx, 'bench-slow-2ms', 2, 20, 'stress: ')),
      ...(await equalServerRows(ctx, 'bench-equal')),
    ];
    await registry.close();
    await session.close();

    return [
      { bench: 'lb-resolver', metric: 'unary calls/s, round_robin, 3 servers, 32 in flight (median of 3)', unit: 'calls/s', ours: { rate: median(ours) }, reference: { rate: median(reference) }, referenceName: 'direct grpc-js channel', target: '>= 0.95' },
      ...slowRows,
    ];
  },
};

export default bench;
