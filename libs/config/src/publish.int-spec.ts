import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster, etcdctl } from '@etcd-patterns/etcd-cluster';
import { GRPCUnavailableError } from 'etcd3';
import { z } from 'zod';
import { ConfigConflictError, ConfigValidationError } from './errors';
import { getConfig } from './get-config';
import { diffVersions, listVersions, pruneHistory, rollback, showVersion } from './history';
import { ConfigNamespace } from './namespace';
import { publish } from './publish';
import { setStoredSchema } from './schema-store';

jest.setTimeout(120_000);

describe('publish, history and rollback (real etcd)', () => {
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

  it('writes each setting as a key, meta and history in one revision', async () => {
    const namespace = 'layout/greeter';
    const document = { server: { port: 8080, host: '0.0.0.0' }, features: ['a', 'b'], name: 'greeter' };
    const result = await publish({ client, namespace, document, author: 'alice', message: 'first' });
    expect(result).toMatchObject({ namespace, version: 1, meta: { version: 1, author: 'alice', message: 'first', leaves: 4, baseVersion: 0 } });

    const kvs = await client.getAll().prefix('/config/').exec();
    const keys = kvs.kvs.map((kv) => kv.key.toString()).filter((k) => k.includes('layout'));
    expect(keys.sort()).toEqual([
      '/config/_history/layout/greeter/0000000001',
      '/config/layout/greeter/_meta',
      '/config/layout/greeter/values/features',
      '/config/layout/greeter/values/name',
      '/config/layout/greeter/values/server/host',
      '/config/layout/greeter/values/server/port',
    ]);
    const revisions = new Set(kvs.kvs.filter((kv) => kv.key.toString().includes('layout')).map((kv) => Number(kv.mod_revision)));
    expect([...revisions]).toEqual([result.revision]);
    expect(await client.get('/config/layout/greeter/values/server/port').string()).toBe('8080');
    expect(await client.get('/config/layout/greeter/values/name').string()).toBe('"greeter"');

    const live = await getConfig({ client, namespace });
    expect(live).toMatchObject({ version: 1, revision: result.revision, drift: false, document });

    // Second publish: only changed settings are written, removed ones deleted.
    const second = await publish({ client, namespace, document: { server: { port: 9090, host: '0.0.0.0' }, features: ['a', 'b'] }, author: 'bob', baseVersion: 1 });
    expect(second.version).toBe(2);
    expect(second.diff).toEqual({ added: [], removed: [{ path: 'name', value: 'greeter' }], changed: [{ path: 'server/port', from: 8080, to: 9090 }] });
    const host = await client.get('/config/layout/greeter/values/server/host').exec();
    expect(Number(host.kvs[0]!.mod_revision)).toBe(result.revision);
    expect(await client.get('/config/layout/greeter/values/name').string()).toBeNull();
  });

  it('lists, shows, diffs and rolls back to the exact earlier content', async () => {
    const namespace = 'hist/greeter';
    const v1 = { db: { url: 'postgres://a', pool: 5 }, flags: { beta: false }, list: [1, 2, 3] };
    const v2 = { db: { url: 'postgres://b', pool: 5 }, flags: { beta: true, gamma: 'x' } };
    await publish({ client, namespace, document: v1, author: 'alice', message: 'one' });
    await publish({ client, namespace, document: v2, author: 'bob', message: 'two' });

    const versions = await listVersions({ client, namespace });
    expect(versions.map((v) => [v.version, v.author, v.message])).toEqual([[2, 'bob', 'two'], [1, 'alice', 'one']]);
    expect(versions[0]!.revision).toBeGreaterThan(versions[1]!.revision);
    expect((await listVersions({ client, namespace, limit: 1 })).map((v) => v.version)).toEqual([2]);
    expect((await showVersion({ client, namespace, version: 1 })).document).toEqual(v1);
    expect(await diffVersions({ client, namespace, from: 1, to: 2 })).toEqual({
      added: [{ path: 'flags/gamma', value: 'x' }],
      removed: [{ path: 'list', value: [1, 2, 3] }],
      changed: [
        { path: 'db/url', from: 'postgres://a', to: 'postgres://b' },
        { path: 'flags/beta', from: false, to: true },
      ],
    });

    const back = await rollback({ client, namespace, version: 1, author: 'carol', baseVersion: 2 });
    expect(back).toMatchObject({ version: 3, meta: { rollbackOf: 1, message: 'rollback to version 1', author: 'carol' } });
    const live = await getConfig({ client, namespace });
    expect(live.document).toEqual(v1);
    expect(live.meta?.checksum).toBe((await showVersion({ client, namespace, version: 1 })).checksum);
    expect(JSON.stringify((await showVersion({ client, namespace, version: 3 })).document)).toBe(JSON.stringify(v1));
    await expect(showVersion({ client, namespace, version: 9 })).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND' });
    await expect(getConfig({ client, namespace: 'hist/nothing' })).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND' });
  });

  it('lets exactly one of two concurrent publishers with the same base version win', async () => {
    const namespace = 'race/greeter';
    await publish({ client, namespace, document: { n: 0 }, author: 'setup' });
    const other = await createEtcdClient({ endpoints: cluster.endpoints });
    try {
      for (let round = 0; round < 10; round++) {
        const base = round + 1;
        const results = await Promise.allSettled([
          publish({ client, namespace, document: { n: base, by: 'a' }, author: 'a', baseVersion: base }),
          publish({ client: other, namespace, document: { n: base, by: 'b' }, author: 'b', baseVersion: base }),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]!.reason).toBeInstanceOf(ConfigConflictError);
        expect(lost[0]!.reason).toMatchObject({ code: 'CONFIG_CONFLICT', baseVersion: base, currentVersion: base + 1 });
      }
    } finally {
      other.close();
    }
    const versions = await listVersions({ client, namespace });
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 11 }, (_, i) => 11 - i));
  });

  it('without a base version, concurrent publishers all land, each as its own version', async () => {
    const namespace = 'race2/greeter';
    const clients = await Promise.all(Array.from({ length: 4 }, () => createEtcdClient({ endpoints: cluster.endpoints })));
    try {
      const results = await Promise.all(clients.map((c, i) => publish({ client: c, namespace, document: { who: i }, author: `p${i}` })));
      expect(results.map((r) => r.version).sort()).toEqual([1, 2, 3, 4]);
    } finally {
      for (const c of clients) c.close();
    }
    const live = await getConfig({ client, namespace });
    expect(live.version).toBe(4);
    expect(live.drift).toBe(false);
  });

  it('keeps every version readable after etcdctl compact', async () => {
    const namespace = 'compact/greeter';
    for (let i = 1; i <= 5; i++) await publish({ client, namespace, document: { step: i, nested: { list: [i] } }, author: 'alice', message: `v${i}` });
    const before = await listVersions({ client, namespace });
    const head = await client.get('/nothing').exec();
    const compacted = await etcdctl(cluster.endpoints, ['compact', head.header.revision, '--physical']);
    expect(compacted.code).toBe(0);
    // The old revisions are gone ...
    const old = await etcdctl(cluster.endpoints, ['get', '/config/compact/greeter/values/step', `--rev=${before[4]!.revision}`]);
    expect(old.code).not.toBe(0);
    // ... but every version is intact.
    expect(await listVersions({ client, namespace })).toEqual(before);
    for (let i = 1; i <= 5; i++) expect((await showVersion({ client, namespace, version: i })).document).toEqual({ step: i, nested: { list: [i] } });
    await rollback({ client, namespace, version: 2, author: 'alice' });
    expect((await getConfig({ client, namespace })).document).toEqual({ step: 2, nested: { list: [2] } });

    // Retention: old records can be pruned; numbering continues.
    expect(await pruneHistory({ client, namespace, keepVersions: 2 })).toBe(4);
    expect((await listVersions({ client, namespace })).map((v) => v.version)).toEqual([6, 5]);
    expect(await pruneHistory({ client, namespace, keepVersions: 2 })).toBe(0);
    expect((await publish({ client, namespace, document: { step: 7 }, author: 'alice' })).version).toBe(7);
  });

  it('refuses invalid documents before writing anything', async () => {
    const namespace = 'schema/greeter';
    const schema = z.object({ port: z.number().int().min(1).max(65535), name: z.string() });
    await publish({ client, namespace, document: { port: 80, name: 'x' }, author: 'a', schema });
    const error = await publish({ client, namespace, document: { port: 0, name: 1 }, author: 'a', schema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as ConfigValidationError).issues.map((i) => i.path).sort()).toEqual(['name', 'port']);
    await expect(publish({ client, namespace, document: [1, 2], author: 'a' })).rejects.toMatchObject({ code: 'CONFIG_INVALID_DOCUMENT' });

    // A stored JSON Schema is enforced for every publisher, also without a zod schema.
    await setStoredSchema({ client, namespace, schema: { type: 'object', properties: { port: { type: 'integer', minimum: 1 } }, required: ['port'] } });
    await expect(publish({ client, namespace, document: { name: 'no port' }, author: 'a' })).rejects.toMatchObject({ code: 'CONFIG_VALIDATION_FAILED' });
    await expect(rollback({ client, namespace, version: 1, author: 'a' })).resolves.toMatchObject({ version: 2 });
    expect((await getConfig({ client, namespace })).version).toBe(2);
  });

  it('recognises its own publish when a retry follows an ambiguous failure', async () => {
    // A publish whose transaction was applied but whose answer was lost must not publish twice.
    // Fault injection around real etcd: the first write really commits, then reports UNAVAILABLE.
    const namespace = 'ambiguous/greeter';
    const flaky = await createEtcdClient({ endpoints: cluster.endpoints });
    try {
      const kv = flaky.kv as unknown as { txn: (req: unknown) => Promise<unknown> };
      const realTxn = kv.txn.bind(kv);
      let failed = 0;
      kv.txn = async (req: unknown) => {
        const res = await realTxn(req);
        const isWrite = ((req as { success?: Array<{ request_put?: unknown }> }).success ?? []).some((op) => op.request_put);
        if (isWrite && failed++ === 0) {
          throw new GRPCUnavailableError('connection lost after the write (simulated)');
        }
        return res;
      };
      const result = await publish({ client: flaky, namespace, document: { a: 1 }, author: 'a', baseVersion: 0 });
      expect(failed).toBe(1); // one write sent; the retry found it applied and did not write again
      expect(result.version).toBe(1);
    } finally {
      flaky.close();
    }
    expect((await listVersions({ client, namespace })).map((v) => v.version)).toEqual([1]);
  });

  it('names the limit when a publish changes more settings than etcd allows in one transaction', async () => {
    const namespace = 'big/greeter';
    const document = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]));
    await expect(publish({ client, namespace, document, author: 'a' })).rejects.toMatchObject({ code: 'ETCD_INVALID_ARGUMENT', message: expect.stringContaining('--max-txn-ops') });
    expect(ConfigNamespace.parse(namespace).livePrefix).toBe('/config/big/greeter/');
    await expect(getConfig({ client, namespace })).rejects.toMatchObject({ code: 'CONFIG_NOT_FOUND' });
  });
});
