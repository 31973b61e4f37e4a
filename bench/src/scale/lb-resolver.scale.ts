// lb-resolver at scale: one channel over 10 / 100 / 500 echo backends (real grpc-js servers on
// loopback, in a worker process). Per size: time to the first pick after `etcd:///` resolves
// and to the first answer against a direct channel to the same addresses, unary calls/s against
// the direct channel, retained heap per subchannel, and the cost of one membership change: the
// synchronous time grpc-js spends in the resolver's listener call (balancer update and picker
// rebuild), for our p2c balancer and for grpc-js's round_robin behind the same resolver.
import { installEtcdBalancing, etcdChannelOptions } from '@etcd-patterns/lb-resolver';
import { callEcho, EchoClient } from '@etcd-patterns/lb-resolver/testing';
import * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from '../bench-kit';
import { ChildWorker, retainedBytes } from './child-rpc';
import type { ScaleCurve, ScaleSuite } from './curve';

const WORKER = join(__dirname, 'lb-resolver-worker.ts');
const TIMED_SCHEME = 'etcd-timed';
/** Channel option naming which measured channel a resolver belongs to (kept out of subchannel args). */
const TAG = `${grpc.experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}bench.tag`;
const IN_FLIGHT = 32;

/** Listener calls of the resolvers of one tagged channel. */
interface Pushes {
  /** When the first list was pushed (performance.now()). */
  first?: number;
  /** Duration of each listener call, ms. */
  readonly durations: number[];
  waiters: Array<() => void>;
}
const pushes = new Map<string, Pushes>();
function pushesOf(tag: string): Pushes {
  let p = pushes.get(tag);
  if (!p) pushes.set(tag, (p = { durations: [], waiters: [] }));
  return p;
}

/**
 * `etcd-timed:///service`: the `etcd` resolver, with each call of grpc-js's listener timed. The
 * listener applies the list synchronously: the balancer's address update and its new picker.
 */
function registerTimedResolver(): void {
  class TimedResolver implements grpc.experimental.Resolver {
    private readonly inner: grpc.experimental.Resolver;
    constructor(target: grpc.experimental.GrpcUri, listener: grpc.experimental.ResolverListener, options: grpc.ChannelOptions) {
      const p = pushesOf(String((options as Record<string, unknown>)[TAG] ?? ''));
      this.inner = grpc.experimental.createResolver(
        { ...target, scheme: 'etcd' },
        (endpoints, attributes, serviceConfig, note) => {
          const start = performance.now();
          const accepted = listener(endpoints, attributes, serviceConfig, note);
          p.durations.push(performance.now() - start);
          p.first ??= start;
          for (const w of p.waiters.splice(0)) w();
          return accepted;
        },
        options,
      );
    }
    static getDefaultAuthority(target: grpc.experimental.GrpcUri): string {
      return target.path;
    }
    updateResolution(): void {
      this.inner.updateResolution();
    }
    destroy(): void {
      this.inner.destroy();
    }
  }
  grpc.experimental.registerResolver(TIMED_SCHEME, TimedResolver);
}

function nextPush(tag: string): Promise<void> {
  return new Promise((resolve) => pushesOf(tag).waiters.push(resolve));
}

async function drive(client: grpc.Client, calls: number, seen?: Set<string>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < calls) {
        const reply = await callEcho(client);
        seen?.add(reply.server ?? '');
      }
    }),
  );
  return calls / ((performance.now() - start) / 1000);
}

/** Calls until every backend has answered (every subchannel READY), at most `timeoutMs`. */
async function warm(client: grpc.Client, backends: number, timeoutMs = 30_000): Promise<void> {
  const seen = new Set<string>();
  const deadline = performance.now() + timeoutMs;
  while (seen.size < backends && performance.now() < deadline) await drive(client, Math.max(IN_FLIGHT, backends * 2), seen);
  if (seen.size < backends) throw new Error(`only ${seen.size} of ${backends} backends answered`);
}

const localPool = { 'grpc.use_local_subchannel_pool': 1 };

