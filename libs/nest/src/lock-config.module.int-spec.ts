import 'reflect-metadata';
import { publish, type HotConfig } from '@etcd-patterns/config';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { ConfigCenterModule, HOT_CONFIG } from './config-center.module';
import { EtcdModule } from './etcd.module';
import { LockModule, LockService } from './lock.module';
import { ETCD_CLIENT } from './tokens';

jest.setTimeout(60_000);

describe('Nest LockModule and ConfigCenterModule (real etcd)', () => {
  let cluster: EtcdCluster;
  const apps: INestApplication[] = [];
  const app = async (imports: unknown[]): Promise<INestApplication> => {
    const moduleRef = await Test.createTestingModule({
      imports: [EtcdModule.forRoot({ client: { endpoints: cluster.endpoints }, sessionTtlSeconds: 5 }), ...(imports as [])],
    }).compile();
    const instance = moduleRef.createNestApplication();
    await instance.init();
    apps.push(instance);
    return instance;
  };

  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1 });
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await cluster?.close();
  });

  it('runs a leader task on exactly one app and hands it over when that app shuts down', async () => {
    const a = await app([LockModule.forRoot({})]);
    const b = await app([LockModule.forRoot({})]);
    const runs: string[] = [];
    const started = (name: string): Promise<void> =>
      new Promise((resolve) =>
        (name === 'a' ? a : b).get(LockService).runAsLeader('nest-reaper', name, async (_leadership, signal) => {
          runs.push(name);
          resolve();
          await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
        }),
      );
    const aStarted = started('a');
    await aStarted;
    const bStarted = started('b');
    expect(runs).toEqual(['a']);
    expect(a.get(LockService).isLeader('nest-reaper')).toBe(true);
    expect(b.get(LockService).isLeader('nest-reaper')).toBe(false);
    await a.close();
    apps.splice(apps.indexOf(a), 1);
    await bStarted;
    expect(runs).toEqual(['a', 'b']);

    const result = await b.get(LockService).withLock('nest-lock', async (handle) => handle.token);
    expect(result).toBeGreaterThan(0);
  });

  it('a leader-only task and isLeader() see the loss on the first read after a stalled event loop', async () => {
    const a = await app([LockModule.forRoot({ sessionTtlSeconds: 2 })]);
    const service = a.get(LockService);
    const seen: { signal?: boolean; isLeader?: boolean } = {};
    let leading!: () => void;
    const isLeading = new Promise<void>((r) => (leading = r));
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    service.runAsLeader('nest-stall', 'a', async (_leadership, signal) => {
      leading();
      await new Promise((r) => setTimeout(r, 50));
      const end = performance.now() + 4500; // a synchronous job, longer than the 2 s TTL
      while (performance.now() < end) {
        // spin
      }
      seen.signal = signal.aborted;
      seen.isLeader = service.isLeader('nest-stall');
      finished();
    });
    await isLeading;
    await done;
    expect(seen).toEqual({ signal: true, isLeader: false });
  });

  it('injects a validated hot config that follows publishes', async () => {
    const schema = z.object({ greeting: z.string().min(1) });
    const configApp = await app([ConfigCenterModule.forRoot({ namespace: 'test/nest', schema, defaultValue: { greeting: 'hello' } })]);
    const hot = configApp.get<HotConfig<z.infer<typeof schema>>>(HOT_CONFIG);
    expect(hot.current).toEqual({ greeting: 'hello' });
    const changed = new Promise<void>((resolve) => hot.subscribe((change) => change.value.greeting === 'hi' && resolve()));
    await publish({ client: configApp.get(ETCD_CLIENT), namespace: 'test/nest', document: { greeting: 'hi' }, author: 'test', message: 'nest' });
    await changed;
    expect(hot.current).toEqual({ greeting: 'hi' });
  });
});
