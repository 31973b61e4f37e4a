import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import type { Etcd3 } from 'etcd3';
import { createEtcdClient } from '../create-client';
import { prefixRangeEnd, toKeyValue } from '../key-value';
import { rangeKeyValues } from './decoded-range';

jest.setTimeout(120_000);

describe('rangeKeyValues (3-member cluster)', () => {
  let cluster: EtcdCluster;
  let client: Etcd3;
  const prefix = Buffer.from('/decoded/');
  const request = { key: prefix, range_end: prefixRangeEnd(prefix) };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    client = await createEtcdClient({ endpoints: cluster.endpoints });
    const lease = client.lease(60, { autoKeepAlive: false });
    await lease.grant();
    for (let i = 0; i < 50; i++) await lease.put(`/decoded/k${String(i).padStart(2, '0')}`).value(`v${i}`).exec();
    await client.put('/decoded/plain').value(Buffer.from([0, 255, 1])).exec();
    await client.put('/decoded/plain').value(Buffer.from([0, 255, 2])).exec();
    await client.put('/decoded0/outside').value('x').exec();
  });
  afterAll(async () => {
    client?.close();
    await cluster?.close();
  });

  it('reads what client.kv.range reads, in the library types', async () => {
    const ours = await rangeKeyValues(client, request);
    const theirs = await client.kv.range(request);
    expect(ours.kvs).toEqual(theirs.kvs.map(toKeyValue));
    expect(ours.kvs).toHaveLength(51);
    expect(ours.kvs.at(-1)).toMatchObject({ key: '/decoded/plain', value: Buffer.from([0, 255, 2]), version: 2, lease: '0' });
    expect(ours.kvs[0]!.lease).toMatch(/^[1-9][0-9]*$/);
    expect(ours.revision).toBe(Number(theirs.header.revision));
    expect(ours.count).toBe(51);
    expect(ours.more).toBe(false);
  });

  it('passes limit on and says there is more', async () => {
    const page = await rangeKeyValues(client, { ...request, limit: 10 });
    expect(page.kvs.map((kv) => kv.key)).toEqual(Array.from({ length: 10 }, (_, i) => `/decoded/k${String(i).padStart(2, '0')}`));
    expect(page.more).toBe(true);
    expect(page.count).toBe(51);
  });

  it('is retried on another member while one is down, as a read', async () => {
    const [first] = cluster.members;
    await first!.stop();
    try {
      for (let i = 0; i < 10; i++) expect((await rangeKeyValues(client, request)).kvs).toHaveLength(51);
    } finally {
      await first!.start();
    }
  });

  it('fails with the error client.kv.range gives', async () => {
    const theirs = await client.kv.range({ key: Buffer.alloc(0) }).catch((error: unknown) => error);
    const ours = await rangeKeyValues(client, { key: Buffer.alloc(0) }).catch((error: unknown) => error);
    expect(theirs).toBeInstanceOf(Error);
    expect(ours).toBeInstanceOf((theirs as Error).constructor);
    expect((ours as Error).message).toBe((theirs as Error).message);
  });
});
