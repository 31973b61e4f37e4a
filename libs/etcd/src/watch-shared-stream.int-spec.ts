import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import type { Etcd3 } from 'etcd3';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEtcdClient } from './create-client';
import type { WatchEvent } from './key-value';
import { watchPrefix, type PrefixWatch, type PrefixWatchMessage } from './watch-prefix';

jest.setTimeout(120_000);

/** The member's own count of watch streams and watchers (`/metrics` on its client URL). */
async function watchGauges(cluster: EtcdCluster): Promise<{ streams: number; watchers: number }> {
  const text = await (await fetch(`${cluster.clientUrls[0]}/metrics`)).text();
  const gauge = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { streams: gauge('etcd_debugging_mvcc_watch_stream_total'), watchers: gauge('etcd_debugging_mvcc_watcher_total') };
}

/** Polls the gauges until `done` holds (the member updates them as it handles the requests). */
async function gaugesUntil(cluster: EtcdCluster, done: (g: { streams: number; watchers: number }) => boolean): Promise<{ streams: number; watchers: number }> {
  for (;;) {
    const g = await watchGauges(cluster);
    if (done(g)) return g;
    await sleep(50);
  }
}

/** Consumes `watch` in the background into `events` until `signal` aborts. */
function consume(watch: PrefixWatch, events: WatchEvent[]): { snapshot: Promise<void>; done: Promise<void> } {
  let snapshotSeen!: () => void;
  const snapshot = new Promise<void>((resolve) => (snapshotSeen = resolve));
  const done = (async () => {
    for await (const m of watch) {
      if (m.kind === 'snapshot') snapshotSeen();
      else events.push(...m.events);
    }
  })();
  return { snapshot, done };
}

async function putMany(client: Etcd3, prefix: string, count: number, concurrency = 16): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        await client.put(`${prefix}k${String(i).padStart(4, '0')}`).value(String(i)).exec();
      }
    }),
  );
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(20);
}

describe('watchPrefix watches sharing one stream (1 member)', () => {
  let cluster: EtcdCluster;
  let client: Etcd3;

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    client = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterAll(async () => {
    client?.close();
    await cluster?.close();
  });

  it('carries the watches of one client on one stream; a cancelled one leaves it, the others go on', async () => {
    const aborts = Array.from({ length: 5 }, () => new AbortController());
    const seen = aborts.map(() => [] as WatchEvent[]);
    const runs = aborts.map((a, i) => consume(watchPrefix(client, '/t/shared/', { signal: a.signal }), seen[i]!));
    await Promise.all(runs.map((r) => r.snapshot));
    expect(await gaugesUntil(cluster, (g) => g.watchers >= 5)).toEqual({ streams: 1, watchers: 5 });

    aborts[0]!.abort();
    await runs[0]!.done;
    expect(await gaugesUntil(cluster, (g) => g.watchers <= 4)).toEqual({ streams: 1, watchers: 4 });

    await putMany(client, '/t/shared/', 50);
    await until(() => seen.slice(1).every((s) => s.length >= 50));
    for (const events of seen.slice(1)) {
      expect(events.map((e) => e.kv.key).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `/t/shared/k${String(i).padStart(4, '0')}`));
    }
    expect(seen[0]!.length).toBeLessThan(50);

    for (const a of aborts) a.abort();
    await Promise.all(runs.map((r) => r.done));
    // The stream closes with its last watch.
    expect(await gaugesUntil(cluster, (g) => g.streams === 0)).toEqual({ streams: 0, watchers: 0 });
  });

  it('a consumer that stops reading holds a bounded buffer, stalls no other watch, and later gets every event once', async () => {
    const abort = new AbortController();
    const fastEvents: WatchEvent[] = [];
    const fast = consume(watchPrefix(client, '/t/slow-shared/', { signal: abort.signal }), fastEvents);
    const slow = watchPrefix(client, '/t/slow-shared/', { signal: abort.signal, bufferEvents: 100 });
    const it = slow[Symbol.asyncIterator]();
    const snapshot = (await it.next()).value as PrefixWatchMessage;
    expect(snapshot.kind).toBe('snapshot');
    await fast.snapshot;
    // The slow watch's stream opens when it asks for more than its snapshot.
    const first = it.next();
    await client.put('/t/slow-shared/first').value('v').exec();
    expect((await first).value).toMatchObject({ kind: 'events' });
    await until(() => fastEvents.length >= 1);

    await putMany(client, '/t/slow-shared/', 1000);
    // The other watch on the stream gets everything while the slow one reads nothing.
    await until(() => fastEvents.length >= 1001);
    expect(fastEvents).toHaveLength(1001);
    expect((await watchGauges(cluster)).streams).toBe(1);
    // The slow one paused at its mark: at most bufferEvents plus what one response carried.
    expect(slow.stats.bufferedEvents).toBeGreaterThanOrEqual(100);
    expect(slow.stats.bufferedEvents).toBeLessThanOrEqual(200);

    // Reading again resumes its watch from the revision after the last one it queued.
    const delivered: WatchEvent[] = [];
    let revision = snapshot.revision + 1; // the 'first' put
    while (delivered.length < 1000) {
      const { value } = await it.next();
      if (value.kind !== 'events') throw new Error(`unexpected ${value.kind}`);
      expect(value.revision).toBeGreaterThan(revision);
      revision = value.revision;
      delivered.push(...value.events);
    }
    expect(delivered).toHaveLength(1000);
    expect(delivered.map((e) => e.kv.modRevision)).toEqual(fastEvents.slice(1).map((e) => e.kv.modRevision));
    expect(slow.stats.bufferedEvents).toBe(0);
    expect(slow.stats.reconnects).toBe(0);
    abort.abort();
    await it.return?.();
    await fast.done;
  });

  it('a watch paused past a compaction reconciles when it reads again', async () => {
    const abort = new AbortController();
    const slow = watchPrefix(client, '/t/paused-compact/', { signal: abort.signal, bufferEvents: 10 });
    const it = slow[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ kind: 'snapshot', kvs: [] });
    const first = it.next();
    await client.put('/t/paused-compact/first').value('v').exec();
    expect((await first).value).toMatchObject({ kind: 'events' });

    await putMany(client, '/t/paused-compact/', 100);
    await until(() => slow.stats.bufferedEvents >= 10);
    await client.delete().key('/t/paused-compact/k0099').exec();
    const last = await client.put('/t/paused-compact/k0000').value('changed').exec();
    expect((await etcdctl(cluster.endpoints, ['compact', last.header.revision])).code).toBe(0);

    // What was queued before the pause comes first, then the re-read of the prefix.
    const state = new Map<string, string>([['/t/paused-compact/first', 'v']]);
    for (;;) {
      const { value } = await it.next();
      const m = value as PrefixWatchMessage;
      if (m.kind === 'snapshot') throw new Error('unexpected snapshot');
      for (const e of m.events) {
        if (e.type === 'put') state.set(e.kv.key, e.kv.value.toString());
        else state.delete(e.kv.key);
      }
      if (m.kind === 'reconcile') {
        expect(m.compactRevision).toBeGreaterThanOrEqual(Number(last.header.revision));
        expect(new Map(m.kvs.map((kv) => [kv.key, kv.value.toString()]))).toEqual(state);
        break;
      }
    }
    expect(state.size).toBe(100); // first + k0000..k0098
    expect(state.get('/t/paused-compact/k0000')).toBe('changed');
    expect(slow.stats.compactions).toBe(1);
    expect(slow.stats.reconnects).toBe(0); // the pause, not a dropped stream, met the compaction
    abort.abort();
    await it.return?.();
  });
});
