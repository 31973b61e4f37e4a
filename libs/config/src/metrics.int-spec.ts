// The library's OpenTelemetry instruments, counted through a real in-process MeterProvider
// against a real 1-member etcd cluster.
import type { Attributes } from '@opentelemetry/api';
import { MetricsProbe } from '@etcd-patterns/metrics-probe';
import { createEtcdClient, type EtcdPatternsError, type Etcd3 } from '@etcd-patterns/etcd';
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { z } from 'zod';
import { METER_NAME, METER_VERSION } from './internal/metrics';
import { publish } from './publish';
import { watchConfig, type ConfigChange, type HotConfig } from './watch-config';

jest.setTimeout(60_000);

const schema = z.object({ greeting: z.string().min(1) });

function nextChange<T>(hot: HotConfig<T>): Promise<ConfigChange<T>> {
  return new Promise((resolve) => {
    const off = hot.subscribe((change) => {
      off();
      resolve(change);
    });
  });
}

function nextError<T>(hot: HotConfig<T>): Promise<EtcdPatternsError> {
  return new Promise((resolve) => {
    const off = hot.onError((error) => {
      off();
      resolve(error);
    });
  });
}

describe('config metrics (1-member cluster, in-process MeterProvider)', () => {
  const probe = new MetricsProbe(METER_NAME, METER_VERSION);
  let cluster: EtcdCluster;
  let etcd: Etcd3;
  const hots: Array<HotConfig<unknown>> = [];

  const total = (name: string, match: Attributes): Promise<number> => probe.total(name, match);
  const gauge = (namespace: string): Promise<number | undefined> => probe.value('etcd_patterns.config.version', { 'config.namespace': namespace });

  beforeAll(async () => {
    probe.install();
    cluster = await EtcdCluster.start({ size: 1 });
    etcd = await createEtcdClient({ endpoints: cluster.endpoints });
  });
  afterAll(async () => {
    await Promise.all(hots.map((h) => h.close()));
    etcd?.close();
    await cluster?.close();
    await probe.uninstall();
  });

  it('counts applied publishes and sets the version gauge; counts a push the schema refuses', async () => {
    const namespace = 'metrics/greeter';
    await publish({ client: etcd, namespace, document: { greeting: 'hello' }, author: 'test' });
    const hot = watchConfig({ client: etcd, namespace, schema, onError: () => undefined });
    hots.push(hot);
    await hot.ready;
    expect(await total('etcd_patterns.config.applied', { 'config.namespace': namespace, 'config.source': 'publish' })).toBe(1);
    expect(await gauge(namespace)).toBe(1);

    // Not checked at the door (no stored schema): the hot config refuses it and keeps version 1.
    const refused = nextError(hot);
    await publish({ client: etcd, namespace, document: { greeting: '' }, author: 'test' });
    expect(await refused).toMatchObject({ code: 'CONFIG_VALIDATION_FAILED' });
    expect(await total('etcd_patterns.config.rejected', { 'config.namespace': namespace, 'error.type': 'CONFIG_VALIDATION_FAILED' })).toBe(1);
    expect(await gauge(namespace)).toBe(1);

    const applied = nextChange(hot);
    const v3 = await publish({ client: etcd, namespace, document: { greeting: 'hi' }, author: 'test' });
    expect((await applied).version).toBe(v3.version);
    expect(await total('etcd_patterns.config.applied', { 'config.namespace': namespace, 'config.source': 'publish' })).toBe(2);
    expect(await gauge(namespace)).toBe(v3.version);
  });

  it('counts a default value as applied, with version 0', async () => {
    const namespace = 'metrics/empty';
    const hot = watchConfig({ client: etcd, namespace, schema, defaultValue: { greeting: 'default' } });
    hots.push(hot);
    await hot.ready;
    expect(await total('etcd_patterns.config.applied', { 'config.namespace': namespace, 'config.source': 'default' })).toBe(1);
    expect(await gauge(namespace)).toBe(0);
  });
});
