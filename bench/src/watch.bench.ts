// Watch delivery latency: time from issuing a put until the event reaches the watcher, for
// our watchPrefix and etcd3's Watcher, against the raw put round trip, all in one run.
import { watchPrefix } from '@etcd-patterns/etcd';
import { latencySummary, nowMs, type Benchmark } from './bench-kit';

const bench: Benchmark = {
  name: 'watch',
  async run(ctx) {
    const client = await ctx.client();
    const samples = Math.round(500 * ctx.scale);
    const prefix = '/bench/watch/';
    const waiting = new Map<string, { ours?: () => void; theirs?: () => void }>();
    const arrived = (key: string, who: 'ours' | 'theirs'): void => waiting.get(key)?.[who]?.();

    const abort = new AbortController();
    const watch = watchPrefix(client, prefix, { signal: abort.signal });
    const iterator = watch[Symbol.asyncIterator]();
    await iterator.next(); // snapshot
    const ours = (async () => {
      for (;;) {
        const { value, done } = await iterator.next();
        if (done) return;
        if (value.kind === 'events') for (const e of value.events) arrived(e.kv.key, 'ours');
      }
    })();
    const watcher = await client.watch().prefix(prefix).create();
    watcher.on('put', (kv) => arrived(kv.key.toString(), 'theirs'));

    const put: number[] = [];
    const oursLatency: number[] = [];
    const theirsLatency: number[] = [];
    for (let i = 0; i < samples; i++) {
      const key = `${prefix}k${i}`;
      let start = 0;
      const got = {} as { ours?: () => void; theirs?: () => void };
      const oursP = new Promise<void>((r) => (got.ours = () => r(void oursLatency.push(nowMs() - start))));
      const theirsP = new Promise<void>((r) => (got.theirs = () => r(void theirsLatency.push(nowMs() - start))));
      waiting.set(key, got);
      start = nowMs();
      await client.put(key).value('v').exec();
      put.push(nowMs() - start);
      await Promise.all([oursP, theirsP]);
      waiting.delete(key);
    }
    abort.abort();
    await ours;
    await watcher.cancel();

    const reference = latencySummary(put);
    return [
      { bench: 'watch', metric: 'put->event, watchPrefix', unit: 'ms', ours: latencySummary(oursLatency), reference, referenceName: 'raw etcd put', target: 'close to 1x' },
      { bench: 'watch', metric: 'put->event, watchPrefix vs etcd3 Watcher', unit: 'ms', ours: latencySummary(oursLatency), reference: latencySummary(theirsLatency), referenceName: 'etcd3 Watcher', target: '<= 1x' },
    ];
  },
};

export default bench;
