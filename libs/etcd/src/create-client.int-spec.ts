import { EtcdCluster, etcdctl, freePort } from '@etcd-patterns/etcd-cluster';
import { createEtcdClient } from './create-client';
import { EtcdPatternsError } from './errors';

jest.setTimeout(60_000);

describe('createEtcdClient against real etcd', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('connects, and reads and writes', async () => {
    const client = await createEtcdClient({ endpoints: cluster.endpoints });
    try {
      await client.put('/test/client/k').value('v').exec();
      expect(await client.get('/test/client/k').string()).toBe('v');
    } finally {
      client.close();
    }
  });

  it('reads ETCD_ENDPOINTS when no endpoints are given', async () => {
    const saved = process.env['ETCD_ENDPOINTS'];
    process.env['ETCD_ENDPOINTS'] = cluster.endpoints.join(',');
    try {
      const client = await createEtcdClient();
      client.close();
    } finally {
      if (saved === undefined) delete process.env['ETCD_ENDPOINTS'];
      else process.env['ETCD_ENDPOINTS'] = saved;
    }
  });

  it('fails fast with ETCD_UNAVAILABLE when nothing listens', async () => {
    const port = await freePort();
    const error = await createEtcdClient({ endpoints: [`127.0.0.1:${port}`], connectTimeoutMs: 1500 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EtcdPatternsError);
    expect(error).toMatchObject({ code: 'ETCD_UNAVAILABLE', retryable: true });
  });

  it('rejects malformed endpoints before dialing', async () => {
    await expect(createEtcdClient({ endpoints: ['not an endpoint'] })).rejects.toMatchObject({
      code: 'ETCD_INVALID_CONFIG',
      retryable: false,
    });
  });

  it('reports wrong credentials as ETCD_AUTH_FAILED', async () => {
    const auth = await EtcdCluster.start({ size: 1 });
    try {
      const eps = auth.endpoints;
      expect((await etcdctl(eps, ['user', 'add', 'root:rootpw'])).code).toBe(0);
      expect((await etcdctl(eps, ['auth', 'enable'])).code).toBe(0);
      await expect(
        createEtcdClient({ endpoints: eps, username: 'root', password: 'wrong' }),
      ).rejects.toMatchObject({ code: 'ETCD_AUTH_FAILED', retryable: false });
      const ok = await createEtcdClient({ endpoints: eps, username: 'root', password: 'rootpw' });
      ok.close();
    } finally {
      await auth.close();
    }
  });
});