/** A channel through etcd (tagged), and how long it took to the first push and the first answer. */
async function etcdChannel(service: string, tag: string, policy: 'round_robin' | 'p2c'): Promise<{ client: grpc.Client; resolvedMs: number; firstAnswerMs: number }> {
  const start = performance.now();
  const client = new EchoClient(`${TIMED_SCHEME}:///${service}`, grpc.credentials.createInsecure(), {
    ...etcdChannelOptions({ policy, retry: false }),
    ...localPool,
    [TAG]: tag,
  });
  await callEcho(client, 20_000);
  const firstAnswerMs = performance.now() - start;
  return { client, resolvedMs: pushesOf(tag).first! - start, firstAnswerMs };
}

function directChannel(addresses: readonly string[]): grpc.Client {
  return new EchoClient(`ipv4:${addresses.join(',')}`, grpc.credentials.createInsecure(), {
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    ...localPool,
  });
}

interface Figures {
  readonly backends: number;
  readonly resolvedMs: number;
  readonly firstPickAfterResolveMs: number;
  readonly firstAnswerMs: number;
  readonly directFirstAnswerMs: number;
  readonly callsPerSecond: number;
  readonly directCallsPerSecond: number;
  readonly bytesPerSubchannel: number;
  readonly directBytesPerSubchannel: number;
  readonly p2cChangeUs: { p50: number; p99: number };
  readonly rrChangeUs: { p50: number; p99: number };
}

const median = (values: readonly number[]): number => percentile(values, 50);

async function measure(worker: ChildWorker, backends: number, calls: number, changes: number, run: number): Promise<Figures> {
  const service = `lb${backends}-${run}`;
  const addresses = await worker.call<string[]>('serve', { service, count: backends });
  try {
    // Ours: resolve, first answer, then every subchannel READY; heap from before the channel
    // (after the channels of the last size were gone: grpc-js closes them asynchronously).
    await sleep(1000);
    retainedBytes();
    const before = retainedBytes();
    const ours = await etcdChannel(service, `${service}/rr`, 'round_robin');
    await warm(ours.client, backends);
    await sleep(200);
    const oursBytes = retainedBytes() - before;
    // The direct reference, the same way.
    const directBefore = retainedBytes();
    const directStart = performance.now();
    const direct = directChannel(addresses);
    await callEcho(direct, 20_000);
    const directFirstAnswerMs = performance.now() - directStart;
    await warm(direct, backends);
    await sleep(200);
    const directBytes = retainedBytes() - directBefore;

    const rates: number[] = [];
    const directRates: number[] = [];
    for (let round = 0; round < 3; round++) {
      directRates.push(await drive(direct, calls));
      rates.push(await drive(ours.client, calls));
    }

    // Membership changes: the spare backend joins and leaves; both channels get each list.
    const p2c = await etcdChannel(service, `${service}/p2c`, 'p2c');
    await warm(p2c.client, backends);
    const rrPushes = pushesOf(`${service}/rr`);
    const p2cPushes = pushesOf(`${service}/p2c`);
    const rrFrom = rrPushes.durations.length;
    const p2cFrom = p2cPushes.durations.length;
    for (let c = 0; c < changes; c++) {
      const seen = Promise.all([nextPush(`${service}/rr`), nextPush(`${service}/p2c`)]);
      await worker.call('toggleSpare');
      await seen;
      await sleep(20); // let the spare's subchannel connect (or go) before the next change
    }
    const us = (durations: number[]): { p50: number; p99: number } => ({
      p50: percentile(durations, 50) * 1000,
      p99: percentile(durations, 99) * 1000,
    });
    ours.client.close();
    p2c.client.close();
    direct.close();
    return {
      backends,
      resolvedMs: ours.resolvedMs,
      firstPickAfterResolveMs: ours.firstAnswerMs - ours.resolvedMs,
      firstAnswerMs: ours.firstAnswerMs,
      directFirstAnswerMs,
      callsPerSecond: median(rates),
      directCallsPerSecond: median(directRates),
      bytesPerSubchannel: oursBytes / backends,
      directBytesPerSubchannel: directBytes / backends,
      p2cChangeUs: us(p2cPushes.durations.slice(p2cFrom)),
      rrChangeUs: us(rrPushes.durations.slice(rrFrom)),
    };
  } finally {
    await worker.call('stop');
  }
}

