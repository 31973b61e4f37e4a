import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import type { Etcd3 } from 'etcd3';
import { createEtcdClient } from './create-client';
import { toEtcdError } from './grpc-errors';
import type { WatchEvent } from './key-value';
import { watchPrefix, type PrefixWatchMessage } from './watch-prefix';

jest.setTimeout(120_000);

/** Creates each key once, retrying safely: the txn only creates a key that does not exist. */
async function putMany(client: Etcd3, keys: string[], value: string, concurrency = 32): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        for (;;) {
          try {
            await client.if(key, 'Create', '==', 0).then(client.put(key).value(value)).commit();
            break;
          } catch (error) {
            if (!toEtcdError(error).retryable) throw error;
          }
        }
      }
    }),
  );
}

function summary(events: readonly WatchEvent[]): string[] {
  return events.map((e) => `${e.type} ${e.kv.key}${e.type === 'put' ? `=${e.kv.value.toString()}` : ''}`).sort();
}

describe('watchPrefix (3-member cluster)', () => {
  let cluster: EtcdCluster;
  const clients: Etcd3[] = [];
  const client = async (endpoints = cluster.endpoints): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('starts with a snapshot, then delivers each change once, a transaction whole', async () => {
    const etcd = await client();
    await etcd.put('/t/basic/a').value('1').exec();
    await etcd.put('/t/basic2/not-mine').value('x').exec();
    const abort = new AbortController();
    const seen: PrefixWatchMessage[] = [];
    let snapshotSeen!: () => void;
    const snapshot = new Promise<void>((resolve) => (snapshotSeen = resolve));
    const done = (async () => {
      for await (const m of watchPrefix(etcd, '/t/basic/', { signal: abort.signal })) {
        seen.push(m);
        if (m.kind === 'snapshot') snapshotSeen();
        if (m.kind === 'events' && m.events.length === 2) abort.abort();
      }
    })();
    await snapshot;
    await etcd.put('/t/basic/b').value('2').exec();
    await etcd.put('/t/basic2/other').value('x').exec();
    await etcd.delete().key('/t/basic/a').exec();
    await etcd.if('/t/basic/b', 'Create', '>', 0).then(etcd.put('/t/basic/c').value('3'), etcd.put('/t/basic/d').value('4')).commit();
    await done; // ends without error on abort

    expect(seen[0]).toMatchObject({ kind: 'snapshot', kvs: [{ key: '/t/basic/a' }] });
    const changes = seen.slice(1).map((m) => (m.kind === 'events' ? summary(m.events) : m.kind));
    expect(changes).toEqual([['put /t/basic/b=2'], ['delete /t/basic/a'], ['put /t/basic/c=3', 'put /t/basic/d=4']]);
    const revisions = seen.map((m) => m.revision);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
  });

  it('holds at most about bufferEvents for a consumer that stops reading, then delivers everything', async () => {
    const etcd = await client();
    const abort = new AbortController();
    const watch = watchPrefix(etcd, '/t/slow/', { signal: abort.signal, bufferEvents: 100 });
    const it = watch[Symbol.asyncIterator]();
    await it.next(); // the snapshot
    // The stream opens when the consumer asks for more than the snapshot: read one event, then
    // read nothing while 1,000 puts land.
    const first = it.next();
    await etcd.put('/t/slow/first').value('v').exec();
    expect((await first).value).toMatchObject({ kind: 'events' });
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 1000) await etcd.put(`/t/slow/k${next++ % 100}`).value('v').exec();
      }),
    );
    // Wait for the buffer to stop growing (events, not time: poll the counter until it is steady).
    let last = -1;
    while (watch.stats.bufferedEvents !== last || last < 100) {
      last = watch.stats.bufferedEvents;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(watch.stats.bufferedEvents).toBeGreaterThanOrEqual(100);
    expect(watch.stats.bufferedEvents).toBeLessThanOrEqual(200); // paused at the mark: etcd holds the rest
    let events = 0;
    let revision = 0;
    while (events < 1000) {
      const { value } = await it.next();
      if (value.kind !== 'events') throw new Error(`unexpected ${value.kind}`);
      expect(value.revision).toBeGreaterThan(revision);
      revision = value.revision;
      events += value.events.length;
    }
    expect(events).toBe(1000);
    expect(watch.stats.bufferedEvents).toBe(0);
    abort.abort();
    await it.return?.();
  });

  it('delivers a 3,000-revision catch-up exactly once when its member restarts half-way', async () => {
    const member = (await cluster.follower())!;
    const writer = await client();
    const watcherClient = await client([member.endpoint]);
    const start = Number((await writer.get('/t/catchup/none').exec()).header.revision) + 1;
    const keys = Array.from({ length: 3000 }, (_, i) => `/t/catchup/k${String(i).padStart(4, '0')}`);
    await putMany(writer, keys, 'x'.repeat(1024));

    const watch = watchPrefix(watcherClient, '/t/catchup/', { startRevision: start, bufferEvents: 50 });
    const delivered: WatchEvent[] = [];
    let restartedAt = -1;
    for await (const message of watch) {
      expect(message.kind).toBe('events');
      if (message.kind === 'events') delivered.push(...message.events);
      if (restartedAt < 0 && delivered.length >= 200) {
        restartedAt = delivered.length;
        await member.restart();
      }
      if (delivered.length >= keys.length) break;
    }

    expect(restartedAt).toBeGreaterThan(0);
    expect(restartedAt).toBeLessThan(keys.length / 2);
    expect(watch.stats.reconnects).toBeGreaterThanOrEqual(1);
    expect(delivered).toHaveLength(keys.length);
    expect(new Set(delivered.map((e) => e.kv.key)).size).toBe(keys.length);
    const revisions = delivered.map((e) => e.kv.modRevision);
    expect(revisions).toEqual(Array.from({ length: keys.length }, (_, i) => start + i));
  });

  it('reconciles when the resume point was compacted while disconnected', async () => {
    const member = (await cluster.follower())!;
    const others = await client(cluster.endpoints.filter((e) => e !== member.endpoint));
    const watcherClient = await client([member.endpoint]);
    await others.put('/t/compact/a').value('1').exec();
    await others.put('/t/compact/b').value('1').exec();
    await others.put('/t/compact/c').value('1').exec();

    const watch = watchPrefix(watcherClient, '/t/compact/');
    const iterator = watch[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as PrefixWatchMessage;
    expect(first).toMatchObject({ kind: 'snapshot' });
    expect(first.kind === 'snapshot' && first.kvs.map((kv) => kv.key)).toEqual(['/t/compact/a', '/t/compact/b', '/t/compact/c']);

    await member.stop();
    await others.put('/t/compact/a').value('2').exec();
    await others.delete().key('/t/compact/b').exec();
    const last = await others.put('/t/compact/d').value('1').exec();
    const compacted = await etcdctl(cluster.endpoints.filter((e) => e !== member.endpoint), ['compact', last.header.revision]);
    expect(compacted.code).toBe(0);
    await member.start();

    const next = (await iterator.next()).value as PrefixWatchMessage;
    await iterator.return?.();
    expect(next.kind).toBe('reconcile');
    if (next.kind !== 'reconcile') return;
    expect(next.compactRevision).toBeGreaterThanOrEqual(Number(last.header.revision));
    expect(summary(next.events)).toEqual(['delete /t/compact/b', 'put /t/compact/a=2', 'put /t/compact/d=1']);
    expect(next.kvs.map((kv) => kv.key)).toEqual(['/t/compact/a', '/t/compact/c', '/t/compact/d']);
    expect(watch.stats.compactions).toBe(1);
  });

  it('loses no event when the member serving the watch is killed', async () => {
    const writer = await client();
    const watcherClient = await client();
    const watch = watchPrefix(watcherClient, '/t/failover/');
    const iterator = watch[Symbol.asyncIterator]();
    await iterator.next(); // snapshot
    const keys = Array.from({ length: 600 }, (_, i) => `/t/failover/k${String(i).padStart(4, '0')}`);
    const writing = putMany(writer, keys, 'v', 4);

    const delivered: WatchEvent[] = [];
    let killed = false;
    while (delivered.length < keys.length) {
      const { value } = await iterator.next();
      const message = value as PrefixWatchMessage;
      if (message.kind === 'events') delivered.push(...message.events);
      if (!killed && delivered.length >= 100) {
        killed = true;
        const statuses = await Promise.all(cluster.members.map(async (m) => ({ m, s: await m.status() })));
        const serving = statuses.find(({ s }) => s?.memberId === watch.stats.memberId)?.m;
        expect(serving).toBeDefined();
        await serving!.kill();
      }
    }
    await writing;
    await iterator.return?.();
    expect(watch.stats.reconnects).toBeGreaterThanOrEqual(1);
    expect(delivered.map((e) => e.kv.key).sort()).toEqual(keys);
    const revisions = delivered.map((e) => e.kv.modRevision);
    expect(new Set(revisions).size).toBe(keys.length);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
    for (const m of cluster.members) if (!m.running) await m.start();
    await cluster.waitForLeader();
  });
});
