import { createEtcdClient, type EtcdPatternsError, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { z } from 'zod';
import { documentChecksum } from './document';
import { ConfigValidationError } from './errors';
import { listVersions, rollback, showVersion } from './history';
import { publish } from './publish';
import { watchConfig, type ConfigChange, type HotConfig } from './watch-config';

jest.setTimeout(120_000);

const schema = z.object({
  server: z.object({ port: z.number().int().min(1).max(65535), host: z.string().default('0.0.0.0') }),
  features: z.array(z.string()).default([]),
  greeting: z.string(),
});
type Settings = z.output<typeof schema>;

/** Resolves with the first change (from now on) that satisfies `predicate`. */
function changeWhere<T>(hot: HotConfig<T>, predicate: (c: ConfigChange<T>) => boolean): Promise<ConfigChange<T>> {
  return new Promise((resolve) => {
    const off = hot.subscribe((c) => {
      if (predicate(c)) {
        off();
        resolve(c);
      }
    });
  });
}

/** Resolves with the first error (from now on) that satisfies `predicate`. */
function errorWhere<T>(hot: HotConfig<T>, predicate: (e: EtcdPatternsError) => boolean): Promise<EtcdPatternsError> {
  return new Promise((resolve) => {
    const off = hot.onError((e) => {
      if (predicate(e)) {
        off();
        resolve(e);
      }
    });
  });
}

describe('watchConfig (3-member cluster)', () => {
  let cluster: EtcdCluster;
  const clients: Etcd3[] = [];
  const hots: Array<HotConfig<unknown>> = [];
  const client = async (endpoints = cluster.endpoints): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints });
    clients.push(c);
    return c;
  };
  const watch = <T>(hot: HotConfig<T>): HotConfig<T> => {
    hots.push(hot as HotConfig<unknown>);
    return hot;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
  });
  afterEach(async () => {
    await Promise.all(hots.splice(0).map((h) => h.close()));
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('applies a publish in all of 20 subscribers, and a rollback restores the exact earlier content', async () => {
    const namespace = 'many/greeter';
    const writer = await client();
    const v1 = { server: { port: 8080, host: 'a' }, features: ['x'], greeting: 'hello' };
    await publish({ client: writer, namespace, document: v1, author: 'alice' });
    const subscribers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => watch(watchConfig({ client: await client(i % 2 ? cluster.endpoints : [cluster.endpoints[i % 3]!]), namespace, schema, onError: () => undefined }))),
    );
    const initial = await Promise.all(subscribers.map((s) => s.ready));
    for (const value of initial) expect(value).toEqual(v1);
    expect(subscribers.every((s) => s.version === 1 && s.status === 'live')).toBe(true);

    const v2 = { server: { port: 9090 }, greeting: 'hi' };
    const applied = subscribers.map((s) => changeWhere(s, (c) => c.version === 2));
    await publish({ client: writer, namespace, document: v2, author: 'bob', baseVersion: 1 });
    const changes = await Promise.all(applied);
    for (const change of changes) {
      expect(change.value).toEqual({ server: { port: 9090, host: '0.0.0.0' }, features: [], greeting: 'hi' });
      expect(change.previous).toEqual(v1);
      expect(change.source).toBe('publish');
      expect(change.diff.removed.map((d) => d.path)).toEqual(['features', 'server/host']);
    }
    const rolledBack = subscribers.map((s) => changeWhere(s, (c) => c.version === 3));
    await rollback({ client: writer, namespace, version: 1, author: 'carol' });
    for (const change of await Promise.all(rolledBack)) {
      expect(change.document).toEqual((await showVersion({ client: writer, namespace, version: 1 })).document);
      expect(change.value).toEqual(v1);
      expect(change.meta?.rollbackOf).toBe(1);
    }
    expect(subscribers.every((s) => s.version === 3)).toBe(true);
  });

  it('never applies half a publish: every applied document matches its checksum, versions only grow', async () => {
    const namespace = 'whole/greeter';
    const writer = await client();
    await publish({ client: writer, namespace, document: { server: { port: 1 }, greeting: 'g0' }, author: 'a' });
    const hot = watch(watchConfig({ client: await client(), namespace, schema }));
    await hot.ready;
    const seen: Array<ConfigChange<Settings>> = [];
    hot.subscribe((c) => seen.push(c));
    const last = changeWhere(hot, (c) => c.version === 31);
    for (let i = 1; i <= 30; i++) {
      const features = Array.from({ length: i % 7 }, (_, j) => `f${j}`);
      const document = i % 2 ? { server: { port: 1000 + i, host: `h${i}` }, features, greeting: `g${i}` } : { server: { port: 1000 + i }, greeting: `g${i}`, extra: { [`k${i}`]: i } };
      await publish({ client: writer, namespace, document, author: 'a' });
    }
    await last;
    for (const change of seen) expect(documentChecksum(change.document)).toBe(change.meta!.checksum);
    const versions = seen.map((c) => c.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(versions.length);
    expect(hot.current.greeting).toBe('g30');
  });

  it('keeps the last good value when an invalid change is written around publish, and applies the next valid one', async () => {
    const namespace = 'raw/greeter';
    const writer = await client();
    await publish({ client: writer, namespace, document: { server: { port: 8080 }, greeting: 'hello' }, author: 'a' });
    const errors: EtcdPatternsError[] = [];
    const hot = watch(watchConfig({ client: await client(), namespace, schema, onError: (e) => errors.push(e) }));
    await hot.ready;

    // A schema violation written with etcdctl: refused, reported, last value kept.
    let reported = errorWhere(hot, () => true);
    expect((await etcdctl(cluster.endpoints, ['put', '/config/raw/greeter/values/server/port', '"not a port"'])).code).toBe(0);
    const invalid = await reported;
    expect(invalid).toBeInstanceOf(ConfigValidationError);
    expect(invalid).toMatchObject({ code: 'CONFIG_VALIDATION_FAILED', issues: [{ path: 'server/port' }] });
    expect(hot.current.server.port).toBe(8080);
    expect(hot.version).toBe(1);

    // A value that is not JSON at all: reported as an unreadable setting.
    reported = errorWhere(hot, () => true);
    await etcdctl(cluster.endpoints, ['put', '/config/raw/greeter/values/greeting', 'plain text']);
    expect(await reported).toMatchObject({ code: 'CONFIG_INVALID_DOCUMENT' });
    expect(hot.current.greeting).toBe('hello');

    // The next valid publish applies normally.
    const next = changeWhere(hot, (c) => c.version === 2);
    await publish({ client: writer, namespace, document: { server: { port: 9000 }, greeting: 'fixed' }, author: 'a', baseVersion: 1 });
    expect((await next).value.server.port).toBe(9000);
    expect(hot.current).toEqual({ server: { port: 9000, host: '0.0.0.0' }, features: [], greeting: 'fixed' });
    expect(errors.length).toBeGreaterThanOrEqual(2);

    // A valid out-of-band edit is applied, marked as such.
    const edited = changeWhere(hot, (c) => c.source === 'out-of-band');
    await etcdctl(cluster.endpoints, ['put', '/config/raw/greeter/values/server/port', '7000']);
    const change = await edited;
    expect(change).toMatchObject({ version: 2, value: { server: { port: 7000 } }, diff: { changed: [{ path: 'server/port', from: 9000, to: 7000 }] } });
  });

  it("refuses out-of-band edits with outOfBand: 'reject'", async () => {
    const namespace = 'strict/greeter';
    const writer = await client();
    await publish({ client: writer, namespace, document: { server: { port: 8080 }, greeting: 'hello' }, author: 'a' });
    const hot = watch(watchConfig({ client: await client(), namespace, schema, outOfBand: 'reject', onError: () => undefined }));
    await hot.ready;
    const refused = errorWhere(hot, (e) => e.code === 'CONFIG_OUT_OF_BAND');
    await etcdctl(cluster.endpoints, ['put', '/config/strict/greeter/values/server/port', '7000']);
    await refused;
    expect(hot.current.server.port).toBe(8080);
  });

  it('catches up after its etcd member restarts: changes published while it was down arrive', async () => {
    const namespace = 'restart/greeter';
    const member = (await cluster.follower())!;
    const others = cluster.endpoints.filter((e) => e !== member.endpoint);
    const writer = await client(others);
    await publish({ client: writer, namespace, document: { server: { port: 1 }, greeting: 'before' }, author: 'a' });
    const hot = watch(watchConfig({ client: await client([member.endpoint]), namespace, schema, onError: () => undefined }));
    await hot.ready;

    await member.stop();
    await publish({ client: writer, namespace, document: { server: { port: 2 }, greeting: 'while down 1' }, author: 'a' });
    await publish({ client: writer, namespace, document: { server: { port: 3 }, greeting: 'while down 2' }, author: 'a' });
    const caughtUp = changeWhere(hot, (c) => c.version === 3);
    await member.start();
    const change = await caughtUp;
    expect(change.value.greeting).toBe('while down 2');
    expect(hot.current.server.port).toBe(3);
  });

  it('catches up after a compaction of the revisions it missed', async () => {
    const namespace = 'compacted/greeter';
    const member = (await cluster.follower())!;
    const others = cluster.endpoints.filter((e) => e !== member.endpoint);
    const writer = await client(others);
    await publish({ client: writer, namespace, document: { server: { port: 1 }, greeting: 'v1' }, author: 'a' });
    const hot = watch(watchConfig({ client: await client([member.endpoint]), namespace, schema, onError: () => undefined }));
    await hot.ready;

    await member.stop();
    await publish({ client: writer, namespace, document: { server: { port: 2 }, greeting: 'v2' }, author: 'a' });
    const last = await publish({ client: writer, namespace, document: { server: { port: 3 }, greeting: 'v3', features: ['new'] }, author: 'a' });
    expect((await etcdctl(others, ['compact', String(last.revision)])).code).toBe(0);
    const caughtUp = changeWhere(hot, (c) => c.version === 3);
    await member.start();
    const change = await caughtUp;
    expect(change.value).toEqual({ server: { port: 3, host: '0.0.0.0' }, features: ['new'], greeting: 'v3' });
    expect(change.document).toEqual((await showVersion({ client: writer, namespace, version: 3 })).document);
  });

  it('uses defaultValue until the first publish, supports for-await, and ends cleanly on close', async () => {
    const namespace = 'fresh/greeter';
    const writer = await client();
    const hot = watch(watchConfig({ client: await client(), namespace, schema, defaultValue: { server: { port: 1 }, greeting: 'default' } }));
    expect(await hot.ready).toEqual({ server: { port: 1, host: '0.0.0.0' }, features: [], greeting: 'default' });
    expect(hot.lastChange?.source).toBe('default');

    const seen: Settings[] = [];
    const loop = (async () => {
      for await (const change of hot) seen.push(change.value);
    })();
    const published = changeWhere(hot, (c) => c.version === 1);
    await publish({ client: writer, namespace, document: { server: { port: 2 }, greeting: 'published' }, author: 'a' });
    await published;
    await hot.close();
    await loop; // the iteration ends on close
    expect(seen.map((v) => v.greeting)).toEqual(['published']);
    expect(hot.status).toBe('closed');
    await hot.close(); // idempotent

    const never = watchConfig({ client: await client(), namespace: 'empty/greeter', schema });
    await never.close();
    await expect(never.ready).rejects.toMatchObject({ code: 'CONFIG_CLOSED' });
    expect(() => never.current).toThrow(expect.objectContaining({ code: 'CONFIG_NOT_READY' }));
  });

  it('reports a throwing subscriber and a deleted namespace without losing the last good value', async () => {
    const namespace = 'robust/greeter';
    const writer = await client();
    await publish({ client: writer, namespace, document: { server: { port: 1 }, greeting: 'v1' }, author: 'a' });
    const errors: EtcdPatternsError[] = [];
    const hot = watch(watchConfig({ client: await client(), namespace, schema, onError: (e) => errors.push(e) }));
    await hot.ready;
    hot.subscribe(() => {
      throw new Error('subscriber bug');
    });
    const reached = changeWhere(hot, (c) => c.version === 2);
    const listenerFailed = errorWhere(hot, (e) => e.code === 'CONFIG_LISTENER_FAILED');
    await publish({ client: writer, namespace, document: { server: { port: 2 }, greeting: 'v2' }, author: 'a' });
    await Promise.all([reached, listenerFailed]);

    const deleted = errorWhere(hot, (e) => e.code === 'CONFIG_NOT_FOUND');
    await writer.delete().prefix('/config/robust/greeter/').exec();
    await deleted;
    expect(hot.current.greeting).toBe('v2');
    expect(hot.status).toBe('live');
  });

  it('publishes each version exactly once while the etcd leader is killed and restarted', async () => {
    const namespace = 'failover/greeter';
    const writer = await client();
    const hot = watch(watchConfig({ client: await client(), namespace, schema, onError: () => undefined }));
    const applied: number[] = [];
    hot.subscribe((c) => applied.push(c.version));
    let killed: Awaited<ReturnType<EtcdCluster['waitForLeader']>> | undefined;
    for (let v = 1; v <= 30; v++) {
      if (v === 10) {
        killed = await cluster.waitForLeader();
        await killed.kill();
      }
      if (v === 20) await killed!.start();
      const result = await publish({ client: writer, namespace, document: { server: { port: v }, greeting: `v${v}` }, author: 'a', baseVersion: v - 1, retryTimeoutMs: 30_000 });
      expect(result.version).toBe(v);
    }
    await cluster.waitForLeader();
    const versions = await listVersions({ client: writer, namespace });
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));
    for (const v of [1, 10, 15, 30]) expect((await showVersion({ client: writer, namespace, version: v })).document).toEqual({ server: { port: v }, greeting: `v${v}` });
    if (hot.version !== 30) await changeWhere(hot, (c) => c.version === 30);
    expect([...applied].sort((a, b) => a - b)).toEqual(applied);
    expect(hot.current.greeting).toBe('v30');
  });
});
