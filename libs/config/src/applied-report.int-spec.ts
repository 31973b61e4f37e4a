import { createEtcdClient, Session, SessionKeeper, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { z } from 'zod';
import { listApplied, reportApplied, type AppliedEntry } from './applied-report';
import { publish } from './publish';
import { rollback } from './history';
import { watchConfig } from './watch-config';

jest.setTimeout(60_000);

const schema = z.object({ template: z.string().regex(/\{name\}/), maxNameLength: z.number().int().default(100) });

async function until(read: () => Promise<AppliedEntry[]>, ok: (entries: AppliedEntry[]) => boolean): Promise<AppliedEntry[]> {
  for (;;) {
    const entries = await read();
    if (ok(entries)) return entries;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('applied-config reports (real etcd)', () => {
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

  it('shows what each replica applied and what it refused, and vanishes with the lease', async () => {
    const namespace = 'applied/greeter';
    await publish({ client, namespace, document: { template: 'Hi {name}' }, author: 't' });
    const keeper = SessionKeeper.start(client, { ttlSeconds: 5 });
    const plain = await Session.create(client, { ttlSeconds: 5 });
    const hots = [0, 1].map(() => watchConfig({ client, namespace, schema }));
    const reporters = [
      reportApplied({ client, hot: hots[0]!, namespace, instance: 'g-1', session: keeper }),
      reportApplied({ client, hot: hots[1]!, namespace, instance: 'g/2', session: plain }),
    ];
    const read = (): Promise<AppliedEntry[]> => listApplied({ client, namespace });
    try {
      let entries = await until(read, (e) => e.length === 2);
      expect(entries).toMatchObject([
        { valid: true, instance: 'g-1', version: 1, source: 'publish' },
        { valid: true, instance: 'g/2', version: 1, source: 'publish' },
      ]);

      // A version the replicas refuse (published past the door, as etcdctl or an old epctl could).
      await publish({ client, namespace, document: { template: 'no placeholder' }, author: 't' });
      entries = await until(read, (e) => e.every((r) => r.valid && r.rejected !== undefined));
      for (const r of entries) {
        expect(r).toMatchObject({ valid: true, version: 1, rejected: { version: 2, reason: expect.stringContaining('template') } });
      }

      // A rollback is applied and reported as such; the refusal is cleared.
      await rollback({ client, namespace, version: 1, author: 't' });
      entries = await until(read, (e) => e.every((r) => r.valid && r.version === 3));
      for (const r of entries) expect(r).toMatchObject({ valid: true, version: 3, source: 'rollback' });
      expect(entries.some((r) => r.valid && r.rejected)).toBe(false);

      // Malformed entries are listed as such.
      await client.put('/config/_applied/applied/greeter/by-hand').value('{"instance": 1}').exec();
      entries = await read();
      expect(entries.find((e) => e.instance === 'by-hand')).toMatchObject({ valid: false, error: expect.stringContaining('instance') });
      await client.delete().key('/config/_applied/applied/greeter/by-hand').exec();

      // The report lives on the lease: a revoked session takes it along.
      await plain.close();
      entries = await until(read, (e) => e.length === 1);
      expect(entries[0]).toMatchObject({ instance: 'g-1' });
    } finally {
      for (const r of reporters) await r.close();
      for (const h of hots) await h.close();
      await keeper.close();
      await plain.close();
    }
    expect(await read()).toEqual([]);
  });
});
