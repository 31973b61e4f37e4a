import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { EtcdPermissionDeniedError } from 'etcd3';
import { z } from 'zod';
import { setupConfigAccess } from './access';
import { getConfig } from './get-config';
import { listVersions } from './history';
import { publish } from './publish';
import { storeZodSchema } from './schema-store';
import { watchConfig } from './watch-config';

jest.setTimeout(120_000);

describe('config access control (etcd auth)', () => {
  let cluster: EtcdCluster;
  const clients: Etcd3[] = [];
  const client = async (username?: string, password?: string): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints: cluster.endpoints, username, password });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
    const admin = await createEtcdClient({ endpoints: cluster.endpoints });
    try {
      const users = await setupConfigAccess({
        client: admin,
        rootPassword: 'rootpw',
        apps: [
          { env: 'prod', app: 'greeter', password: 'greeter-pw' },
          { env: 'prod', app: 'billing', password: 'billing-pw', registryPrefix: '/registry/billing/' },
        ],
      });
      expect(users).toEqual([
        { user: 'greeter@prod', role: 'greeter@prod', read: ['/config/prod/greeter/'], readWrite: ['/services/greeter/', '/config/_applied/prod/greeter/', '/config/_schema/prod/greeter'] },
        { user: 'billing@prod', role: 'billing@prod', read: ['/config/prod/billing/'], readWrite: ['/registry/billing/', '/config/_applied/prod/billing/', '/config/_schema/prod/billing'] },
      ]);
    } finally {
      admin.close();
    }
  });
  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await cluster?.close();
  });

  it('lets an app read only its own config and write only its own registry prefix', async () => {
    const root = await client('root', 'rootpw');
    await publish({ client: root, namespace: 'prod/greeter', document: { greeting: 'hello' }, author: 'ops' });
    await publish({ client: root, namespace: 'prod/billing', document: { secret: 'card-key' }, author: 'ops' });

    const greeter = await client('greeter@prod', 'greeter-pw');
    const hot = watchConfig({ client: greeter, namespace: 'prod/greeter', schema: z.object({ greeting: z.string() }) });
    try {
      expect(await hot.ready).toEqual({ greeting: 'hello' });
    } finally {
      await hot.close();
    }
    await greeter.put('/services/greeter/10.0.0.1:50051').value('{}').exec();

    await expect(getConfig({ client: greeter, namespace: 'prod/billing' })).rejects.toMatchObject({
      code: 'ETCD_PERMISSION_DENIED',
      message: expect.stringContaining('prod/billing'),
    });
    await expect(listVersions({ client: greeter, namespace: 'prod/greeter' })).rejects.toMatchObject({ code: 'ETCD_PERMISSION_DENIED' });
    await expect(publish({ client: greeter, namespace: 'prod/greeter', document: { greeting: 'hacked' }, author: 'greeter' })).rejects.toMatchObject({ code: 'ETCD_PERMISSION_DENIED' });
    await expect(greeter.put('/services/billing/x').value('{}').exec()).rejects.toBeInstanceOf(EtcdPermissionDeniedError);
    await expect(greeter.put('/registry/billing/x').value('{}').exec()).rejects.toBeInstanceOf(EtcdPermissionDeniedError);
    // Its own stored schema and applied reports, nobody else's.
    expect(await storeZodSchema({ client: greeter, namespace: 'prod/greeter', schema: z.object({ greeting: z.string() }) })).toBe(true);
    await expect(storeZodSchema({ client: greeter, namespace: 'prod/billing', schema: z.object({}) })).rejects.toMatchObject({ code: 'ETCD_PERMISSION_DENIED' });
    await expect(greeter.put('/config/_schema/prod/greeterx').value('{}').exec()).rejects.toBeInstanceOf(EtcdPermissionDeniedError);
    await greeter.put('/config/_applied/prod/greeter/g1').value('{}').exec();
    await expect(greeter.put('/config/_applied/prod/billing/g1').value('{}').exec()).rejects.toBeInstanceOf(EtcdPermissionDeniedError);

    const errors: string[] = [];
    const denied = watchConfig({ client: greeter, namespace: 'prod/billing', schema: z.unknown(), onError: (e) => errors.push(e.code) });
    await expect(denied.ready).rejects.toMatchObject({ code: 'ETCD_PERMISSION_DENIED', message: expect.stringContaining('/config/prod/billing/') });
    expect(denied.status).toBe('failed');
    expect(errors).toEqual(['ETCD_PERMISSION_DENIED']);
    await expect((async () => {
      for await (const _ of denied) {
        // never reached
      }
    })()).rejects.toMatchObject({ code: 'ETCD_PERMISSION_DENIED' });
    await denied.close();
  });

  it('reports a wrong password as ETCD_AUTH_FAILED', async () => {
    await expect(createEtcdClient({ endpoints: cluster.endpoints, username: 'greeter@prod', password: 'wrong' })).rejects.toMatchObject({ code: 'ETCD_AUTH_FAILED' });
  });

  it('is idempotent and resets passwords', async () => {
    const root = await client('root', 'rootpw');
    await setupConfigAccess({ client: root, apps: [{ env: 'prod', app: 'greeter', password: 'new-pw' }] });
    await expect(createEtcdClient({ endpoints: cluster.endpoints, username: 'greeter@prod', password: 'greeter-pw' })).rejects.toMatchObject({ code: 'ETCD_AUTH_FAILED' });
    const greeter = await client('greeter@prod', 'new-pw');
    expect((await getConfig({ client: greeter, namespace: 'prod/greeter' })).document).toEqual({ greeting: 'hello' });
  });
});
