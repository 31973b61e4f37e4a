// Discovery: register/deregister propagation to 50 watchers against raw watch delivery, and
// the etcd keepalive load of 1,000 registered instances against one etcd3 lease per instance.
import { discover, ServiceRegistry, type ServiceWatcher } from '@etcd-patterns/discovery';
import { Session, watchPrefix } from '@etcd-patterns/etcd';
import type { Etcd3 } from 'etcd3';
import { setMaxListeners } from 'node:events';
import { latencySummary, nowMs, type Benchmark } from './bench-kit';
import { keepaliveRate } from './etcd-keepalives';

const WATCHERS = 50;

/** Resolves when every watcher's list satisfies `predicate`, with the time each took. */
function allSee(watchers: ServiceWatcher[], start: () => number, predicate: (n: number) => boolean): Promise<number[]> {
  return Promise.all(
    watchers.map(async (w) => {
      for await (const list of w) if (predicate(list.length)) return nowMs() - start();
      return Number.NaN;
    }),
  );
}

async function rawDelivery(client: Etcd3, samples: number): Promise<number[]> {
  const abort = new AbortController();
  setMaxListeners(WATCHERS + 10, abort.signal); // one listener per watcher on this shared signal
  const arrivals: Array<(key: string) => void> = [];
  const ready: Array<Promise<void>> = [];
  for (let i = 0; i < WATCHERS; i++) {
    const it = watchPrefix(client, '/bench/raw/', { signal: abort.signal })[Symbol.asyncIterator]();
    ready.push(it.next().then(() => undefined));
    void (async () => {
      for (;;) {
        const { value, done } = await it.next();
        if (done) return;
        if (value.kind === 'events') for (const e of value.events) for (const a of [...arrivals]) a(e.kv.key);
      }
    })();
  }
  await Promise.all(ready);
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    const key = `/bench/raw/k${s}`;
    let seen = 0;
    const start = nowMs();
    await new Promise<void>((resolve) => {
      const on = (k: string): void => {
        if (k !== key) return;
        out.push(nowMs() - start);
        if (++seen === WATCHERS) {
          arrivals.splice(arrivals.indexOf(on), 1);
          resolve();
        }
      };
      arrivals.push(on);
      void client.put(key).value('v').exec();
    });
  }
  abort.abort();
  return out;
}

const bench: Benchmark = {
  name: 'discovery',
  async run(ctx) {
    const client = await ctx.client();
    const samples = Math.max(10, Math.round(100 * ctx.scale));
    const raw = await rawDelivery(client, samples);

    const session = await Session.create(client, { ttlSeconds: 30 });
    const registry = new ServiceRegistry({ session });
    const watchers = Array.from({ length: WATCHERS }, () => discover({ client, service: 'bench' }));
    await Promise.all(watchers.map((w) => w.ready));
    const reg: number[] = [];
    const dereg: number[] = [];
    for (let s = 0; s < samples; s++) {
      let start = 0;
      const seen = allSee(watchers, () => start, (n) => n === 1);
      start = nowMs();
      const r = await registry.register({ service: 'bench', address: `127.0.0.1:${10000 + s}` });
      reg.push(...(await seen));
      const gone = allSee(watchers, () => start, (n) => n === 0);
      start = nowMs();
      await r.deregister();
      dereg.push(...(await gone));
    }
    for (const w of watchers) w.close();
    await registry.close();
    await session.close();

    // Keepalive load: 1,000 instances on our one shared lease vs one etcd3 lease each.
    const ttlSeconds = 3;
    const windowMs = Math.round(9000 * Math.max(0.5, ctx.scale));
    const shared = await Session.create(client, { ttlSeconds });
    const many = new ServiceRegistry({ session: shared });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => many.register({ service: 'load', address: `10.1.${i >> 8}.${i & 255}:80` })));
    const ours = await keepaliveRate(ctx.cluster, windowMs);
    await many.close();
    await shared.close();
    const leases = Array.from({ length: 1000 }, () => client.lease(ttlSeconds, { autoKeepAlive: true }));
    await Promise.all(leases.map((l, i) => l.put(`/bench/load-etcd3/${i}`).value('x').exec()));
    const theirs = await keepaliveRate(ctx.cluster, windowMs);
    await Promise.all(leases.map((l) => l.revoke()));

    const rawSummary = latencySummary(raw);
    return [
      { bench: 'discovery', metric: `register -> all ${WATCHERS} watchers`, unit: 'ms', ours: latencySummary(reg), reference: rawSummary, referenceName: `raw put -> ${WATCHERS} watchPrefix`, target: 'p99 <= 2x' },
      { bench: 'discovery', metric: `deregister -> all ${WATCHERS} watchers`, unit: 'ms', ours: latencySummary(dereg), reference: rawSummary, referenceName: `raw put -> ${WATCHERS} watchPrefix`, target: 'p99 <= 2x' },
      { bench: 'discovery', metric: `keepalive load, 1,000 instances, TTL ${ttlSeconds}s`, unit: 'req/s', ours: { rate: ours }, reference: { rate: theirs }, referenceName: 'etcd3, one lease per instance', target: 'grows with processes, not instances' },
    ];
  },
};

export default bench;
