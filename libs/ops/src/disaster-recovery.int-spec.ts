import { createEtcdClient, Session, SessionKeeper, type Etcd3 } from '@etcd-patterns/etcd';
import { discover, ServiceRegistry } from '@etcd-patterns/discovery';
import { getConfig, listVersions, publish, rollback, watchConfig } from '@etcd-patterns/config';
import { Election, Mutex } from '@etcd-patterns/lock';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { restoreSnapshot } from './restore';
import { saveSnapshot } from './snapshot';

jest.setTimeout(180_000);

async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

type Row = { key: string; value: string; create: string; mod: string; version: string; lease: string };
async function dump(client: Etcd3): Promise<{ revision: number; rows: Row[] }> {
  const res = await client.kv.range({ key: Buffer.from('\0'), range_end: Buffer.from('\0') });
  return {
    revision: Number(res.header.revision),
    rows: res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), create: kv.create_revision, mod: kv.mod_revision, version: kv.version, lease: kv.lease })),
  };
}

describe('disaster-recovery drill: snapshot, lose every member and its data, restore on the same URLs', () => {
  let cluster: EtcdCluster;
  let dir: string;
  const clients: Etcd3[] = [];
  const closers: Array<() => Promise<unknown> | void> = [];
  const connect = async (): Promise<Etcd3> => {
    const c = await createEtcdClient({ endpoints: cluster.endpoints });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3 });
    dir = mkdtempSync(join(tmpdir(), 'ops-dr-'));
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    for (const c of clients) c.close();
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings back every key and revision; apps reconnect and re-register without a restart; config history and rollback work', async () => {
    const app = await connect();
    // A running "app": a registration on a self-renewing lease, a hot config, a discovery watcher.
    const keeper = SessionKeeper.start(app, { ttlSeconds: 5 });
    const registry = new ServiceRegistry({ session: keeper });
    closers.push(() => keeper.close(), () => registry.close());
    const registration = await registry.register({ service: 'greeter', address: '127.0.0.1:50051', metadata: { version: '1.0.0' } });
    const namespace = 'prod/greeter';
    for (const greeting of ['hello', 'hi', 'hey']) {
      const live = await getConfig({ client: app, namespace }).catch(() => undefined);
      await publish({ client: app, namespace, document: { greeting }, baseVersion: live?.version ?? 0, author: 'drill', message: greeting });
    }
    const hot = watchConfig({ client: app, namespace, schema: z.object({ greeting: z.string() }) });
    closers.push(() => hot.close());
    await hot.ready;
    const watcher = discover({ client: app, service: 'greeter' });
    closers.push(() => watcher.close());
    await eventually(() => watcher.instances.length === 1, 'discovery to see the instance');
    // A held lock and an elected leader (long leases: the outage below is shorter).
    const holder = await Session.create(await connect(), { ttlSeconds: 60 });
    closers.push(() => holder.close());
    const lock = await new Mutex(holder, '/drill/lock').lock();
    const leadership = await new Election(holder, '/drill/election').campaign('leader-1');
    for (let i = 0; i < 50; i++) await app.put(`/drill/plain/${i}`).value(`v${i}`);

    const admin = await connect();
    const before = await dump(admin);
    const snapshotFile = join(dir, 'drill.db');
    const saved = await saveSnapshot(admin, snapshotFile, { verify: 'full' });
    expect(saved.status?.revision).toBe(before.revision);

    // Every member and all of its data is lost.
    await Promise.all(cluster.members.map((m) => m.kill()));
    for (const m of cluster.members) rmSync(m.spec.dataDir, { recursive: true, force: true });

    // A new cluster from the snapshot, on the same client and peer URLs.
    const token = `restored-${Date.now()}`;
    for (const m of cluster.members) {
      const restored = await restoreSnapshot({ file: snapshotFile, dataDir: m.spec.dataDir, name: m.name, initialCluster: cluster.initialCluster, initialAdvertisePeerUrls: [m.spec.peerUrl], initialClusterToken: token });
      expect(restored.snapshot.revision).toBe(before.revision);
    }
    await Promise.all(cluster.members.map((m) => m.start()));
    await cluster.waitForLeader();

    const fresh = await connect();
    const after = await dump(fresh);
    expect(after.revision).toBeGreaterThanOrEqual(before.revision);
    // Every key with its create and mod revision and version is back.
    const byKey = new Map(after.rows.map((r) => [r.key, r]));
    for (const row of before.rows) expect(byKey.get(row.key)).toMatchObject({ value: row.value, create: row.create, mod: row.mod, version: row.version });
    await expect(new Mutex(await Session.create(fresh, { ttlSeconds: 5 }), '/drill/lock').tryLock()).resolves.toBeUndefined();
    expect(await new Election(holder, '/drill/election').leader()).toMatchObject({ value: 'leader-1' });

    // The running app never restarted: its registration is (again) live and discoverable.
    await eventually(async () => registration.state === 'registered' && (await fresh.get('/services/greeter/127.0.0.1:50051').exists()), 're-registration');
    await eventually(() => watcher.instances.length === 1, 'discovery after restore');
    // History survived; publishing and rollback work, and the hot config follows.
    const versions = await listVersions({ client: fresh, namespace });
    expect(versions.map((v) => v.version)).toEqual(expect.arrayContaining([1, 2, 3]));
    await publish({ client: fresh, namespace, document: { greeting: 'restored' }, baseVersion: 3, author: 'drill' });
    await eventually(() => hot.current.greeting === 'restored', 'hot config to see version 4');
    await rollback({ client: fresh, namespace, version: 1, baseVersion: 4, author: 'drill' });
    await eventually(() => hot.current.greeting === 'hello', 'hot config to see the rollback');
    await lock.unlock().catch(() => undefined);
    await leadership.resign().catch(() => undefined);
  });
});