const round = (v: number, digits = 3): number => Number(v.toPrecision(digits));

/** Exponent k of cost ~ size^k between the smallest and the largest size (1: grows as its work). */
function growth(figures: readonly Figures[], cost: (f: Figures) => number): number {
  const a = figures[0]!;
  const b = figures[figures.length - 1]!;
  return figures.length < 2 ? Number.NaN : Math.log(cost(b) / cost(a)) / Math.log(b.backends / a.backends);
}

/** Added cost per backend between the smallest and the largest size. */
function slope(figures: readonly Figures[], cost: (f: Figures) => number): number {
  const a = figures[0]!;
  const b = figures[figures.length - 1]!;
  return figures.length < 2 ? cost(a) / a.backends : (cost(b) - cost(a)) / (b.backends - a.backends);
}

const suite: ScaleSuite = {
  name: 'lb-resolver',
  async run(ctx) {
    const client = await ctx.client();
    installEtcdBalancing({ client });
    registerTimedResolver();
    const sizes = ctx.quick ? [10] : [10, 100, 500];
    const calls = ctx.quick ? 500 : 3000;
    const changes = ctx.quick ? 10 : 40;
    const worker = await ChildWorker.start(WORKER, { ETCD_ENDPOINTS: ctx.cluster.endpoints.join(',') });
    const figures: Figures[] = [];
    try {
      // Warm-up (not reported): compiled code and lazily made state would count in the first size.
      await measure(worker, sizes[0]!, Math.min(calls, 500), 4, 0);
      for (const backends of sizes) {
        const f = await measure(worker, backends, calls, changes, 1);
        figures.push(f);
        ctx.log(
          `lb-resolver: ${backends} backends: first pick ${f.firstPickAfterResolveMs.toFixed(1)} ms after resolve (${f.resolvedMs.toFixed(1)} ms), ` +
            `${Math.round(f.callsPerSecond)} calls/s (direct ${Math.round(f.directCallsPerSecond)}), ${Math.round(f.bytesPerSubchannel)} B/subchannel ` +
            `(direct ${Math.round(f.directBytesPerSubchannel)}), change p2c ${f.p2cChangeUs.p50.toFixed(0)} us / round_robin ${f.rrChangeUs.p50.toFixed(0)} us`,
        );
      }
    } finally {
      await worker.close();
    }
    return curves(figures);
  },
};

