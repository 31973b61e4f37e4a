import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { ConfigTooLargeError } from './errors';
import { listVersions } from './history';
import { publish } from './publish';
import { DEFAULT_MAX_REQUEST_BYTES, REQUEST_OVERHEAD_BYTES } from './internal/request-size';

jest.setTimeout(120_000);

const LIMIT = DEFAULT_MAX_REQUEST_BYTES - REQUEST_OVERHEAD_BYTES;

/** A document of one setting holding a string of `bytes` characters. */
function documentOf(bytes: number): Record<string, unknown> {
  return { blob: 'x'.repeat(bytes), name: 'sized' };
}

/** Counts the transactions a client sends (publish sends nothing else), writes apart. */
function countTxns(client: Etcd3): { all: number; writes: number } {
  const counts = { all: 0, writes: 0 };
  const kv = client.kv as unknown as { txn: (req: { success?: Array<{ request_put?: unknown }> }) => Promise<unknown> };
  const txn = kv.txn.bind(kv);
  kv.txn = (req) => {
    counts.all++;
    if ((req.success ?? []).some((op) => op.request_put)) counts.writes++;
    return txn(req);
  };
  return counts;
}

/** Runs `between` once, after the client's first range answer and before it is returned. */
function afterFirstRange(client: Etcd3, between: () => Promise<void>): { calls: number } {
  const counts = { calls: 0 };
  const kv = client.kv as unknown as { range: (req: unknown) => Promise<unknown> };
  const range = kv.range.bind(kv);
  kv.range = async (req) => {
    counts.calls++;
    const res = await range(req);
    if (counts.calls === 1) await between();
    return res;
  };
  return counts;
}

async function revisionOf(client: Etcd3): Promise<number> {
  const res = await client.kv.range({ key: Buffer.from('/config/') });
  return Number(res.header.revision);
}