function curves(figures: readonly Figures[]): ScaleCurve[] {
  const first = figures[0]!;
  const last = figures[figures.length - 1]!;
  const ratios = figures.map((f) => f.callsPerSecond / f.directCallsPerSecond);
  const perBackend = (f: Figures, which: 'p2cChangeUs' | 'rrChangeUs'): number => f[which].p50 / (f.backends + 1);
  return [
    {
      id: 'lb-resolver.first-pick',
      title: 'New channel: etcd:/// resolved, first pick answered',
      xLabel: 'backends',
      units: { resolvedMs: 'ms', firstPickAfterResolveMs: 'ms', firstAnswerMs: 'ms' },
      referenceName: 'direct ipv4: channel (round_robin) to the same addresses',
      points: figures.map((f) => ({
        size: f.backends,
        ours: { resolvedMs: round(f.resolvedMs), firstPickAfterResolveMs: round(f.firstPickAfterResolveMs), firstAnswerMs: round(f.firstAnswerMs) },
        reference: { firstAnswerMs: round(f.directFirstAnswerMs) },
      })),
      conclusion:
        `From ${first.backends} to ${last.backends} backends, etcd:/// resolves in ${round(first.resolvedMs, 2)} -> ${round(last.resolvedMs, 2)} ms and the first pick answers ` +
        `${round(first.firstPickAfterResolveMs, 2)} -> ${round(last.firstPickAfterResolveMs, 2)} ms later (a direct channel answers its first call in ` +
        `${round(first.directFirstAnswerMs, 2)} -> ${round(last.directFirstAnswerMs, 2)} ms).`,
    },
    {
      id: 'lb-resolver.throughput',
      title: `Unary calls/s, round_robin, ${IN_FLIGHT} in flight (median of 3)`,
      xLabel: 'backends',
      units: { callsPerSecond: 'calls/s' },
      referenceName: 'direct ipv4: channel (round_robin)',
      points: figures.map((f) => ({ size: f.backends, ours: { callsPerSecond: round(f.callsPerSecond) }, reference: { callsPerSecond: round(f.directCallsPerSecond) } })),
      conclusion:
        `Through etcd:/// a channel makes ${round(Math.min(...ratios), 2)}-${round(Math.max(...ratios), 2)}x the calls/s of a direct channel from ` +
        `${first.backends} to ${last.backends} backends (${Math.round(last.callsPerSecond)} vs ${Math.round(last.directCallsPerSecond)} calls/s at ${last.backends}).`,
    },
    {
      id: 'lb-resolver.memory',
      title: 'Retained heap per subchannel, every subchannel READY',
      xLabel: 'backends',
      units: { bytesPerSubchannel: 'B' },
      referenceName: 'direct ipv4: channel (round_robin)',
      points: figures.map((f) => ({
        size: f.backends,
        ours: { bytesPerSubchannel: round(f.bytesPerSubchannel) },
        reference: { bytesPerSubchannel: round(f.directBytesPerSubchannel) },
      })),
      conclusion:
        `Each subchannel beyond the first ${first.backends} adds ${Math.round(slope(figures, (f) => f.bytesPerSubchannel * f.backends) / 1024)} KiB to an etcd:/// channel ` +
        `(direct: ${Math.round(slope(figures, (f) => f.directBytesPerSubchannel * f.backends) / 1024)} KiB); in all it retains ${Math.round(last.bytesPerSubchannel / 1024)} KiB per subchannel at ${last.backends} backends ` +
        `(${Math.round(first.bytesPerSubchannel / 1024)} KiB at ${first.backends}, where the watch and channel weigh in), against ` +
        `${Math.round(last.directBytesPerSubchannel / 1024)} / ${Math.round(first.directBytesPerSubchannel / 1024)} KiB for a direct channel.`,
    },
    {
      id: 'lb-resolver.membership-change',
      title: 'One membership change: listener call (balancer update + picker rebuild)',
      xLabel: 'backends',
      units: { p50Us: 'us', p99Us: 'us', usPerBackend: 'us' },
      referenceName: "grpc-js round_robin behind the same resolver",
      points: figures.map((f) => ({
        size: f.backends,
        ours: { p50Us: round(f.p2cChangeUs.p50), p99Us: round(f.p2cChangeUs.p99), usPerBackend: round(perBackend(f, 'p2cChangeUs')) },
        reference: { p50Us: round(f.rrChangeUs.p50), p99Us: round(f.rrChangeUs.p99), usPerBackend: round(perBackend(f, 'rrChangeUs')) },
      })),
      conclusion:
        `A membership change costs our p2c balancer ${round(first.p2cChangeUs.p50, 2)} -> ${round(last.p2cChangeUs.p50, 2)} us from ${first.backends} to ${last.backends} backends ` +
        `(${round(perBackend(first, 'p2cChangeUs'), 2)} -> ${round(perBackend(last, 'p2cChangeUs'), 2)} us per backend: the full list is re-applied), ` +
        `grpc-js round_robin ${round(first.rrChangeUs.p50, 2)} -> ${round(last.rrChangeUs.p50, 2)} us; ` +
        `it grows as backends^${round(growth(figures, (f) => f.p2cChangeUs.p50), 2)} (round_robin ^${round(growth(figures, (f) => f.rrChangeUs.p50), 2)}).`,
    },
  ];
}

export default suite;