describe('publish at and past etcd request size limit (real etcd)', () => {
  describe("etcd's default --max-request-bytes (1.5 MiB)", () => {
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

    it('publishes a document whose first transaction is just under the limit', async () => {
      // The first publish writes the setting and the history record: about twice the document.
      const result = await publish({ client, namespace: 'size/under', document: documentOf(Math.floor(LIMIT / 2) - 2048), author: 'test' });
      expect(result.version).toBe(1);
      expect((await listVersions({ client, namespace: 'size/under' })).map((v) => v.version)).toEqual([1]);
    });

    it('refuses a document too large on its own before sending any request, and writes nothing', async () => {
      const namespace = 'size/over';
      await publish({ client, namespace, document: documentOf(1000), author: 'test' });
      const before = await revisionOf(client);
      const counts = countTxns(client);
      const refused = publish({ client, namespace, document: documentOf(LIMIT + 1), author: 'test' });
      await expect(refused).rejects.toBeInstanceOf(ConfigTooLargeError);
      await expect(refused).rejects.toMatchObject({ code: 'CONFIG_TOO_LARGE', refusedBy: 'client', limitBytes: LIMIT, retryable: false });
      expect(counts).toEqual({ all: 0, writes: 0 });
      expect(await revisionOf(client)).toBe(before);
      expect((await listVersions({ client, namespace })).map((v) => v.version)).toEqual([1]);
    });

    it('refuses a first publish of twice-the-document past the limit without writing, then accepts it as a change', async () => {
      // 1 MiB: fits once (the history record) but not twice (setting + history) in one transaction.
      const namespace = 'size/double';
      const counts = countTxns(client);
      const before = await revisionOf(client);
      const big = { a: 'a'.repeat(256 * 1024), b: 'b'.repeat(256 * 1024), c: 'c'.repeat(256 * 1024), d: 'd'.repeat(256 * 1024) };
      const refused = publish({ client, namespace, document: big, author: 'test' });
      await expect(refused).rejects.toMatchObject({ code: 'CONFIG_TOO_LARGE', refusedBy: 'client' });
      expect(counts.writes).toBe(0); // the state was read; no write was sent
      expect(await revisionOf(client)).toBe(before);
      expect(await listVersions({ client, namespace })).toEqual([]);
      expect((await client.getAll().prefix(`/config/size/double/`).keys()).length).toBe(0);

      // Built up in steps, each transaction fits; later changes to one setting send ~1 MiB.
      await publish({ client, namespace, document: { a: big.a, b: big.b }, author: 'test' });
      await publish({ client, namespace, document: { a: big.a, b: big.b, c: big.c }, author: 'test' });
      const full = await publish({ client, namespace, document: big, author: 'test' });
      const changed = await publish({ client, namespace, document: { ...big, e: 1 }, author: 'test', baseVersion: full.version });
      expect(changed.version).toBe(4);
    });

    it('lists a history larger than gRPC 4 MiB response limit (read in pages)', async () => {
      const namespace = 'size/history';
      const blob = 'h'.repeat(600 * 1024);
      for (let v = 1; v <= 10; v++) await publish({ client, namespace, document: { blob, v }, author: 'test' });
      // 10 records of 600 KiB: 6 MiB in one range would be refused by the client (RESOURCE_EXHAUSTED).
      const versions = await listVersions({ client, namespace });
      expect(versions.map((v) => v.version)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
      expect((await listVersions({ client, namespace, limit: 3 })).map((v) => v.version)).toEqual([10, 9, 8]);
    });

    it('lists many small versions across page boundaries, newest first, with and without a limit', async () => {
      const namespace = 'size/many';
      for (let v = 1; v <= 40; v++) await publish({ client, namespace, document: { v }, author: 'test' });
      const all = Array.from({ length: 40 }, (_, i) => 40 - i);
      expect((await listVersions({ client, namespace })).map((v) => v.version)).toEqual(all);
      expect((await listVersions({ client, namespace, limit: 20 })).map((v) => v.version)).toEqual(all.slice(0, 20));
      expect((await listVersions({ client, namespace, limit: 100 })).map((v) => v.version)).toEqual(all);
    });

    it('lists one consistent view: a version published between two pages is not half-listed', async () => {
      const namespace = 'size/pinned';
      for (let v = 1; v <= 30; v++) await publish({ client, namespace, document: { v }, author: 'test' });
      const reader = await createEtcdClient({ endpoints: cluster.endpoints });
      try {
        const ranges = afterFirstRange(reader, async () => {
          await publish({ client, namespace, document: { v: 31 }, author: 'test' });
          await publish({ client, namespace, document: { v: 32 }, author: 'test' });
        });
        const versions = (await listVersions({ client: reader, namespace })).map((v) => v.version);
        expect(ranges.calls).toBeGreaterThan(1); // really paged
        expect(versions).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));
        expect((await listVersions({ client, namespace, limit: 2 })).map((v) => v.version)).toEqual([32, 31]);
      } finally {
        reader.close();
      }
    });

    it('lists everything when the first page revision is compacted before the next page', async () => {
      const namespace = 'size/compacted';
      for (let v = 1; v <= 30; v++) await publish({ client, namespace, document: { v }, author: 'test' });
      const reader = await createEtcdClient({ endpoints: cluster.endpoints });
      try {
        const ranges = afterFirstRange(reader, async () => {
          await publish({ client, namespace, document: { v: 31 }, author: 'test' });
          await client.kv.compact({ revision: String(await revisionOf(client)), physical: true });
        });
        const versions = (await listVersions({ client: reader, namespace })).map((v) => v.version);
        expect(ranges.calls).toBeGreaterThan(2); // the pinned page was refused, then read at the latest revision
        expect(versions).toEqual(Array.from({ length: 31 }, (_, i) => 31 - i));
      } finally {
        reader.close();
      }
    });

    it('uses a lower maxRequestBytes when told the server limit', async () => {
      const counts = countTxns(client);
      const refused = publish({ client, namespace: 'size/option', document: documentOf(40_000), author: 'test', maxRequestBytes: 64 * 1024 });
      await expect(refused).rejects.toMatchObject({ code: 'CONFIG_TOO_LARGE', refusedBy: 'client', limitBytes: 64 * 1024 - REQUEST_OVERHEAD_BYTES });
      expect(counts.writes).toBe(0);
    });
  });

  describe('etcd started with a smaller --max-request-bytes (64 KiB)', () => {
    let cluster: EtcdCluster;
    let client: Etcd3;
    beforeAll(async () => {
      cluster = await EtcdCluster.start({ size: 1, extraArgs: ['--max-request-bytes=65536'] });
      client = await createEtcdClient({ endpoints: cluster.endpoints });
    });
    afterAll(async () => {
      client?.close();
      await cluster?.close();
    });

    it.each([
      ['above the limit (etcd refuses it: request is too large)', 40_000],
      ['above the limit plus gRPC overhead (the gRPC server refuses it)', 400_000],
    ])('maps etcd refusing a publish %s to CONFIG_TOO_LARGE, with nothing written', async (_what, bytes) => {
      const namespace = `small/doc${bytes}`;
      const before = await revisionOf(client);
      const refused = publish({ client, namespace, document: documentOf(bytes), author: 'test' });
      await expect(refused).rejects.toBeInstanceOf(ConfigTooLargeError);
      await expect(refused).rejects.toMatchObject({ code: 'CONFIG_TOO_LARGE', refusedBy: 'etcd', cause: { code: 'ETCD_REQUEST_TOO_LARGE' } });
      expect(await revisionOf(client)).toBe(before);
      expect(await listVersions({ client, namespace })).toEqual([]);
      // A small one still publishes.
      await expect(publish({ client, namespace, document: documentOf(1000), author: 'test' })).resolves.toMatchObject({ version: 1 });
    });
  });
});
